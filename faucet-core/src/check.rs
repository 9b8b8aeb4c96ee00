//! Connection checks, discovered streams and declared capabilities.

use serde::Serialize;
use serde_json::Value;

/// The outcome of one named check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum CheckStatus {
    /// The check passed.
    Passed,
    /// The check failed, with the reason.
    Failed(String),
    /// The check was not run, with the reason (e.g. an earlier check failed).
    Skipped(String),
}

/// One line of a checklist: a name such as `reachable` and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    /// Short name of what was checked, e.g. `reachable`, `authorised`.
    pub name: String,
    /// What happened.
    #[serde(flatten)]
    pub status: CheckStatus,
}

/// A named checklist returned by `Source::check` and `Sink::check`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The checks in the order they ran.
    pub items: Vec<CheckItem>,
}

impl CheckReport {
    /// An empty checklist.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a passed check.
    pub fn pass(&mut self, name: impl Into<String>) -> &mut Self {
        self.push(name, CheckStatus::Passed)
    }

    /// Appends a failed check with its reason.
    pub fn fail(&mut self, name: impl Into<String>, reason: impl Into<String>) -> &mut Self {
        self.push(name, CheckStatus::Failed(reason.into()))
    }

    /// Appends a skipped check with its reason.
    pub fn skip(&mut self, name: impl Into<String>, reason: impl Into<String>) -> &mut Self {
        self.push(name, CheckStatus::Skipped(reason.into()))
    }

    fn push(&mut self, name: impl Into<String>, status: CheckStatus) -> &mut Self {
        self.items.push(CheckItem {
            name: name.into(),
            status,
        });
        self
    }

    /// Whether no check failed (skipped checks do not count as failures).
    pub fn passed(&self) -> bool {
        !self
            .items
            .iter()
            .any(|item| matches!(item.status, CheckStatus::Failed(_)))
    }
}

/// A stream a source can read, with the JSON Schema of its records.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StreamInfo {
    /// The stream's name (e.g. an endpoint or table).
    pub name: String,
    /// JSON Schema of one record.
    pub schema: Value,
    /// Fields that identify a record (for upserts), outermost first; empty
    /// when the source does not know.
    pub primary_key: Vec<String>,
    /// The field whose largest value an incremental read resumes after.
    pub replication_key: Option<String>,
    /// The stream whose records this stream's requests are made from
    /// (a child resource), if any.
    pub parent: Option<String>,
}

impl StreamInfo {
    /// A stream with its record schema.
    pub fn new(name: impl Into<String>, schema: Value) -> Self {
        Self {
            name: name.into(),
            schema,
            primary_key: Vec::new(),
            replication_key: None,
            parent: None,
        }
    }

    /// Sets the primary key.
    #[must_use]
    pub fn with_primary_key(mut self, key: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.primary_key = key.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the replication key of incremental reads.
    #[must_use]
    pub fn with_replication_key(mut self, key: impl Into<String>) -> Self {
        self.replication_key = Some(key.into());
        self
    }

    /// Sets the parent stream.
    #[must_use]
    pub fn with_parent(mut self, parent: impl Into<String>) -> Self {
        self.parent = Some(parent.into());
        self
    }
}

/// What a source can do. All off by default: a source declares what it
/// supports, and the pipeline and conformance kit choose from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SourceCapabilities {
    /// Pages carry checkpoints, and a source given one resumes after it.
    pub resumable: bool,
    /// Checkpoints carry a replication key, so later runs read only new
    /// records.
    pub incremental: bool,
    /// The source fetches several pages concurrently.
    pub concurrent: bool,
}

impl SourceCapabilities {
    /// Declares that pages carry checkpoints the source can resume from.
    #[must_use]
    pub fn resumable(mut self) -> Self {
        self.resumable = true;
        self
    }

    /// Declares incremental reads by replication key.
    #[must_use]
    pub fn incremental(mut self) -> Self {
        self.incremental = true;
        self
    }

    /// Declares concurrent page fetches.
    #[must_use]
    pub fn concurrent(mut self) -> Self {
        self.concurrent = true;
        self
    }
}

/// What a sink can do. All off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SinkCapabilities {
    /// The sink stores checkpoints itself, atomically with the rows they
    /// cover (`Sink::commit_page` and `Sink::load_checkpoint` are
    /// implemented): delivery is exactly-once for resumable sources.
    pub atomic_checkpoints: bool,
    /// Writing the same record twice leaves one copy (keyed upsert).
    pub idempotent: bool,
    /// The sink keeps a page's dead letters ([`Page::dead_letters`](crate::Page::dead_letters)),
    /// committed with the page, so transforms may use
    /// [`OnError::DeadLetter`](crate::OnError::DeadLetter).
    pub dead_letters: bool,
    /// The sink writes each stream to a place of its own (a table or file
    /// per [`Page::stream`](crate::Page::stream)). A sink without it takes
    /// one stream only: the pipeline fails a run whose pages name a second
    /// stream rather than mix them.
    pub streams: bool,
}

impl SinkCapabilities {
    /// Declares that checkpoints commit atomically with rows.
    #[must_use]
    pub fn atomic_checkpoints(mut self) -> Self {
        self.atomic_checkpoints = true;
        self
    }

    /// Declares idempotent writes.
    #[must_use]
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Declares that the sink routes each stream to a place of its own.
    #[must_use]
    pub fn streams(mut self) -> Self {
        self.streams = true;
        self
    }

    /// Declares that the sink keeps pages' dead letters.
    #[must_use]
    pub fn dead_letters(mut self) -> Self {
        self.dead_letters = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_item_fails_the_report_and_skips_do_not() {
        let mut report = CheckReport::new();
        report.pass("reachable").skip("records", "not asked");
        assert!(report.passed());
        report.fail("authorised", "HTTP 401");
        assert!(!report.passed());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["items"][2]["status"], "failed");
        assert_eq!(json["items"][2]["reason"], "HTTP 401");
    }
}
