//! `filter`: keeps the records for which a CEL expression is true, and
//! passes them on as they are.

use faucet_core::connector::*;

use crate::expr::Expression;

/// Config of [`FilterTransform`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub struct FilterTransformConfig {
    /// A CEL expression over the record's top-level fields, true for the
    /// records to keep: `status == "active"`, `amount > 100 && country in
    /// ["DE", "FR"]`, `has(user.email)`. A field the record lacks is
    /// `null`. It must give a boolean.
    #[serde(rename = "where")]
    pub where_: String,
}

/// Keeps records for which the expression is true; drops the others.
#[derive(Debug)]
pub struct FilterTransform {
    expression: Expression,
}

impl FilterTransform {
    /// Compiles the expression; one that does not compile is an error at
    /// `where` with the line and column inside it.
    pub fn new(config: FilterTransformConfig) -> Result<Self> {
        Ok(Self {
            expression: Expression::compile(&config.where_, "where")?,
        })
    }
}

impl Transform for FilterTransform {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        match self.expression.evaluate(&record)? {
            cel::Value::Bool(true) => out.push(record),
            cel::Value::Bool(false) => {}
            other => {
                return Err(FaucetError::decode(
                    "expression".to_owned(),
                    format!("`where` gave {}, not a boolean", other.type_of()),
                ));
            }
        }
        Ok(())
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(FilterTransformConfig))
    }

    /// The input schema: kept records are passed on as they are.
    fn output_schema(&self, input: &Value) -> Value {
        input.clone()
    }

    fn name(&self) -> &str {
        "filter"
    }
}
