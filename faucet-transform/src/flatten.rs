//! `flatten`: nested objects become top-level fields named by their path
//! (`address: {city: …}` → `address__city`), down to a depth limit.

use faucet_core::connector::*;
use faucet_core::record::ObjectWriter;

use crate::errors::not_an_object;
use crate::path::config_error;
use crate::rewrite::nested_record;
use crate::schema::{Flattening, flatten_schema, keep_root};

/// Config of [`FlattenTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct FlattenTransformConfig {
    /// What joins a parent's key and a child's. Default: `"__"`.
    #[serde(default = "default_separator")]
    pub separator: String,
    /// How many levels of nesting are flattened; objects deeper than that
    /// stay objects (JSON) under their flattened key. At least 1.
    /// Default: `10`.
    #[serde(default = "default_max_depth")]
    pub max_depth: usize,
}

fn default_separator() -> String {
    "__".to_owned()
}

fn default_max_depth() -> usize {
    10
}

/// Flattens nested objects of each record; arrays and empty objects stay
/// as they are. A flattened key equal to an existing one gives the key
/// twice, and consumers keep the last.
#[derive(Debug)]
pub struct FlattenTransform {
    separator: String,
    max_depth: usize,
}

impl FlattenTransform {
    /// Builds the transform; an empty separator or a depth of 0 is an
    /// error at its field.
    pub fn new(config: FlattenTransformConfig) -> Result<Self> {
        if config.separator.is_empty() {
            return Err(config_error("separator", "the separator is empty"));
        }
        if config.max_depth == 0 {
            return Err(config_error("max_depth", "flatten at least 1 level"));
        }
        Ok(Self {
            separator: config.separator,
            max_depth: config.max_depth,
        })
    }

    /// Writes the fields of `record` under `prefix`; whether any nested
    /// object was flattened.
    fn flatten_into(
        &self,
        record: &Record,
        prefix: Option<&str>,
        depth: usize,
        out: &mut ObjectWriter,
    ) -> Result<bool> {
        let mut flattened = false;
        for field in record.fields().ok_or_else(|| not_an_object(record))? {
            let (key, value) = field?;
            let name = match prefix {
                Some(prefix) => std::borrow::Cow::Owned(format!("{prefix}{}{key}", self.separator)),
                None => key,
            };
            match &value {
                ValueRef::Object(nested) if depth < self.max_depth => {
                    let inner = nested_record(nested)?;
                    if inner.fields().is_some_and(|mut f| f.next().is_some()) {
                        self.flatten_into(&inner, Some(&name), depth + 1, out)?;
                        flattened = true;
                        continue;
                    }
                    out.field(&name, &value);
                }
                _ => {
                    out.field(&name, &value);
                }
            }
        }
        Ok(flattened)
    }
}

impl Transform for FlattenTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let capacity = record.raw_json().map_or(128, |t| t.len() + 64);
        let mut writer = ObjectWriter::with_capacity(capacity);
        if self.flatten_into(&record, None, 0, &mut writer)? {
            out.push(writer.finish());
        } else {
            out.push(record);
        }
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(FlattenTransformConfig))
    }

    /// The nested properties as top-level `a__b` ones, to the depth
    /// limit; an object whose keys the input does not tell gives keys that
    /// are not known either.
    fn output_schema(&self, input: &Value) -> Value {
        let how = Flattening {
            separator: &self.separator,
            max_depth: self.max_depth,
        };
        keep_root(input, flatten_schema(input, how))
    }

    fn name(&self) -> &str {
        "flatten"
    }
}
