//! `faucet init`: new pipeline files and new connector crates.

pub(crate) mod pipeline;
pub(crate) mod scaffold;
mod schema_yaml;
mod templates;

/// Which kind of connector crate to scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `faucet-source-NAME`.
    Source,
    /// `faucet-sink-NAME`.
    Sink,
    /// `faucet-transform-NAME`.
    Transform,
}

impl Role {
    /// `source`, `sink` or `transform`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Sink => "sink",
            Self::Transform => "transform",
        }
    }
}
