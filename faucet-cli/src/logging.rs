//! Log output: to stderr, secrets masked, drawn above the progress bar.

use std::io::Write;

use crate::{progress, secrets};

/// Installs the log subscriber: `RUST_LOG` when set, else `warn`, `info`
/// (`-v`) or `debug` (`-vv`).
pub(crate) fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter)
        .with_target(false)
        .init();
}

/// Writes each formatted log event to stderr with secrets masked.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let text = secrets::redact(&text);
        progress::above_bar(|| std::io::stderr().write_all(text.as_bytes()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
