//! [`Transform`]: the third kind of connector, between a source and a
//! sink. It takes each record and gives back none, one or several.
//!
//! A transform is synchronous CPU work on owned records: a record that
//! passes through untouched keeps its text (no tree is built), and one
//! that changes one field may read it through [`Record::field`] without
//! parsing the rest. The pipeline runs transforms on a task of their own,
//! in page order, and hands each page on with its checkpoint, also when
//! every record of it was filtered out, so resume and exactly-once are the
//! same with transforms as without.

use serde_json::Value;

use crate::check::CheckReport;
use crate::error::Result;
use crate::record::Record;

/// A record-by-record change between a source and a sink.
///
/// One required method; everything else has a default. Object safe, so
/// any boxed transform joins any source and sink.
///
/// ```
/// use faucet_core::connector::*;
///
/// /// Keeps records whose `status` is `"active"`.
/// struct ActiveOnly;
///
/// impl Transform for ActiveOnly {
///     fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
///         if record.field("status")?.and_then(|v| v.as_str().map(|s| s == "active")) == Some(true) {
///             out.push(record); // untouched: its text is kept as received
///         }
///         Ok(())
///     }
/// }
///
/// let mut out = Vec::new();
/// ActiveOnly.transform(json!({"status": "active"}).into(), &mut out)?;
/// ActiveOnly.transform(json!({"status": "gone"}).into(), &mut out)?;
/// assert_eq!(out, [json!({"status": "active"})]);
/// # Ok::<(), FaucetError>(())
/// ```
pub trait Transform: Send + Sync {
    /// Transforms one record, appending its outputs, in order, to `out`:
    /// none to drop it, the record itself to keep it, several to split it.
    ///
    /// An error names what is wrong with the record (the field, the value's
    /// type), never its content: the pipeline adds which transform and
    /// which record (page and index), and applies the transform's
    /// [`OnError`] policy.
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()>;

    /// The JSON Schema of the transform's config, for `faucet schema` and
    /// validation. Default: none.
    fn config_schema(&self) -> Option<schemars::Schema> {
        None
    }

    /// The JSON Schema of the records this transform gives for records of
    /// `input` schema, so schema discovery and inference stay truthful
    /// downstream. Default: unchanged.
    fn output_schema(&self, input: &Value) -> Value {
        input.clone()
    }

    /// Checks what the transform can check before a run (its config, a
    /// compiled expression). Default: nothing to check.
    fn check(&self) -> CheckReport {
        CheckReport::default()
    }

    /// A short name for messages and reports. Default: the type's name
    /// without its module path.
    fn name(&self) -> &str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }
}

/// What the pipeline does when a transform fails on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OnError {
    /// Fail the run, naming the transform and the record (default). Pages
    /// before the failing one stay durable, with their checkpoint.
    #[default]
    Fail,
    /// Drop the record, count it in the report (`records_skipped`), and
    /// log a warning naming the transform and the record's position.
    Skip,
    /// Hand the record, as it reached the transform, to the sink's dead
    /// letters with the reason, committed with its page (the sink must
    /// declare [`SinkCapabilities::dead_letters`](crate::SinkCapabilities);
    /// the PostgreSQL sink does), and count it (`records_dead_lettered`).
    DeadLetter,
}

/// A record a transform failed on, set aside under
/// [`OnError::DeadLetter`] and carried to the sink with its page.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// `transforms[2] (cast)`.
    pub stage: String,
    /// `page 4, record 17`: the page of this run and the record's index in
    /// what the source gave.
    pub position: String,
    /// What the transform said.
    pub reason: String,
    /// The record as it reached the transform.
    pub record: Record,
}

macro_rules! forward_transform {
    ($($ty:ty),*) => {$(
        impl<T: Transform + ?Sized> Transform for $ty {
            fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
                (**self).transform(record, out)
            }
            fn config_schema(&self) -> Option<schemars::Schema> {
                (**self).config_schema()
            }
            fn output_schema(&self, input: &Value) -> Value {
                (**self).output_schema(input)
            }
            fn check(&self) -> CheckReport {
                (**self).check()
            }
            fn name(&self) -> &str {
                (**self).name()
            }
        }
    )*};
}

forward_transform!(Box<T>, std::sync::Arc<T>, &T);
