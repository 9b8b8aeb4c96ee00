//! The target's stderr as faucet log lines, at the level each line says.

/// How many of the target's last stderr lines an error shows.
pub(crate) const STDERR_TAIL: usize = 20;

/// A level a target's log line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

/// The level of a log line: the first level word among its first few
/// words (`2024-01-02 03:04:05,678 | INFO | target-postgres | …` from
/// the Singer SDK, `INFO …` or `CRITICAL …` from singer-python, a
/// Python traceback's `ValueError: …`); `Info` when none.
pub(crate) fn level_of(line: &str) -> Level {
    for word in line
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
    {
        match word {
            "CRITICAL" | "FATAL" | "ERROR" | "Traceback" => return Level::Error,
            "WARNING" | "WARN" => return Level::Warn,
            "INFO" => return Level::Info,
            "DEBUG" | "TRACE" => return Level::Debug,
            w if w.ends_with("Error") || w.ends_with("Exception") => return Level::Error,
            _ => {}
        }
    }
    Level::Info
}

/// Logs one (already masked) stderr line of `target`.
pub(crate) fn forward_line(target: &str, line: &str) {
    match level_of(line) {
        Level::Error => tracing::error!(target_name = %target, "{line}"),
        Level::Warn => tracing::warn!(target_name = %target, "{line}"),
        Level::Info => tracing::info!(target_name = %target, "{line}"),
        Level::Debug => tracing::debug!(target_name = %target, "{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_from_sdk_and_singer_python_lines() {
        let sdk = "2024-01-02 03:04:05,678 | INFO     | target-postgres      | Target sink is full";
        assert_eq!(level_of(sdk), Level::Info);
        assert_eq!(
            level_of("2024-01-02 03:04:05,678 | WARNING  | x | y"),
            Level::Warn
        );
        assert_eq!(
            level_of("CRITICAL password authentication failed"),
            Level::Error
        );
        assert_eq!(level_of("DEBUG Setting state"), Level::Debug);
        assert_eq!(level_of("Traceback (most recent call last):"), Level::Error);
        assert_eq!(
            level_of("psycopg2.OperationalError: connection refused"),
            Level::Error
        );
        assert_eq!(
            level_of("just text, an error later in the line ERROR"),
            Level::Info
        );
        assert_eq!(level_of(""), Level::Info);
    }
}
