//! Writing command output to stdout, where a closed pipe (`faucet schema |
//! head`) ends the output quietly instead of failing.

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout. A reader that went away is not an error.
pub(crate) fn write(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes `line` and a newline to stdout; see [`write()`].
pub(crate) fn line(line: &str) -> std::io::Result<()> {
    write(&format!("{line}\n"))
}

/// Whether `err` is, anywhere in its chain, a write to a reader that went
/// away (`faucet … | head`): the command ends quietly then.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}
