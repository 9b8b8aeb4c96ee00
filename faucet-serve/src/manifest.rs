//! What the server offers: its name, version and connectors, as
//! `GET /manifest` and the registrations with a manager send it.

use faucet_core::schemars::JsonSchema;
use faucet_core::{ConnectorAction, ConnectorCapabilities, ConnectorKind, Registry};
use serde::Serialize;
use serde_json::Value;

use crate::options::ServeOptions;

/// The server and every connector of its registry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) struct Manifest {
    /// The server's name (`faucet` for the `faucet` binary).
    pub(crate) name: String,
    /// The server's version.
    pub(crate) version: String,
    /// Sources, sinks, then transforms, each sorted by type name.
    pub(crate) connectors: Vec<ManifestConnector>,
}

/// One connector type.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) struct ManifestConnector {
    /// `source`, `sink` or `transform`.
    pub(crate) kind: Kind,
    /// The `type` name pipeline specs use.
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    /// One line saying what it does.
    pub(crate) description: String,
    /// The JSON Schema of its config.
    pub(crate) config_schema: Value,
    /// What the type can do with a config that asks for it (all false
    /// when the connector declares nothing).
    pub(crate) capabilities: ConnectorCapabilities,
    /// Operations it offers besides runs; empty when it offers none.
    pub(crate) actions: Vec<ConnectorAction>,
}

/// Whether a connector reads, writes or changes records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) enum Kind {
    /// Reads records.
    Source,
    /// Writes records.
    Sink,
    /// Changes records on the way.
    Transform,
}

impl Manifest {
    /// The manifest of a server with `registry` and `options`.
    pub(crate) fn of(registry: &Registry, options: &ServeOptions) -> Self {
        let connectors = registry
            .connectors()
            .into_iter()
            .filter_map(|info| {
                let kind = match info.kind {
                    ConnectorKind::Source => Kind::Source,
                    ConnectorKind::Sink => Kind::Sink,
                    ConnectorKind::Transform => Kind::Transform,
                    // A kind this server does not know how to describe.
                    _ => return None,
                };
                let config_schema = registry
                    .schema(info.kind, &info.name)
                    .map(|s| s.to_value())
                    .unwrap_or(Value::Null);
                Some(ManifestConnector {
                    kind,
                    type_name: info.name,
                    description: info.description,
                    config_schema,
                    capabilities: info.capabilities,
                    actions: info.actions,
                })
            })
            .collect();
        Self {
            name: options.name.clone(),
            version: options.version.clone(),
            connectors,
        }
    }

    /// The manifest as JSON.
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
