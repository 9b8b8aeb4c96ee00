//! Maps connector type names (`rest`, `postgres`) to constructors from
//! JSON config and to their config schemas.
//!
//! Adding a connector is one call to [`Registry::register_source`],
//! [`Registry::register_sink`] or [`Registry::register_transform`]; the CLI and third-party binaries build
//! pipelines from files through it, and `faucet schema` prints schemas
//! from it.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{FaucetError, Result};
use crate::sink::Sink;
use crate::source::Source;
use crate::transform::Transform;

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
}

/// The connectors a binary knows, by type name.
#[derive(Default)]
pub struct Registry {
    sources: BTreeMap<String, Entry<Box<dyn Source>>>,
    sinks: BTreeMap<String, Entry<Box<dyn Sink>>>,
    transforms: BTreeMap<String, Entry<Box<dyn Transform>>>,
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

    /// Every registered connector: sources, sinks, then transforms, each
    /// sorted by name.
    pub fn connectors(&self) -> Vec<ConnectorInfo> {
        let info = |kind, name: &String, description: &String| ConnectorInfo {
            kind,
            name: name.clone(),
            description: description.clone(),
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
