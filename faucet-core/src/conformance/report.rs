//! What a conformance run found: checks that passed, failed or were
//! skipped, and warnings apart from them.

use std::fmt;

use crate::check::{CheckReport, CheckStatus};

/// Something the contract allows but a connector does better without,
/// such as a missing config schema. A warning never fails a run of the kit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// The check that raised it, e.g. `config schema`.
    pub check: String,
    /// What the connector lacks and what that costs its users.
    pub message: String,
}

/// The outcome of a conformance run.
///
/// Failures and warnings are kept apart: [`checks`](Self::checks) holds one
/// item per check (passed, failed, or skipped with the reason), and
/// [`warnings`](Self::warnings) what the contract does not require but
/// users will miss. [`assert_passed`](Self::assert_passed) fails on
/// failures only; [`assert_no_warnings`](Self::assert_no_warnings) also on
/// warnings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConformanceReport {
    /// The checks, in the order they ran.
    pub checks: CheckReport,
    /// Warnings, in the order they were raised.
    pub warnings: Vec<Warning>,
}

impl ConformanceReport {
    /// Whether no check failed. Warnings and skipped checks do not count.
    pub fn passed(&self) -> bool {
        self.checks.passed()
    }

    /// The status of the check named `check`, if it ran or was skipped.
    pub fn status(&self, check: &str) -> Option<&CheckStatus> {
        self.checks
            .items
            .iter()
            .find(|item| item.name == check)
            .map(|item| &item.status)
    }

    /// The failed checks as `(name, reason)`.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.checks
            .items
            .iter()
            .filter_map(|item| match &item.status {
                CheckStatus::Failed(reason) => Some((item.name.as_str(), reason.as_str())),
                _ => None,
            })
    }

    /// Panics with the whole report if any check failed. Warnings are
    /// printed to standard error (shown by `cargo test` when a test fails
    /// or with `--nocapture`) and do not fail.
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "conformance failures:\n{self}");
        for warning in &self.warnings {
            eprintln!(
                "conformance warning: {}: {}",
                warning.check, warning.message
            );
        }
    }

    /// Panics with the whole report if any check failed or any warning was
    /// raised.
    #[track_caller]
    pub fn assert_no_warnings(&self) {
        assert!(
            self.passed() && self.warnings.is_empty(),
            "conformance failures or warnings:\n{self}"
        );
    }

    pub(crate) fn pass(&mut self, check: &str) {
        self.checks.pass(check);
    }

    pub(crate) fn fail(&mut self, check: &str, reason: impl Into<String>) {
        self.checks.fail(check, reason);
    }

    pub(crate) fn skip(&mut self, check: &str, reason: impl Into<String>) {
        self.checks.skip(check, reason);
    }

    pub(crate) fn warn(&mut self, check: &str, message: impl Into<String>) {
        self.warnings.push(Warning {
            check: check.to_owned(),
            message: message.into(),
        });
    }

    /// Records `result` as a pass or a failure of `check`; returns whether
    /// it passed.
    pub(crate) fn record(&mut self, check: &str, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => {
                self.pass(check);
                true
            }
            Err(reason) => {
                self.fail(check, reason);
                false
            }
        }
    }
}

/// One line per check (`✓`, `✗` with the reason, `-` skipped with the
/// reason), then one per warning (`!`).
impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.checks.items {
            match &item.status {
                CheckStatus::Passed => writeln!(f, "✓ {}", item.name)?,
                CheckStatus::Failed(reason) => writeln!(f, "✗ {}: {reason}", item.name)?,
                CheckStatus::Skipped(reason) => writeln!(f, "- {} (skipped: {reason})", item.name)?,
            }
        }
        for warning in &self.warnings {
            writeln!(f, "! {} (warning: {})", warning.check, warning.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_kept_apart_from_failures() {
        let mut report = ConformanceReport::default();
        report.pass("streams pages");
        report.skip("config schema", "none");
        report.warn("config schema", "no schema");
        assert!(report.passed());
        report.assert_passed();
        assert_eq!(report.failures().count(), 0);
        let strict = std::panic::catch_unwind(|| report.assert_no_warnings());
        assert!(strict.is_err());

        report.fail("yields records", "none");
        assert!(!report.passed());
        assert_eq!(
            report.failures().collect::<Vec<_>>(),
            [("yields records", "none")]
        );
        assert_eq!(
            report.to_string(),
            "✓ streams pages\n- config schema (skipped: none)\n✗ yields records: none\n\
             ! config schema (warning: no schema)\n"
        );
    }
}
