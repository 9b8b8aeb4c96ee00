//! `set`: gives a field a constant or the result of a CEL expression,
//! adding it (and the objects on its path) when the record lacks it.

use faucet_core::connector::*;

use crate::errors::field_error;
use crate::expr::{Expression, to_json};
use crate::path::{FieldPath, PathTree, config_error};
use crate::rewrite::{Edited, rewrite};
use crate::schema::{Keywords, constant_schema, edit_paths, keep_root, put, set_required};

/// Config of [`SetTransform`]: `field` and exactly one of `value` and
/// `expression`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct SetTransformConfig {
    /// The field to set, as a path (`source`, `meta.origin`); replaced
    /// where it is, added at the end of its object when missing.
    pub field: String,
    /// A constant JSON value to set (any JSON, `null` included).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Value>,
    /// A CEL expression over the record's top-level fields whose result is
    /// set: `price * quantity`, `first + " " + last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// `value: null` is a value, not an absent one.
fn present<'de, D: faucet_core::serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Sets one field of each record.
#[derive(Debug)]
pub struct SetTransform {
    path: FieldPath,
    tree: PathTree<()>,
    what: What,
    /// The path, holding the schema of what is set.
    schema: PathTree<Value>,
}

#[derive(Debug)]
enum What {
    Value(Value),
    Expression(Expression),
}

impl SetTransform {
    /// Builds the transform; errors name `field`, `expression` (with the
    /// position inside it) or, when both or neither are given, `value`.
    pub fn new(config: SetTransformConfig) -> Result<Self> {
        let path = FieldPath::parse(&config.field, "field")?;
        let what = match (config.value, config.expression) {
            (Some(value), None) => What::Value(value),
            (None, Some(source)) => What::Expression(Expression::compile(&source, "expression")?),
            (Some(_), Some(_)) => {
                return Err(config_error(
                    "value",
                    "give `value` or `expression`, not both",
                ));
            }
            (None, None) => return Err(config_error("value", "give `value` or `expression`")),
        };
        let mut tree = PathTree::default();
        tree.insert(&path, ());
        let mut schema = PathTree::default();
        schema.insert(
            &path,
            match &what {
                What::Value(value) => constant_schema(value),
                What::Expression(expression) => expression.result_schema(),
            },
        );
        Ok(Self {
            path,
            tree,
            what,
            schema,
        })
    }
}

/// `record` with each path of `tree` set to its value: replaced where it
/// is, added where missing.
pub(crate) fn set_values(record: &Record, tree: &PathTree<Value>) -> Result<Record> {
    let changed = rewrite(record, tree, true, &mut |value, key, _, out| {
        out.value(key, value);
        Ok(Edited::Written)
    })?;
    Ok(changed.unwrap_or_else(|| record.clone()))
}

/// The schema of an object whose keys `set` (or `metadata`) sets, each to
/// a value of the schema its action holds: the key is always there.
pub(crate) fn set_level(m: &mut Keywords, actions: &[(&str, &Value)]) {
    for (key, schema) in actions {
        put(m, key, (*schema).clone());
        set_required(m, key, true);
    }
}

impl Transform for SetTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let computed;
        let value = match &self.what {
            What::Value(value) => value,
            What::Expression(expression) => {
                computed = to_json(&expression.evaluate(&record)?)
                    .map_err(|m| field_error(self.path.as_str(), m))?;
                &computed
            }
        };
        let changed = rewrite(&record, &self.tree, true, &mut |_, key, _, out| {
            out.value(key, value);
            Ok(Edited::Written)
        })?;
        out.push(changed.unwrap_or(record));
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(SetTransformConfig))
    }

    /// The field with the constant's type and value, or the type of the
    /// expression's result where its form tells it (a comparison is a
    /// boolean; `price * qty` is unknown); objects on the path are made.
    fn output_schema(&self, input: &Value) -> Value {
        keep_root(input, edit_paths(input, &self.schema, true, &mut set_level))
    }

    fn name(&self) -> &str {
        "set"
    }
}
