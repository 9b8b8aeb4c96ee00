//! What a connector type declares besides its constructor, for
//! manifests: its capabilities and its actions.

use schemars::JsonSchema;
use serde::Serialize;

/// What a connector type can do, declared once when it is registered, for
/// manifests that list connectors without building one. All off by
/// default. A field is on when some config of the type does it (the
/// PostgreSQL sink is idempotent in `upsert` mode, not in `append`); a
/// built connector's `capabilities()` say what one config does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ConnectorCapabilities {
    /// Reads or writes several named streams in one run (a sink: each to
    /// a place of its own).
    pub streams: bool,
    /// A source whose pages carry checkpoints it can resume after.
    pub resumable: bool,
    /// A source that reads only records newer than the last run's, by a
    /// replication key.
    pub incremental: bool,
    /// A source that fetches several pages at once.
    pub concurrent: bool,
    /// A source that lists its streams and their JSON Schemas.
    pub discover: bool,
    /// A sink that stores checkpoints atomically with the rows they
    /// cover, so runs of resumable sources deliver every record exactly
    /// once.
    pub exactly_once: bool,
    /// A sink where writing the same records again leaves one copy.
    pub idempotent: bool,
    /// A sink that keeps the records transforms reject (dead letters),
    /// committed with their page.
    pub dead_letters: bool,
}

impl ConnectorCapabilities {
    /// Declares several streams per run.
    #[must_use]
    pub fn streams(mut self) -> Self {
        self.streams = true;
        self
    }

    /// Declares resumable reads.
    #[must_use]
    pub fn resumable(mut self) -> Self {
        self.resumable = true;
        self
    }

    /// Declares incremental reads.
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

    /// Declares stream discovery.
    #[must_use]
    pub fn discover(mut self) -> Self {
        self.discover = true;
        self
    }

    /// Declares checkpoints stored atomically with rows.
    #[must_use]
    pub fn exactly_once(mut self) -> Self {
        self.exactly_once = true;
        self
    }

    /// Declares idempotent writes.
    #[must_use]
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Declares that dead letters are kept.
    #[must_use]
    pub fn dead_letters(mut self) -> Self {
        self.dead_letters = true;
        self
    }
}

/// An operation a connector offers besides runs (`check`, `discover`,
/// `reset_state`), as listed in manifests.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ConnectorAction {
    /// The operation's name, snake_case.
    pub name: String,
    /// One sentence saying what it does.
    pub description: String,
}

impl ConnectorAction {
    /// The action `name`, described by `description`.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
        }
    }
}
