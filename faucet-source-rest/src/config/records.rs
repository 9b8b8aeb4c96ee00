//! Where the records are in a response, and what shape the body must have.

use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

/// Where the records are. A body that does not have this shape (an
/// object where an array is expected, a missing path, HTML, an empty
/// body) is not a page: the request is retried, then the run fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RestRecords {
    /// A path to the array of records: JSONPath (RFC 9535: `$.data.items`,
    /// `$.results[0].rows`), the dotted shorthand (`data.items`) or a JSON
    /// Pointer (`/data/items`); `$` means the body itself must be an array.
    /// A path that can select several values (`$.data[*]`, `$..rows[*]`)
    /// takes each selected value as one record. A path whose value is
    /// `null` gives an empty page.
    Path(String),
    /// One object as one record (an API that answers one resource).
    Single(RestSingleRecord),
}

/// One object as one record: `records: { single: true }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestSingleRecord {
    /// Must be `true`: the body (or the value at `path`) is one record, an
    /// object.
    pub single: bool,
    /// Where the object is (JSONPath, shorthand or JSON Pointer). Default:
    /// the whole body.
    #[serde(default)]
    pub path: Option<String>,
}

impl From<&str> for RestRecords {
    fn from(path: &str) -> Self {
        Self::Path(path.to_owned())
    }
}

impl From<String> for RestRecords {
    fn from(path: String) -> Self {
        Self::Path(path)
    }
}
