//! The transform checks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde_json::json;

use super::{ConformanceReport, check_config_schema, names};
use crate::record::Record;
use crate::schema::infer_schema;
use crate::transform::Transform;

#[path = "transform_schema.rs"]
pub(super) mod schema;

/// The name of the output-schema check.
pub(super) const OUTPUT_SCHEMA: &str = "outputs fit the output schema";

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
///   text, so records a transform does not touch stay bytes;
/// - `outputs fit the output schema`: `output_schema` does not panic (on
///   `{}`, `true`, `false` and the sample's schema), and for the schema
///   `discover` would infer from `sample` (closed: no keys but those seen),
///   the sample's outputs fit the schema the transform says they have (a
///   structural reading: types, properties, required and additional keys,
///   items, variants), so `discover` and `check` stay truthful after the
///   transform. A transform that changes types or keys while keeping the
///   default `output_schema` (input unchanged) fails it.
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
        report.skip(OUTPUT_SCHEMA, "no sample records given");
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
            report.skip(OUTPUT_SCHEMA, "the repeat check failed");
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
    let fit = outputs_fit(transform.as_ref(), sample, &outputs);
    report.record(OUTPUT_SCHEMA, fit);
    report
}

/// Whether `outputs` (of `sample`, record by record) fit the output schema
/// for the sample's inferred schema.
fn outputs_fit(
    transform: &dyn Transform,
    sample: &[Record],
    outputs: &[Vec<Record>],
) -> Result<(), String> {
    let input = schema::close(infer_schema(sample));
    for odd in [json!({}), json!(true), json!(false), input.clone()] {
        if catch_unwind(AssertUnwindSafe(|| transform.output_schema(&odd))).is_err() {
            return Err(format!("output_schema panicked on the schema `{odd}`"));
        }
    }
    let output = transform.output_schema(&input);
    for (i, out) in outputs.iter().enumerate() {
        for (j, record) in out.iter().enumerate() {
            let Ok(value) = record.to_value() else {
                continue;
            };
            if let Some(why) = schema::misfit(&value, &output, "record") {
                return Err(format!(
                    "output {j} of sample record {i} does not fit output_schema for the \
                     sample's schema ({why}); implement output_schema (the default says \
                     records keep their input schema)"
                ));
            }
        }
    }
    Ok(())
}
