//! Incremental reads by replication key.

use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Read only records newer than the last run's. The checkpoint keeps the
/// largest replication key seen; the next run sends it (minus the
/// lookback) to the API and also drops older records itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestIncremental {
    /// Path of the replication key in each record (JSONPath or JSON
    /// Pointer), e.g. `updated_at`.
    pub replication_key: String,
    /// The parameter, header or body field the start value is sent as,
    /// e.g. `since`.
    pub param: String,
    /// Where the start value goes. Default: `query`.
    #[serde(default)]
    pub location: RestSinceLocation,
    /// How the start value is written. Default: `raw`.
    #[serde(default)]
    pub format: RestKeyFormat,
    /// The start value of the first run (records from it on, inclusive).
    /// Default: none (the first run reads everything).
    #[serde(default)]
    pub start: Option<Value>,
    /// Seconds subtracted from the stored maximum before it is sent, to
    /// re-read records that arrived late; records at the start value are
    /// then kept. Needs a time-like key (RFC 3339, or epoch seconds /
    /// milliseconds with the matching `format`). Default: `0`.
    #[serde(default)]
    pub lookback_secs: u64,
}

/// Where the incremental start value is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestSinceLocation {
    /// A query parameter.
    #[default]
    Query,
    /// A request header.
    Header,
    /// A top-level field of the JSON body.
    Body,
}

/// How the incremental start value is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestKeyFormat {
    /// As the record holds it.
    #[default]
    Raw,
    /// RFC 3339 / ISO 8601 in UTC, e.g. `2024-01-02T03:04:05Z`.
    Iso8601,
    /// Seconds since the Unix epoch.
    EpochSeconds,
    /// Milliseconds since the Unix epoch.
    EpochMillis,
}
