//! Expressions in CEL, the Common Expression Language: compiled once when
//! the transform is built, evaluated per record with only the fields the
//! expression names bound, each read with [`Record::field`] (no tree of
//! the record).
//!
//! CEL has no loops, no recursion and no I/O: an expression's time is
//! bounded by its length and the size of the fields it reads.

mod convert;
mod fast;
#[cfg(test)]
mod fast_tests;
mod infer;

use std::sync::Arc;

use cel::{Context, Env, ExecutionError, Program};
use faucet_core::connector::*;

use crate::errors::{field_error, not_an_object};
use crate::path::config_error;

pub(crate) use convert::to_json;

/// A compiled expression and the record fields it reads.
pub(crate) struct Expression {
    env: Arc<Env>,
    program: Program,
    variables: Vec<String>,
    /// The native evaluation of a comparison-shaped expression.
    fast: Option<fast::Fast>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expression")
            .field("variables", &self.variables)
            .finish_non_exhaustive()
    }
}

impl Expression {
    /// Compiles `source`; a syntax error is a config error at `at`, with
    /// the line and column inside the expression.
    pub(crate) fn compile(source: &str, at: &str) -> Result<Self> {
        let env = Arc::new(Env::stdlib());
        let program = env.compile(source).map_err(|errors| {
            let message = match errors.errors.first() {
                Some(e) => format!(
                    "the expression does not compile: line {}, column {}: {}",
                    e.pos.0, e.pos.1, e.msg
                ),
                None => "the expression does not compile".to_owned(),
            };
            config_error(at, message)
        })?;
        let mut variables: Vec<String> = program
            .references()
            .variables()
            .into_iter()
            .map(str::to_owned)
            .collect();
        variables.sort();
        variables.dedup();
        let fast = fast::Fast::compile(program.expression(), &variables);
        Ok(Self {
            env,
            program,
            variables,
            fast,
        })
    }

    /// The JSON Schema of the expression's results, where its form tells
    /// (a comparison, `size(…)`, a literal); unknown (`{}`) otherwise.
    pub(crate) fn result_schema(&self) -> Value {
        infer::result_schema(self.program.expression())
    }

    /// Evaluates the expression on `record`: each field it names is bound
    /// to the field's value, `null` when the record lacks it.
    pub(crate) fn evaluate(&self, record: &Record) -> Result<cel::Value> {
        if !record.is_object() {
            return Err(not_an_object(record));
        }
        if let Some(fast) = &self.fast
            && let Some(result) = fast.decide(record)?
        {
            return Ok(cel::Value::Bool(result));
        }
        self.interpret(record)
    }

    /// Evaluates the expression in CEL's interpreter.
    fn interpret(&self, record: &Record) -> Result<cel::Value> {
        let mut context = Context::with_env(self.env.clone());
        for name in &self.variables {
            let value = match record.field(name)? {
                Some(value) => convert::to_cel(&value).map_err(|m| field_error(name, m))?,
                None => cel::Value::Null,
            };
            context.add_variable_from_value(name.as_str(), value);
        }
        self.program.execute(&context).map_err(|e| eval_error(&e))
    }
}

/// What went wrong evaluating, by types and names only: CEL's own
/// messages quote the values, which are the record's content.
fn eval_error(error: &ExecutionError) -> FaucetError {
    let message = match error {
        ExecutionError::NoSuchOverload(_)
        | ExecutionError::InvalidArgumentCount { .. }
        | ExecutionError::UnexpectedType { .. }
        | ExecutionError::UndeclaredReference(_)
        | ExecutionError::MissingArgumentOrTarget => error.to_string(),
        ExecutionError::NoSuchKey(_) => "a map lacks a key the expression reads".to_owned(),
        ExecutionError::ValuesNotComparable(a, b) => {
            format!("{} cannot be compared to {}", a.type_of(), b.type_of())
        }
        ExecutionError::UnsupportedBinaryOperator(op, a, b) => {
            format!(
                "operator `{op}` does not apply to {} and {}",
                a.type_of(),
                b.type_of()
            )
        }
        ExecutionError::Overflow(op, a, b) => {
            format!("`{op}` of {} and {} overflows", a.type_of(), b.type_of())
        }
        ExecutionError::DivisionByZero(_) => "division by zero".to_owned(),
        ExecutionError::RemainderByZero(_) => "remainder by zero".to_owned(),
        ExecutionError::IndexOutOfBounds(_) => "an index is out of bounds".to_owned(),
        ExecutionError::FunctionError { function, .. } => {
            format!("function `{function}` failed on this record's values")
        }
        _ => "the expression cannot be evaluated on this record's values".to_owned(),
    };
    FaucetError::decode("expression", message)
}
