//! The JSON Schema type of an expression's result where its form tells it
//! (a comparison is a boolean, `size(x)` an integer, a literal its type);
//! unknown (`{}`) where the record's values decide it (`price * qty`).

use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, operators};
use faucet_core::serde_json::{Value, json};

/// Functions and operators that give a boolean whenever they give a value.
const BOOLEAN: [&str; 15] = [
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
    operators::LOGICAL_AND,
    operators::LOGICAL_OR,
    operators::LOGICAL_NOT,
    operators::IN,
    operators::NOT_STRICTLY_FALSE,
    "startsWith",
    "endsWith",
    "contains",
    "matches",
];

/// The schema of what `expr` gives, as JSON.
pub(super) fn result_schema(expr: &IdedExpr) -> Value {
    match &expr.expr {
        Expr::Literal(literal) => match literal {
            LiteralValue::Boolean(_) => json!({ "type": "boolean" }),
            LiteralValue::Int(_) | LiteralValue::UInt(_) => json!({ "type": "integer" }),
            LiteralValue::Double(_) => json!({ "type": "number" }),
            LiteralValue::String(_) => json!({ "type": "string" }),
            LiteralValue::Null => json!({ "type": "null" }),
            // Bytes are an error (JSON cannot hold them), never an output.
            LiteralValue::Bytes(_) => Value::Bool(false),
        },
        Expr::Call(call) => match call.func_name.as_str() {
            name if BOOLEAN.contains(&name) => json!({ "type": "boolean" }),
            "size" | "int" | "uint" => json!({ "type": "integer" }),
            "double" => json!({ "type": "number" }),
            "string" => json!({ "type": "string" }),
            operators::CONDITIONAL if call.args.len() == 3 => {
                crate::schema::union([result_schema(&call.args[1]), result_schema(&call.args[2])])
            }
            _ => json!({}),
        },
        Expr::Select(select) if select.test => json!({ "type": "boolean" }),
        Expr::List(_) => json!({ "type": "array" }),
        Expr::Map(_) => json!({ "type": "object" }),
        Expr::Comprehension(c) => match &c.result.expr {
            Expr::Ident(name) if *name == c.accu_var => result_schema(&c.accu_init),
            _ => result_schema(&c.result),
        },
        _ => json!({}),
    }
}
