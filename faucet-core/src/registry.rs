//! Maps connector type names (`rest`, `postgres`) to constructors from
//! JSON config and to their config schemas.
//!
//! Adding a connector is one call to [`Registry::register_source`],
//! [`Registry::register_sink`] or [`Registry::register_transform`]; the CLI and third-party binaries build
//! pipelines from files through it, and `faucet schema` prints schemas
//! from it. A connector may also declare what its type can do
//! ([`ConnectorCapabilities`]) and the operations it offers besides runs
//! ([`ConnectorAction`]), for manifests such as `faucet serve`'s.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{FaucetError, Result};
use crate::sink::Sink;
use crate::source::Source;
use crate::transform::Transform;

mod declared;

pub use declared::{ConnectorAction, ConnectorCapabilities};

type Build<T> = Box<dyn Fn(Value) -> Result<T> + Send + Sync>;

struct Entry<T> {
    description: String,
    schema: fn() -> schemars::Schema,
    build: Build<T>,
}

/// Whether a connector reads, writes or changes records on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ConnectorKind {
    /// A source.
    Source,
    /// A sink.
    Sink,
    /// A transform.
    Transform,
}

impl fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Source => "source",
            Self::Sink => "sink",
            Self::Transform => "transform",
        })
    }
}

/// A registered connector, as listed by [`Registry::connectors`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectorInfo {
    /// Source, sink or transform.
    pub kind: ConnectorKind,
    /// The `type` name used in pipeline files.
    pub name: String,
    /// One line saying what it does.
    pub description: String,
    /// What the type can do, as declared with
    /// [`Registry::with_capabilities`] (all off when nothing was declared).
    pub capabilities: ConnectorCapabilities,
    /// The operations it offers besides runs, as declared with
    /// [`Registry::with_action`] (none when nothing was declared).
    pub actions: Vec<ConnectorAction>,
}

/// What was declared about a connector type besides its constructor.
#[derive(Debug, Clone, Default)]
struct Declared {
    capabilities: ConnectorCapabilities,
    actions: Vec<ConnectorAction>,
}

