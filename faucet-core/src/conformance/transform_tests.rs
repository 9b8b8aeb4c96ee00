//! Each transform check fails on the transform it is meant to catch.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

use super::{check_transform, names};
use crate::check::CheckStatus;
use crate::connector::*;

/// Drops records whose `drop` field is `true`; passes the rest untouched.
struct DropFlagged;

impl Transform for DropFlagged {
    fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
        if record.field("drop")?.and_then(|v| v.as_bool()) != Some(true) {
            out.push(record);
        }
        Ok(())
    }
}

fn sample() -> Vec<Record> {
    [
        r#"{"id":1,"drop":false}"#,
        r#"{"id":2,"drop":true}"#,
        r#"{"id":3}"#,
    ]
    .iter()
    .map(|t| Record::from_json(t.as_bytes().to_vec()).unwrap())
    .collect()
}

fn failed(report: &super::ConformanceReport, check: &str) -> bool {
    matches!(report.status(check), Some(CheckStatus::Failed(_)))
}

#[test]
fn a_correct_transform_passes_with_a_warning_for_its_missing_schema() {
    let report = check_transform(DropFlagged, &sample());
    report.assert_passed();
    assert_eq!(report.warnings.len(), 1, "no config schema");
}

#[test]
fn a_transform_that_panics_on_odd_records_fails() {
    struct Unwraps;
    impl Transform for Unwraps {
        fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
            let id = record.value().unwrap()["id"].as_u64().unwrap();
            out.push(json!({ "id": id + 1 }).into());
            Ok(())
        }
    }
    let report = check_transform(Unwraps, &[json!({"id": 1}).into()]);
    assert!(failed(&report, names::NO_PANIC), "{report:?}");
}

#[test]
fn a_transform_with_outputs_that_change_between_passes_fails() {
    struct Counter(AtomicU64);
    impl Transform for Counter {
        fn transform(&self, _record: Record, out: &mut Vec<Record>) -> Result<()> {
            out.push(json!({ "n": self.0.fetch_add(1, Ordering::Relaxed) }).into());
            Ok(())
        }
    }
    let report = check_transform(Counter(AtomicU64::new(0)), &sample());
    assert!(failed(&report, names::DETERMINISTIC), "{report:?}");
}

#[test]
fn a_transform_that_reserialises_records_it_does_not_change_fails() {
    struct Rebuild;
    impl Transform for Rebuild {
        fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
            out.push(record.to_value()?.into());
            Ok(())
        }
    }
    let report = check_transform(Rebuild, &sample());
    assert!(failed(&report, names::KEEPS_PASSED), "{report:?}");
}

#[test]
fn without_a_sample_the_repeat_checks_are_skipped_not_passed() {
    let report = check_transform(DropFlagged, &[]);
    assert!(matches!(
        report.status(names::DETERMINISTIC),
        Some(CheckStatus::Skipped(_))
    ));
}

#[test]
fn a_transform_whose_outputs_do_not_fit_its_output_schema_fails() {
    /// Turns `id` into a string, keeping the default output schema.
    struct Stringify;
    impl Transform for Stringify {
        fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
            let id = record
                .field("id")?
                .and_then(|v| v.to_value().ok())
                .map(|v| v.to_string());
            out.push(json!({ "id": id }).into());
            Ok(())
        }
    }
    let report = check_transform(Stringify, &sample());
    assert!(
        failed(&report, super::transform::OUTPUT_SCHEMA),
        "{report:?}"
    );
    let reason = report
        .failures()
        .find(|(name, _)| *name == super::transform::OUTPUT_SCHEMA)
        .map(|(_, why)| why.to_owned())
        .unwrap();
    assert!(reason.contains("record.id: is a string"), "{reason}");

    /// The same, telling its output schema.
    struct Told;
    impl Transform for Told {
        fn transform(&self, record: Record, out: &mut Vec<Record>) -> Result<()> {
            Stringify.transform(record, out)
        }
        fn output_schema(&self, _input: &Value) -> Value {
            json!({"type": "object", "properties": {"id": {"type": ["string", "null"]}}})
        }
    }
    check_transform(Told, &sample()).assert_passed();
}

#[test]
fn the_fit_reads_required_closed_objects_items_and_variants() {
    use super::transform::schema::misfit;
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"type": "integer"}, {"const": "x"}]},
            "l": {"type": "array", "items": {"type": "string"}, "maxItems": 2}
        },
        "required": ["a"],
        "additionalProperties": false
    });
    assert_eq!(misfit(&json!({"a": 1, "l": ["s"]}), &schema, "r"), None);
    assert_eq!(misfit(&json!({"a": "x"}), &schema, "r"), None);
    let why = |v: Value| misfit(&v, &schema, "r").unwrap();
    assert!(why(json!({})).contains("lacks `a`"));
    assert!(why(json!({"a": "y"})).contains("r.a: fits none of the schema's `anyOf`"));
    assert!(why(json!({"a": 1, "b": 2})).contains("r.b: the schema allows no value"));
    assert!(why(json!({"a": 1, "l": [3]})).contains("r.l[0]: is a number"));
    assert!(why(json!({"a": 1, "l": ["", "", ""]})).contains("maxItems"));
    assert_eq!(misfit(&json!(2.0), &json!({"type": "integer"}), "r"), None);
}

#[test]
fn a_transform_that_adds_a_key_under_the_default_output_schema_fails() {
    struct Stamps;
    impl Transform for Stamps {
        fn transform(&self, _record: Record, out: &mut Vec<Record>) -> Result<()> {
            out.push(json!({"id": 1, "stamped": true}).into());
            Ok(())
        }
    }
    let report = check_transform(Stamps, &sample());
    assert!(
        failed(&report, super::transform::OUTPUT_SCHEMA),
        "{report:?}"
    );
}
