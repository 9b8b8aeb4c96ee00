//! Exit codes, and how errors are printed.

use faucet_core::FaucetError;

use crate::pipeline_file::FileErrors;
use crate::secrets;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything worked: 0.
    Ok = 0,
    /// The run, or a check, failed: 1.
    Failed = 1,
    /// Bad configuration or usage: 2.
    Usage = 2,
    /// Interrupted by Ctrl-C or SIGTERM: 130.
    Interrupted = 130,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}

/// A mistake in how `faucet` was called (a file that exists, a bad name).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit code for an error: 2 when anything in its chain is a config
/// or usage problem, else 1.
pub(crate) fn code_for(err: &anyhow::Error) -> Exit {
    let usage = err.chain().any(|cause| {
        cause.is::<FileErrors>()
            || cause.is::<UsageError>()
            || matches!(
                cause.downcast_ref::<FaucetError>(),
                Some(FaucetError::Config { .. })
            )
    });
    if usage { Exit::Usage } else { Exit::Failed }
}

/// Prints `error: …` with the whole cause chain, secrets masked.
pub(crate) fn print_error(err: &anyhow::Error) {
    eprintln!("error: {}", secrets::redact(&format!("{err:#}")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn config_errors_anywhere_in_the_chain_are_usage_errors() {
        let err = Err::<(), _>(FaucetError::config("url", "bad"))
            .context("building the sink")
            .unwrap_err();
        assert_eq!(code_for(&err), Exit::Usage);
        let err = anyhow::Error::new(FaucetError::sink_error("disk full"));
        assert_eq!(code_for(&err), Exit::Failed);
    }
}
