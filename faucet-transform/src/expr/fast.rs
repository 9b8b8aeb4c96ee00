//! The fast path of the commonest filters: a field compared with a literal
//! (`status == "active"`, `amount >= 0.0`), and `&&` / `||` of such
//! comparisons, decided from the field's bytes without a CEL context.
//!
//! It decides only what it can decide exactly as CEL does, with CEL's own
//! value comparisons (`cel::Value`'s `==` and ordering, which compare
//! `int`, `uint` and `double` with each other); anything else (a string
//! against a number under `<`, a list, a number beyond a double, an error
//! beside a result that does not absorb it) is left to the interpreter,
//! which gives the answer or the error. A differential test holds the two
//! to the same results.

use std::cmp::Ordering;

use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, operators};
use faucet_core::connector::*;

use super::convert;

/// A compiled fast path.
#[derive(Debug)]
pub(super) enum Fast {
    /// `field op literal`, or `literal op field` (`flipped`).
    Compare {
        field: String,
        op: Op,
        literal: cel::Value,
        flipped: bool,
    },
    And(Box<Fast>, Box<Fast>),
    Or(Box<Fast>, Box<Fast>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Fast {
    /// The fast path of `expr`, if it has that form; `fields` are the
    /// names the expression reads from the record.
    pub(super) fn compile(expr: &IdedExpr, fields: &[String]) -> Option<Fast> {
        let Expr::Call(call) = &expr.expr else {
            return None;
        };
        if call.target.is_some() || call.args.len() != 2 {
            return None;
        }
        let (a, b) = (&call.args[0], &call.args[1]);
        let name = call.func_name.as_str();
        if name == operators::LOGICAL_AND || name == operators::LOGICAL_OR {
            let (a, b) = (Self::compile(a, fields)?, Self::compile(b, fields)?);
            return Some(match name == operators::LOGICAL_AND {
                true => Fast::And(Box::new(a), Box::new(b)),
                false => Fast::Or(Box::new(a), Box::new(b)),
            });
        }
        let op = match name {
            operators::EQUALS => Op::Eq,
            operators::NOT_EQUALS => Op::Ne,
            operators::LESS => Op::Lt,
            operators::LESS_EQUALS => Op::Le,
            operators::GREATER => Op::Gt,
            operators::GREATER_EQUALS => Op::Ge,
            _ => return None,
        };
        let (field, literal, flipped) = match (&a.expr, &b.expr) {
            (Expr::Ident(field), Expr::Literal(literal)) => (field, literal, false),
            (Expr::Literal(literal), Expr::Ident(field)) => (field, literal, true),
            _ => return None,
        };
        if !fields.contains(field) {
            return None;
        }
        Some(Fast::Compare {
            field: field.clone(),
            op,
            literal: literal_value(literal)?,
            flipped,
        })
    }

    /// The expression's result on `record`, `None` when the interpreter
    /// must decide (or give the error).
    pub(super) fn decide(&self, record: &Record) -> Result<Option<bool>> {
        Ok(match self {
            Fast::And(a, b) => match (a.decide(record)?, b.decide(record)?) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Fast::Or(a, b) => match (a.decide(record)?, b.decide(record)?) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Fast::Compare {
                field,
                op,
                literal,
                flipped,
            } => {
                let value = record.field(field)?;
                let Some((equal, order)) = compare(value.as_ref(), literal) else {
                    return Ok(None);
                };
                let order = if *flipped {
                    order.map(Ordering::reverse)
                } else {
                    order
                };
                match (op, order) {
                    (Op::Eq, _) => Some(equal),
                    (Op::Ne, _) => Some(!equal),
                    (_, None) => None,
                    (Op::Lt, Some(o)) => Some(o == Ordering::Less),
                    (Op::Le, Some(o)) => Some(o != Ordering::Greater),
                    (Op::Gt, Some(o)) => Some(o == Ordering::Greater),
                    (Op::Ge, Some(o)) => Some(o != Ordering::Less),
                }
            }
        })
    }
}

/// Whether the field's value equals the literal, and how it orders
/// against it (`None`: not comparable); `None` for a value the fast path
/// leaves to the interpreter.
fn compare(value: Option<&ValueRef<'_>>, literal: &cel::Value) -> Option<(bool, Option<Ordering>)> {
    match value {
        // A plain string is compared as it is, without a CEL string.
        Some(ValueRef::String(s)) => Some(match literal {
            cel::Value::String(l) => (s.as_ref() == l.as_str(), Some(s.as_ref().cmp(l.as_str()))),
            _ => (false, None),
        }),
        Some(ValueRef::Array(_) | ValueRef::Object(_)) => None,
        Some(value) => {
            let value = convert::to_cel(value).ok()?;
            Some((value == *literal, order(&value, literal)))
        }
        None => Some((cel::Value::Null == *literal, None)),
    }
}

/// How two values order in CEL; `None` where CEL refuses to order them
/// (`null` has no order, not even against `null`).
fn order(a: &cel::Value, b: &cel::Value) -> Option<Ordering> {
    match (a, b) {
        (cel::Value::Null, _) | (_, cel::Value::Null) => None,
        _ => a.partial_cmp(b),
    }
}

/// A literal as a CEL value; `None` for bytes (left to the interpreter).
fn literal_value(literal: &LiteralValue) -> Option<cel::Value> {
    Some(match literal {
        LiteralValue::Boolean(b) => cel::Value::Bool(*b.inner()),
        LiteralValue::Int(i) => cel::Value::Int(*i.inner()),
        LiteralValue::UInt(u) => cel::Value::UInt(*u.inner()),
        LiteralValue::Double(d) => cel::Value::Float(*d.inner()),
        LiteralValue::String(s) => cel::Value::String(std::sync::Arc::new(s.inner().to_owned())),
        LiteralValue::Null => cel::Value::Null,
        LiteralValue::Bytes(_) => return None,
    })
}
