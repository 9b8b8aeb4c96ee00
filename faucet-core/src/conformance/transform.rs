//! The transform checks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde_json::json;

use super::{ConformanceReport, check_config_schema, names};
use crate::record::Record;
use crate::transform::Transform;

/// Records of every odd shape a transform meets in real data: not objects,
/// empty, nulls, numbers beyond `f64`, escapes, nesting, long strings.
fn odd_records() -> Vec<Record> {
    let texts = [
        "null",
        "3",
        "\"text\"",
        "[1, 2]",
        "{}",
        r#"{"id": null}"#,
        r#"{"id": 1e400, "amount": 123456789012345678901234567890.5}"#,
        r#"{"id": "x\u0000y", "name": "\ud83d\ude00 \"q\" \\"}"#,
        r#"{"id": 1, "id": 2}"#,
        r#"{"a": {"b": {"c": [[[{"d": []}]]]}}}"#,
    ];
    let mut records: Vec<Record> = texts
        .iter()
        .filter_map(|t| Record::from_json(t.as_bytes().to_vec()).ok())
        .collect();
    records.push(json!({ "id": 7, "long": "x".repeat(100_000) }).into());
    records
}

/// Checks a transform against what the pipeline relies on:
///
/// - `config schema`: present and every property described (a missing
///   schema is a warning);
/// - `object safe`: it works as an `Arc<dyn Transform>` (`Send + Sync`),
///   how pipelines hold it; every call below goes through it;
/// - `no panic on odd records`: records that are not objects, empty,
///   `null` fields, numbers beyond `f64`, escapes and NULs, duplicate keys,
///   deep nesting and long strings give outputs or errors, never a panic;
/// - `gives the same outputs twice`: transforming `sample` twice gives the
///   same records (a rerun after a crash transforms the same page again
///   and must get the same records, or resuming inside a page would skip
///   or repeat some). Order needs no check: the pipeline calls the
///   transform record by record, in page order;
/// - `keeps records it passes`: a record given back unchanged keeps its
///   text, so records a transform does not touch stay bytes.
///
/// `sample` holds records of the shape the transform is meant for (it may
/// be empty, which skips the order checks). Checkpoints need no check of
/// the transform: the pipeline carries every page's checkpoint whatever
/// the transform gives, and its own tests prove it.
pub fn check_transform<T: Transform + 'static>(
    transform: T,
    sample: &[Record],
) -> ConformanceReport {
    let mut report = ConformanceReport::default();
    let transform: Arc<dyn Transform> = Arc::new(transform);
    check_config_schema(transform.config_schema(), &mut report);
    report.pass(names::OBJECT_SAFE);

    let mut panicked = Vec::new();
    for (i, record) in odd_records().into_iter().enumerate() {
        let mut out = Vec::new();
        let shown = record.to_string().chars().take(60).collect::<String>();
        if catch_unwind(AssertUnwindSafe(|| transform.transform(record, &mut out))).is_err() {
            panicked.push(format!("odd record {i} (`{shown}`)"));
        }
    }
    report.record(
        names::NO_PANIC,
        if panicked.is_empty() {
            Ok(())
        } else {
            Err(format!("panicked on {}", panicked.join(", ")))
        },
    );

    if sample.is_empty() {
        report.skip(names::DETERMINISTIC, "no sample records given");
        report.skip(names::KEEPS_PASSED, "no sample records given");
        return report;
    }
    let pass = || -> Result<Vec<Vec<Record>>, String> {
        sample
            .iter()
            .enumerate()
            .map(|(i, record)| {
                let mut out = Vec::new();
                catch_unwind(AssertUnwindSafe(|| {
                    transform.transform(record.clone(), &mut out)
                }))
                .map_err(|_| format!("panicked on sample record {i}"))?
                .map_err(|e| format!("failed on sample record {i}: {e}"))?;
                Ok(out)
            })
            .collect()
    };
    let order = pass().and_then(|first| {
        let second = pass()?;
        if first == second {
            Ok(first)
        } else {
            Err(
                "a second pass over the same records gave other outputs: a rerun would not \
                 match the stored position"
                    .to_owned(),
            )
        }
    });
    let outputs = match order {
        Ok(outputs) => {
            report.pass(names::DETERMINISTIC);
            outputs
        }
        Err(reason) => {
            report.fail(names::DETERMINISTIC, reason);
            report.skip(names::KEEPS_PASSED, "the repeat check failed");
            return report;
        }
    };
    let lost: Vec<usize> = sample
        .iter()
        .zip(&outputs)
        .enumerate()
        .filter(|(_, (input, out))| {
            input.raw_json().is_some()
                && out
                    .iter()
                    .any(|o| o == *input && o.raw_json() != input.raw_json())
        })
        .map(|(i, _)| i)
        .collect();
    report.record(
        names::KEEPS_PASSED,
        if lost.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "sample records {lost:?} came back equal but re-serialised: pass the record \
                 itself on (`out.push(record)`) to keep its text"
            ))
        },
    );
    report
}
