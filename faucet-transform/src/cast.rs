//! `cast`: converts fields to integer, number, string, boolean or
//! timestamp; a value already of its type keeps its text.

use std::collections::BTreeMap;

use faucet_core::connector::*;
use faucet_core::record::ObjectWriter;

use crate::errors::{field_error, kind};
use crate::path::{FieldPath, PathTree, config_error};
use crate::rewrite::{Edited, rewrite};
use crate::schema::{cast_schema, edit_paths, keep_root, replace};

mod convert;

/// A type to cast to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", rename_all = "snake_case")]
#[schemars(crate = "faucet_core::schemars")]
pub enum CastTo {
    /// A JSON integer: from an integer (kept digit for digit, any size), a
    /// number without a fraction (`3.0`), a string of one (`" 42 "`), or a
    /// boolean (1 or 0).
    Integer,
    /// A JSON number: from a number (kept as written), a string holding a
    /// JSON number (its text kept: `"12.50"` → `12.50`), or a boolean.
    Number,
    /// A string: a number's exact text, `true`/`false`, an object's or
    /// array's JSON text (as received, on one line).
    String,
    /// A boolean: from `true`/`false`/`yes`/`no`/`1`/`0` strings (any case)
    /// or the numbers 1 and 0.
    Boolean,
    /// An RFC 3339 timestamp string in UTC (`2024-05-01T12:00:00Z`): from a
    /// string in `timestamp_format`, or a number of seconds since the Unix
    /// epoch; a time outside the years 0 to 9999 (which RFC 3339 cannot
    /// write) is an error.
    Timestamp,
}

/// Config of [`CastTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct CastTransformConfig {
    /// Path → type: `{amount: number, id: integer, created: timestamp}`.
    /// `null` stays `null`; fields a record lacks are ignored.
    pub fields: BTreeMap<String, CastTo>,
    /// How `timestamp` reads strings: a strftime format (`%d/%m/%Y
    /// %H:%M:%S`; with `%z` the string's offset is used, else it is UTC; a
    /// format of a date alone gives midnight), or `rfc3339`. Default:
    /// `"rfc3339"`.
    #[serde(default = "default_timestamp_format")]
    pub timestamp_format: String,
}

fn default_timestamp_format() -> String {
    "rfc3339".to_owned()
}

/// Casts the configured fields of each record.
#[derive(Debug)]
pub struct CastTransform {
    tree: PathTree<(FieldPath, CastTo)>,
    format: Option<String>,
}

impl CastTransform {
    /// Builds the transform; a bad path is an error at `fields.<path>`, an
    /// empty format one at `timestamp_format`.
    pub fn new(config: CastTransformConfig) -> Result<Self> {
        if config.fields.is_empty() {
            return Err(config_error("fields", "name at least one field"));
        }
        let mut tree = PathTree::default();
        for (field, to) in &config.fields {
            let path = FieldPath::parse(field, &format!("fields.{field}"))?;
            tree.insert(&path, (path.clone(), *to));
        }
        let format = match config.timestamp_format.as_str() {
            "" => return Err(config_error("timestamp_format", "the format is empty")),
            "rfc3339" => None,
            other => Some(other.to_owned()),
        };
        Ok(Self { tree, format })
    }

    fn cast(
        &self,
        to: CastTo,
        key: &str,
        value: &ValueRef<'_>,
        out: &mut ObjectWriter,
    ) -> std::result::Result<Edited, String> {
        use convert::*;
        if value.is_null() {
            return Ok(Edited::Unchanged);
        }
        let cast = match to {
            CastTo::Integer => to_integer(value)?,
            CastTo::Number => to_number(value)?,
            CastTo::String => to_string(value)?,
            CastTo::Boolean => to_boolean(value)?,
            CastTo::Timestamp => to_timestamp(value, self.format.as_deref())?,
        };
        Ok(match cast {
            Cast::Same => Edited::Unchanged,
            Cast::Value(v) => {
                out.value(key, &v);
                Edited::Written
            }
            Cast::Text(record) => {
                out.raw(key, &record);
                Edited::Written
            }
        })
    }
}

impl Transform for CastTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        let changed = rewrite(
            &record,
            &self.tree,
            false,
            &mut |(path, to), key, value, out| {
                let Some(value) = value else {
                    return Ok(Edited::Unchanged);
                };
                self.cast(*to, key, value, out)
                    .map_err(|m| field_error(path.as_str(), format!("is {} that {m}", kind(value))))
            },
        )?;
        out.push(changed.unwrap_or(record));
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(CastTransformConfig))
    }

    /// The cast fields get their target type (`timestamp`: a string of
    /// format `date-time`), and `null` where the input allows `null`.
    fn output_schema(&self, input: &Value) -> Value {
        let output = edit_paths(input, &self.tree, false, &mut |m, actions| {
            for (key, (_, to)) in actions {
                replace(m, key, |s| cast_schema(*to, s));
            }
        });
        keep_root(input, output)
    }

    fn name(&self) -> &str {
        "cast"
    }
}