/// The connectors a binary knows, by type name.
#[derive(Default)]
pub struct Registry {
    sources: BTreeMap<String, Entry<Box<dyn Source>>>,
    sinks: BTreeMap<String, Entry<Box<dyn Sink>>>,
    transforms: BTreeMap<String, Entry<Box<dyn Transform>>>,
    declared: BTreeMap<(ConnectorKind, String), Declared>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("sources", &self.sources.keys().collect::<Vec<_>>())
            .field("sinks", &self.sinks.keys().collect::<Vec<_>>())
            .field("transforms", &self.transforms.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Deserialises `config` into `C`, reporting the path of the first bad
/// value (e.g. `pagination.kind`) in a [`FaucetError::Config`].
pub fn parse_config<C: DeserializeOwned>(config: Value) -> Result<C> {
    serde_path_to_error::deserialize(config).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        FaucetError::config(path, err.into_inner().to_string())
    })
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a source type: `build` turns a parsed `C` into the source.
    /// `build` must not do I/O, so that building a source is also how a
    /// config is validated. A second registration of `name` replaces the
    /// first.
    pub fn register_source<C, S, F>(&mut self, name: &str, description: &str, build: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        S: Source + 'static,
        F: Fn(C) -> Result<S> + Send + Sync + 'static,
    {
        let entry = Entry {
            description: description.to_owned(),
            schema: schema_of::<C>,
            build: Box::new(move |value| {
                Ok(Box::new(build(parse_config(value)?)?) as Box<dyn Source>)
            }),
        };
        self.sources.insert(name.to_owned(), entry);
        self
    }

    /// Registers a sink type; see [`Registry::register_source`].
    pub fn register_sink<C, K, F>(&mut self, name: &str, description: &str, build: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        K: Sink + 'static,
        F: Fn(C) -> Result<K> + Send + Sync + 'static,
    {
        let entry = Entry {
            description: description.to_owned(),
            schema: schema_of::<C>,
            build: Box::new(move |value| {
                Ok(Box::new(build(parse_config(value)?)?) as Box<dyn Sink>)
            }),
        };
        self.sinks.insert(name.to_owned(), entry);
        self
    }

    /// Registers a transform type; see [`Registry::register_source`].
    pub fn register_transform<C, T, F>(
        &mut self,
        name: &str,
        description: &str,
        build: F,
    ) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        T: Transform + 'static,
        F: Fn(C) -> Result<T> + Send + Sync + 'static,
    {
        let entry = Entry {
            description: description.to_owned(),
            schema: schema_of::<C>,
            build: Box::new(move |value| {
                Ok(Box::new(build(parse_config(value)?)?) as Box<dyn Transform>)
            }),
        };
        self.transforms.insert(name.to_owned(), entry);
        self
    }

    /// Builds the source registered as `name` from its JSON config.
    /// Errors name the offending config path.
    pub fn build_source(&self, name: &str, config: Value) -> Result<Box<dyn Source>> {
        let entry = lookup(&self.sources, ConnectorKind::Source, name)?;
        (entry.build)(config)
    }

    /// Builds the sink registered as `name` from its JSON config.
    pub fn build_sink(&self, name: &str, config: Value) -> Result<Box<dyn Sink>> {
        let entry = lookup(&self.sinks, ConnectorKind::Sink, name)?;
        (entry.build)(config)
    }

    /// Builds the transform registered as `name` from its JSON config.
    pub fn build_transform(&self, name: &str, config: Value) -> Result<Box<dyn Transform>> {
        let entry = lookup(&self.transforms, ConnectorKind::Transform, name)?;
        (entry.build)(config)
    }

    /// The JSON Schema of a connector's config.
    pub fn schema(&self, kind: ConnectorKind, name: &str) -> Result<schemars::Schema> {
        Ok(match kind {
            ConnectorKind::Source => (lookup(&self.sources, kind, name)?.schema)(),
            ConnectorKind::Sink => (lookup(&self.sinks, kind, name)?.schema)(),
            ConnectorKind::Transform => (lookup(&self.transforms, kind, name)?.schema)(),
        })
    }

    /// Declares what the `kind` type `name` can do, for manifests; replaces
    /// an earlier declaration. Declarations belong to the type name, so
    /// one made before the type is registered, or kept when a second
    /// registration replaces the first, applies.
    pub fn with_capabilities(
        &mut self,
        kind: ConnectorKind,
        name: &str,
        capabilities: ConnectorCapabilities,
    ) -> &mut Self {
        self.declared_mut(kind, name).capabilities = capabilities;
        self
    }

    /// Declares an operation the `kind` type `name` offers besides runs;
    /// replaces an earlier action of the same name, and otherwise adds
    /// it after the others. See [`Registry::with_capabilities`].
    pub fn with_action(
        &mut self,
        kind: ConnectorKind,
        name: &str,
        action: ConnectorAction,
    ) -> &mut Self {
        let actions = &mut self.declared_mut(kind, name).actions;
        match actions.iter_mut().find(|a| a.name == action.name) {
            Some(same) => *same = action,
            None => actions.push(action),
        }
        self
    }

    /// What the registered `kind` type `name` declared it can do (all off
    /// when it declared nothing).
    pub fn capabilities(&self, kind: ConnectorKind, name: &str) -> Result<ConnectorCapabilities> {
        self.schema(kind, name)?;
        Ok(self.declared(kind, name).capabilities)
    }

    /// The operations the registered `kind` type `name` declared, in the
    /// order declared.
    pub fn actions(&self, kind: ConnectorKind, name: &str) -> Result<Vec<ConnectorAction>> {
        self.schema(kind, name)?;
        Ok(self.declared(kind, name).actions)
    }

    fn declared(&self, kind: ConnectorKind, name: &str) -> Declared {
        self.declared
            .get(&(kind, name.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    fn declared_mut(&mut self, kind: ConnectorKind, name: &str) -> &mut Declared {
        self.declared.entry((kind, name.to_owned())).or_default()
    }

    /// Every registered connector: sources, sinks, then transforms, each
    /// sorted by name.
    pub fn connectors(&self) -> Vec<ConnectorInfo> {
        let info = |kind, name: &String, description: &String| {
            let declared = self.declared(kind, name);
            ConnectorInfo {
                kind,
                name: name.clone(),
                description: description.clone(),
                capabilities: declared.capabilities,
                actions: declared.actions,
            }
        };
        let sources = self
            .sources
            .iter()
            .map(|(name, e)| info(ConnectorKind::Source, name, &e.description));
        let sinks = self
            .sinks
            .iter()
            .map(|(name, e)| info(ConnectorKind::Sink, name, &e.description));
        let transforms = self
            .transforms
            .iter()
            .map(|(name, e)| info(ConnectorKind::Transform, name, &e.description));
        sources.chain(sinks).chain(transforms).collect()
    }
}

fn lookup<'a, T>(
    map: &'a BTreeMap<String, Entry<T>>,
    kind: ConnectorKind,
    name: &str,
) -> Result<&'a Entry<T>> {
    map.get(name).ok_or_else(|| {
        let known: Vec<&str> = map.keys().map(String::as_str).collect();
        FaucetError::config(
            "type",
            format!(
                "unknown {kind} type `{name}`; registered {kind}s: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        )
    })
}

fn schema_of<C: JsonSchema>() -> schemars::Schema {
    schemars::schema_for!(C)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::*;

    struct Nothing;

    #[async_trait]
    impl Source for Nothing {
        async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
            Ok(Vec::new())
        }
    }

    fn nothing(_: Value) -> Result<Nothing> {
        Ok(Nothing)
    }

    #[test]
    fn declared_capabilities_and_actions_are_listed_with_the_connector() {
        let mut registry = Registry::new();
        let caps = ConnectorCapabilities::default().resumable().streams();
        registry
            .with_capabilities(ConnectorKind::Source, "nothing", caps)
            .register_source("nothing", "Reads nothing", nothing)
            .register_source("bare", "Declares nothing", nothing)
            .with_action(
                ConnectorKind::Source,
                "nothing",
                ConnectorAction::new("check", "old"),
            )
            .with_action(
                ConnectorKind::Source,
                "nothing",
                ConnectorAction::new("discover", "d"),
            )
            .with_action(
                ConnectorKind::Source,
                "nothing",
                ConnectorAction::new("check", "c"),
            );
        let listed = registry.connectors();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].name, "bare");
        assert_eq!(listed[0].capabilities, ConnectorCapabilities::default());
        assert!(listed[0].actions.is_empty());
        assert_eq!(listed[1].name, "nothing");
        assert_eq!(listed[1].capabilities, caps);
        let names: Vec<(&str, &str)> = listed[1]
            .actions
            .iter()
            .map(|a| (a.name.as_str(), a.description.as_str()))
            .collect();
        assert_eq!(names, [("check", "c"), ("discover", "d")]);
        assert_eq!(
            registry
                .capabilities(ConnectorKind::Source, "nothing")
                .unwrap(),
            caps
        );
        assert_eq!(
            registry
                .actions(ConnectorKind::Source, "nothing")
                .unwrap()
                .len(),
            2
        );
        // The same name of another kind is another connector.
        let err = registry
            .capabilities(ConnectorKind::Sink, "nothing")
            .unwrap_err();
        assert!(matches!(err, FaucetError::Config { .. }), "{err}");
    }

    #[test]
    fn capabilities_serialise_as_plain_fields() {
        let caps = ConnectorCapabilities::default().exactly_once().idempotent();
        let json = serde_json::to_value(caps).unwrap();
        assert_eq!(json["exactly_once"], true);
        assert_eq!(json["idempotent"], true);
        assert_eq!(json["streams"], false);
        assert_eq!(json.as_object().unwrap().len(), 8);
    }
}
