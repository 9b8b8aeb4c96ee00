//! Transforms for the tests: small, with nested config to validate, and
//! one that fails on chosen records.

use std::collections::BTreeMap;

use faucet_core::Registry;
use faucet_core::connector::*;
use faucet_core::record::ObjectWriter;

/// The REST source, the JSON Lines sink and the test transforms `keep`,
/// `rename` and `reject`: no built-in transform, so what the tests list
/// is what they registered.
pub(crate) fn with_test_transforms() -> Registry {
    let mut registry = Registry::new();
    faucet_source_rest::register(&mut registry);
    faucet_sink_jsonl::register(&mut registry);
    registry
        .register_transform("keep", "Keeps records whose field is a multiple", Keep::new)
        .register_transform("rename", "Renames top-level fields", Rename::new)
        .register_transform(
            "reject",
            "Fails on records whose field is a multiple",
            Reject::new,
        );
    registry
}

/// `keep`'s config.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) struct KeepConfig {
    /// Which records are kept.
    #[serde(rename = "where")]
    pub(crate) condition: MultipleOf,
}

/// A field whose value must be a multiple of a number.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) struct MultipleOf {
    /// The field, an integer.
    pub(crate) field: String,
    /// The number it must be a multiple of (at least 1).
    pub(crate) multiple_of: u64,
}

impl MultipleOf {
    fn holds(&self, record: &Record) -> Result<bool> {
        let value = record.field(&self.field)?;
        let number = match value {
            Some(ValueRef::Number(n)) => n.as_u64(),
            _ => None,
        };
        match number {
            Some(n) => Ok(n % self.multiple_of == 0),
            None => Err(FaucetError::custom(format!(
                "field `{}` is not a non-negative integer",
                self.field
            ))),
        }
    }
}

/// Keeps records whose field is a multiple of a number.
pub(crate) struct Keep(KeepConfig);

impl Keep {
    fn new(config: KeepConfig) -> Result<Self> {
        if config.condition.multiple_of == 0 {
            return Err(FaucetError::config(
                "where.multiple_of",
                "must be at least 1",
            ));
        }
        Ok(Self(config))
    }
}

impl Transform for Keep {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        if self.0.condition.holds(&record)? {
            out.push(record);
        }
        Ok(())
    }

    fn check(&self) -> CheckReport {
        let mut report = CheckReport::new();
        report.pass("condition is valid");
        report
    }

    fn name(&self) -> &str {
        "keep"
    }
}

/// `rename`'s config.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) struct RenameConfig {
    /// Old name to new name.
    pub(crate) fields: BTreeMap<String, String>,
}

/// Renames top-level fields, copying values as text.
pub(crate) struct Rename(RenameConfig);

impl Rename {
    fn new(config: RenameConfig) -> Result<Self> {
        if let Some((old, _)) = config.fields.iter().find(|(_, new)| new.is_empty()) {
            return Err(FaucetError::config(
                format!("fields.{old}"),
                "the new name must not be empty",
            ));
        }
        Ok(Self(config))
    }
}

impl Transform for Rename {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let Some(fields) = record.fields() else {
            out.push(record);
            return Ok(());
        };
        let mut object = ObjectWriter::new();
        for field in fields {
            let (key, value) = field?;
            let key = self
                .0
                .fields
                .get(key.as_ref())
                .map_or(key.as_ref(), String::as_str);
            object.field(key, &value);
        }
        out.push(object.finish());
        Ok(())
    }

    /// The input schema with its top-level properties renamed, in place.
    fn output_schema(&self, input: &Value) -> Value {
        let mut schema = input.clone();
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            let renamed = std::mem::take(properties)
                .into_iter()
                .map(|(key, value)| (self.0.fields.get(&key).cloned().unwrap_or(key), value))
                .collect();
            *properties = renamed;
        }
        schema
    }

    fn name(&self) -> &str {
        "rename"
    }
}

/// Fails on records whose field is a multiple of a number.
pub(crate) struct Reject(MultipleOf);

impl Reject {
    fn new(config: MultipleOf) -> Result<Self> {
        if config.multiple_of == 0 {
            return Err(FaucetError::config("multiple_of", "must be at least 1"));
        }
        Ok(Self(config))
    }
}

impl Transform for Reject {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        if self.0.holds(&record)? {
            return Err(FaucetError::custom(format!(
                "field `{}` is a multiple of {}",
                self.0.field, self.0.multiple_of
            )));
        }
        out.push(record);
        Ok(())
    }

    fn name(&self) -> &str {
        "reject"
    }
}
