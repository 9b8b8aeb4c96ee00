//! The conformance kit: checks a [`Source`](crate::Source),
//! [`Sink`](crate::Sink) or [`Transform`](crate::Transform) against the
//! contract, choosing checks from its declared capabilities.
//!
//! Enable the `conformance` feature in `[dev-dependencies]` and call the
//! kit from your tests: [`check_source`] (or [`check_source_with`] for a
//! stream that may be empty), [`check_sink`], [`check_transform`] and
//! [`check_config_errors`].
//! Each returns a [`ConformanceReport`]: one item per check, passed, failed
//! or skipped with the reason, and [`Warning`]s apart from them for what
//! the contract allows but users will miss (a connector without a config
//! schema passes, with a warning). Every check is tested against a
//! connector broken in the way it is meant to catch.
//!
//! # The minimal connectors pass
//!
//! The minimal source and sink of `CONTRIBUTING.md`, one method each, pass
//! the kit as written there (a test keeps the two texts the same):
//!
#![doc = include_str!("conformance/minimal.md")]
//!
//! For a sink, [`check_sink`] drives it with a [`ScriptedSource`] and reads
//! back what it stored through a closure you provide.

mod config;
mod report;
mod scripted;
mod sink;
mod source;
mod transform;

pub use config::{BadConfig, check_config_errors};
pub use report::{ConformanceReport, Warning};
pub use scripted::{ScriptedSource, ScriptedSourceConfig};
pub use sink::check_sink;
pub use source::{SourceChecks, check_source, check_source_with};
pub use transform::check_transform;

use crate::schema::undocumented_properties;

/// The names of the checks, as they appear in reports.
pub(crate) mod names {
    pub(crate) const SCHEMA: &str = "config schema";
    pub(crate) const OBJECT_SAFE: &str = "object safe";
    pub(crate) const STREAMS: &str = "streams pages";
    pub(crate) const YIELDS: &str = "yields records";
    pub(crate) const RESUMES: &str = "resumes from a checkpoint";
    pub(crate) const WRITES_ALL: &str = "writes every record";
    pub(crate) const KEEPS_COMMITTED: &str = "a failed run keeps its committed pages";
    pub(crate) const EXACTLY_ONCE: &str = "exactly once across a failed run and a resume";
    pub(crate) const COMPLETION: &str = "stores the completion marker";
    pub(crate) const EMPTY_PAGE: &str = "stores the checkpoint of an empty page";
    pub(crate) const CLEARS: &str = "clears its checkpoint";
    pub(crate) const NO_PANIC: &str = "no panic on odd records";
    pub(crate) const DETERMINISTIC: &str = "gives the same outputs twice";
    pub(crate) const KEEPS_PASSED: &str = "keeps records it passes";
}

/// A documented schema passes, a missing one is a warning, an
/// undocumented property fails.
fn check_config_schema(schema: Option<schemars::Schema>, report: &mut ConformanceReport) {
    let Some(schema) = schema else {
        report.skip(names::SCHEMA, "config_schema() returns None");
        report.warn(
            names::SCHEMA,
            "no config schema: `faucet schema` and editors cannot describe this connector's \
             config; implement config_schema()",
        );
        return;
    };
    let missing = undocumented_properties(&schema.to_value());
    if missing.is_empty() {
        report.pass(names::SCHEMA);
    } else {
        report.fail(
            names::SCHEMA,
            format!("undocumented: {}", missing.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod transform_tests;
