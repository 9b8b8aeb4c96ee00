//! Log output: to stderr, secrets masked, drawn above the progress bar.

use std::io::{IsTerminal, Write};

use crate::{progress, secrets};

/// What `-v` shows: information from everything, and the requests the
/// HTTP connectors make (logged at debug, URLs redacted).
const VERBOSE: &str = "info,faucet_source_rest=debug,faucet_common_http=debug";

/// Installs the log subscriber: `RUST_LOG` when set, else `warn`, `info`
/// with the HTTP connectors' requests (`-v`) or `debug` (`-vv`). Colour
/// only on a terminal, and never when `NO_COLOR` is set. Apart from what
/// stderr shows, events at `info` and above inside a `faucet serve` run go
/// to that run's events ([`faucet_serve::RunLogLayer`]).
pub(crate) fn init(verbose: u8) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter::LevelFilter};
    let default = match verbose {
        0 => "warn",
        1 => VERBOSE,
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(|| LogWriter)
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_target(false)
        .with_filter(filter);
    let runs = faucet_serve::RunLogLayer::new().with_filter(LevelFilter::INFO);
    tracing_subscriber::registry()
        .with(stderr)
        .with(runs)
        .init();
}

/// Whether to colour log lines: on a terminal, unless `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>).
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
