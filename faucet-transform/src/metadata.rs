//! `metadata`: adds the time of the run and constant fields to every
//! record.
//!
//! A transform sees records only, so what only the run knows (the source's
//! URL, the run's id, the page a record came from) cannot be added here
//! until faucet-core hands transforms a run context; constants from the
//! pipeline file (`fields: {_source: github}`) stand in for them.

use std::collections::BTreeMap;

use faucet_core::connector::*;

use crate::path::{FieldPath, PathTree, config_error};
use crate::schema::{constant_schema, edit_paths, keep_root};
use crate::set::{set_level, set_values};

/// Config of [`MetadataTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct MetadataTransformConfig {
    /// The field that gets the time the transform was built, i.e. when the
    /// run started (RFC 3339, UTC, microseconds), the same for every record
    /// of a run; `null` to add none. Default: `"_faucet_loaded_at"`.
    #[serde(default = "default_loaded_at")]
    pub loaded_at: Option<String>,
    /// Constant fields to add, by path: `{_source: github, _env: prod}`.
    /// Default: none.
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
}

fn default_loaded_at() -> Option<String> {
    Some("_faucet_loaded_at".to_owned())
}

/// Adds the run's start time and constant fields to each record (replacing
/// fields of the same name).
#[derive(Debug)]
pub struct MetadataTransform {
    tree: PathTree<Value>,
    /// The same paths, holding the schema of what is added.
    schema: PathTree<Value>,
}

impl MetadataTransform {
    /// Builds the transform, reading the clock once; a bad path is an
    /// error at `loaded_at` or `fields.<path>`.
    pub fn new(config: MetadataTransformConfig) -> Result<Self> {
        let mut tree = PathTree::default();
        let mut schema = PathTree::default();
        if let Some(field) = &config.loaded_at {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let path = FieldPath::parse(field, "loaded_at")?;
            tree.insert(&path, Value::String(now));
            schema.insert(&path, json!({"type": "string", "format": "date-time"}));
        }
        for (field, value) in &config.fields {
            let path = FieldPath::parse(field, &format!("fields.{field}"))?;
            tree.insert(&path, value.clone());
            schema.insert(&path, constant_schema(value));
        }
        if tree.is_empty() {
            return Err(config_error(
                "fields",
                "nothing to add: no `loaded_at` and no `fields`",
            ));
        }
        Ok(Self { tree, schema })
    }
}

impl Transform for MetadataTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        out.push(set_values(&record, &self.tree)?);
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(MetadataTransformConfig))
    }

    /// The added fields: the load time a string of format `date-time`,
    /// each constant its type and value; objects on their paths are made.
    fn output_schema(&self, input: &Value) -> Value {
        keep_root(input, edit_paths(input, &self.schema, true, &mut set_level))
    }

    fn name(&self) -> &str {
        "metadata"
    }
}
