use bytes::Bytes;
use serde_json::json;

use super::*;

fn text(json: &str) -> Record {
    Record::from_json(Bytes::copy_from_slice(json.as_bytes())).unwrap()
}

fn fields(record: &Record) -> Vec<(String, String)> {
    record
        .fields()
        .unwrap()
        .map(|f| {
            let (k, v) = f.unwrap();
            let mut out = Vec::new();
            v.write_json(&mut out);
            (k.into_owned(), String::from_utf8(out).unwrap())
        })
        .collect()
}

#[test]
fn text_records_keep_their_bytes() {
    let body = r#"{"id":1,"price":12345678901234567890.123456789012345678,"big":1e400}"#;
    let record = text(body);
    let mut out = Vec::new();
    record.write_json(&mut out);
    assert_eq!(out, body.as_bytes());
    assert_eq!(record.to_json_bytes(), body.as_bytes());
    assert_eq!(record.raw_json(), Some(body.as_bytes()));
    // A tree cannot hold 1e400: the tree view says so instead of rounding.
    let err = record.value().unwrap_err().to_string();
    assert!(err.contains("cannot be read as a serde_json tree"), "{err}");
    assert_eq!(record["id"], Value::Null);
    let ValueRef::Number(n) = record.field("price").unwrap().unwrap() else {
        panic!("a number")
    };
    assert_eq!(n.as_str(), "12345678901234567890.123456789012345678");
    assert!(!n.is_integer());
    let ValueRef::Number(n) = record.field("big").unwrap().unwrap() else {
        panic!("a number")
    };
    assert_eq!(n.as_f64(), None, "1e400 is beyond f64, never infinity");
}

#[test]
fn pretty_text_is_written_on_one_line() {
    let record = text("{\n  \"a\": [1, 2],\n  \"b\": \"x  y\\n\"\n}\n");
    let mut out = Vec::new();
    record.write_json(&mut out);
    assert_eq!(out, br#"{"a":[1,2],"b":"x  y\n"}"#);
    assert_eq!(record, json!({"a": [1, 2], "b": "x  y\n"}));
}

#[test]
fn fields_are_visited_in_order_with_nested_text_kept() {
    let record = text(
        r#" { "z" : {"k": [1, {"x": "}"}]}, "a\"b": "q\u00e9\ud83d\ude00", "n": null, "t": true, "d": 1, "d": 2 } "#,
    );
    assert_eq!(
        fields(&record),
        [
            ("z".into(), r#"{"k": [1, {"x": "}"}]}"#.into()),
            ("a\"b".into(), "\"qé😀\"".into()),
            ("n".into(), "null".into()),
            ("t".into(), "true".into()),
            ("d".into(), "1".into()),
            ("d".into(), "2".into()),
        ]
    );
    // The last of a repeated key wins, as in a tree.
    assert_eq!(record.field("d").unwrap().unwrap().to_value().unwrap(), 2);
    assert_eq!(record["d"], 2);
    assert_eq!(record.field("missing").unwrap(), None);
}

#[test]
fn plain_fields_are_borrowed() {
    let record = text(r#"{"name":"ada","n":-0}"#);
    let mut iter = record.fields().unwrap();
    let (key, value) = iter.next().unwrap().unwrap();
    assert!(matches!(key, std::borrow::Cow::Borrowed("name")));
    assert!(matches!(
        value,
        ValueRef::String(std::borrow::Cow::Borrowed("ada"))
    ));
    let (_, value) = iter.next().unwrap().unwrap();
    let ValueRef::Number(n) = value else { panic!() };
    assert_eq!(n.as_str(), "-0", "-0 keeps its sign as text");
    assert!(iter.next().is_none());
}

#[test]
fn tree_records_give_the_same_views() {
    let record = Record::from(json!({"a": 1, "b": {"c": [true]}, "s": "x"}));
    assert_eq!(record.raw_json(), None);
    assert_eq!(
        fields(&record),
        [
            ("a".into(), "1".into()),
            ("b".into(), r#"{"c":[true]}"#.into()),
            ("s".into(), r#""x""#.into()),
        ]
    );
    assert_eq!(
        record.to_json_bytes(),
        br#"{"a":1,"b":{"c":[true]},"s":"x"}"#[..]
    );
    assert_eq!(record, text(r#"{"a": 1, "b": {"c": [true]}, "s": "x"}"#));
}

#[test]
fn non_objects_have_no_fields() {
    for json in ["[1,2]", "3", "\"s\"", "null"] {
        let record = text(json);
        assert!(!record.is_object());
        assert!(record.fields().is_none());
        assert_eq!(record.field("a").unwrap(), None);
    }
    assert!(text("{}").fields().unwrap().next().is_none());
}

#[test]
fn invalid_text_is_refused_when_made() {
    for bad in ["{", "{\"a\":}", "[1,]", "", "1 2", "{\"a\":\"\u{0001}\"}"] {
        assert!(
            Record::from_json(Bytes::copy_from_slice(bad.as_bytes())).is_err(),
            "{bad:?}"
        );
    }
    // Deep nesting stays text (the scanner does not recurse); a tree of
    // it is refused with a clear error instead of a stack overflow.
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let record = Record::from_json(deep.clone()).unwrap();
    assert_eq!(record.to_json_bytes(), deep.as_bytes());
    let err = record.value().unwrap_err().to_string();
    assert!(err.contains("recursion limit"), "{err}");
}

#[test]
fn a_lone_surrogate_is_an_error_in_the_view_not_a_panic() {
    let record = text(r#"{"s":"\ud800"}"#);
    assert!(record.fields().unwrap().next().unwrap().is_err());
    assert!(record.value().is_err());
}

#[test]
fn raw_values_share_the_page_body() {
    let body = Bytes::from_static(br#"{"data":[{"id":1},{"id":2}]}"#);
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
    }
    let page: Page<'_> = serde_json::from_slice(&body).unwrap();
    let records: Vec<Record> = page
        .data
        .iter()
        .map(|r| Record::from_raw(&body, r))
        .collect();
    assert_eq!(records, [json!({"id": 1}), json!({"id": 2})]);
    let first = records[0].raw_json().unwrap();
    assert!(body.as_ptr_range().contains(&first.as_ptr()));
    // A value from elsewhere is copied.
    let other: &RawValue = serde_json::from_str("[3]").unwrap();
    assert_eq!(Record::from_raw(&body, other), json!([3]));
}

#[test]
fn serialize_writes_the_text_as_is() {
    let record = text(r#"{"n":1.000000000000000000001}"#);
    assert_eq!(
        serde_json::to_string(&vec![record]).unwrap(),
        r#"[{"n":1.000000000000000000001}]"#
    );
    let back: Record = serde_json::from_str(r#"{"a":[1]}"#).unwrap();
    assert_eq!(back, json!({"a": [1]}));
}

#[test]
fn long_strings_pass_through() {
    let long = "é".repeat(600_000);
    let record = text(&json!({ "s": long }).to_string());
    assert_eq!(
        record.field("s").unwrap().unwrap().as_str(),
        Some(long.as_str())
    );
}

fn run_of<'a>(fields: &[RawField<'a>]) -> FieldRun<'a> {
    let mut run = FieldRun::default();
    for field in fields {
        run.push(*field);
    }
    run
}

#[test]
fn raw_fields_copy_runs_and_rename_without_reading_values() {
    let text =
        r#"{"a":1,"b\u0041":"x\"y", "c": {"n": [1, 2]},"d":12345678901234567890123,"b":null}"#;
    let record = Record::from_json(text).unwrap();
    let fields: Vec<RawField<'_>> = record.raw_fields().unwrap().collect();
    assert_eq!(fields.len(), 5);
    assert_eq!(fields[1].key().unwrap(), "bA");
    assert!(fields[1].key_is("bA").unwrap());
    assert!(!fields[1].key_is("b").unwrap());
    assert_eq!(fields[2].value_text(), br#"{"n": [1, 2]}"#);
    assert_eq!(fields[1].value().unwrap(), ValueRef::String("x\"y".into()));
    let compact: Vec<bool> = fields.iter().map(RawField::is_compact).collect();
    assert_eq!(compact, [true, true, false, true, true]);
    let mut out = ObjectWriter::new();
    out.run(&run_of(&fields[0..2]))
        .field_as("renamed", &fields[3])
        .run(&run_of(&fields[2..3]))
        .run(&FieldRun::default())
        .run(&run_of(&fields[3..5]));
    let written = out.finish();
    // A compact run is copied as it is; a spaced one loses the spaces
    // around its keys, not those inside its nested value.
    assert_eq!(
        written.raw_json().unwrap(),
        br#"{"a":1,"b\u0041":"x\"y","renamed":12345678901234567890123,"c":{"n": [1, 2]},"d":12345678901234567890123,"b":null}"#
    );
    let expected = r#"{"a":1,"bA":"x\"y","renamed":12345678901234567890123,"c":{"n":[1,2]},"d":12345678901234567890123,"b":null}"#;
    assert_eq!(written, Record::from_json(expected).unwrap());
}

#[test]
fn a_spaced_or_pretty_printed_run_is_written_compact() {
    for text in [
        "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"x y\"\n  },\n  \"z\": 2\n}",
        r#"{ "a" : 1 , "b": {"c":"x y"}, "z": 2}"#,
    ] {
        let record = Record::from_json(text).unwrap();
        let fields: Vec<_> = record.raw_fields().unwrap().collect();
        let mut out = ObjectWriter::new();
        out.run(&run_of(&fields[0..2])).field_as("y", &fields[2]);
        let text = out.finish().to_json_bytes();
        assert_eq!(&text[..], br#"{"a":1,"b":{"c":"x y"},"y":2}"#);
    }
}

#[test]
#[should_panic(expected = "fields of one record in order")]
fn fields_of_two_records_are_refused() {
    let one = Record::from_json(r#"{"a": 1}"#).unwrap();
    let two = Record::from_json(r#"{"b": 2}"#).unwrap();
    let mut run = FieldRun::default();
    run.push(one.raw_fields().unwrap().next().unwrap());
    run.push(two.raw_fields().unwrap().next().unwrap());
}

#[test]
#[should_panic(expected = "fields of one record in order")]
fn fields_out_of_order_are_refused() {
    let one = Record::from_json(r#"{"a": 1, "b": 2}"#).unwrap();
    let fields: Vec<_> = one.raw_fields().unwrap().collect();
    run_of(&[fields[1], fields[0]]);
}

#[test]
fn trees_and_non_objects_have_no_raw_fields() {
    assert!(Record::from(json!({"a": 1})).raw_fields().is_none());
    assert!(Record::from_json("[1]").unwrap().raw_fields().is_none());
    assert_eq!(
        Record::from_json("{}")
            .unwrap()
            .raw_fields()
            .unwrap()
            .count(),
        0
    );
}

/// Objects of every shape the index must describe exactly as a scan does.
const SHAPES: &[&str] = &[
    "{}",
    "{ }",
    r#"{"a":1}"#,
    r#"{"id":7,"first_name":"Ada","amount":12.50,"attributes":{"tier":"pro","tags":["a","b"]}}"#,
    r#"{ "a" : 1 , "b": {"c":"x y"}, "z": 2}"#,
    "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"x y\"\n  },\n  \"z\": [\n 1\n]\n}",
    r#"{"b\u0041":"x\"y","c":"\\","d":"plain","d":null,"e\"":true,"f":false}"#,
    r#"{"n":-0.5e-3,"big":12345678901234567890123,"s":"é😀","o":{},"l":[]}"#,
];

fn written(value: &ValueRef<'_>) -> String {
    let mut out = Vec::new();
    value.write_json(&mut out);
    String::from_utf8(out).unwrap()
}

/// Fields, lookups by key and copied runs give the same whether the
/// record's fields were scanned or read from its index.
#[test]
fn an_indexed_record_reads_as_a_scanned_one() {
    for text in SHAPES {
        let scanned = Record::from_json(*text).unwrap();
        let indexed = Record::from_json(*text).unwrap();
        assert!(indexed.raw_fields().is_some(), "builds the index");
        let by_scan = fields(&scanned);
        assert_eq!(fields(&indexed), by_scan, "{text}");
        let json = scanned.raw_json().unwrap();
        for (key, _) in by_scan
            .iter()
            .chain([("missing".to_owned(), String::new())].iter())
        {
            let want = fields::field_of_text(json, key)
                .unwrap()
                .map(|v| written(&v));
            let got = indexed.field(key).unwrap().map(|v| written(&v));
            assert_eq!(got, want, "{key} of {text}");
        }
        // Every run copied from the index is what the same run copied
        // from a scan writes, and its index is the output's (checked by
        // `finish` in debug builds).
        let from_index: Vec<RawField<'_>> = indexed.raw_fields().unwrap().collect();
        let from_scan: Vec<RawField<'_>> = RawFields::of(json, None).collect();
        assert_eq!(from_index.len(), from_scan.len());
        for start in 0..from_scan.len() {
            for end in start..=from_scan.len() {
                let copy = |fields: &[RawField<'_>]| {
                    let mut out = ObjectWriter::new();
                    out.run(&run_of(&fields[start..end]));
                    if let Some(last) = fields.get(end) {
                        out.field_as("renamed", last);
                    }
                    out.finish()
                };
                let (a, b) = (copy(&from_index), copy(&from_scan));
                assert_eq!(a.raw_json(), b.raw_json(), "{start}..{end} of {text}");
                assert_eq!(
                    fields(&a),
                    fields(&Record::from_json(a.to_json_bytes()).unwrap())
                );
            }
        }
    }
}

/// A record stays small: stages move records by value, and every byte
/// of it is copied with each move.
#[test]
fn a_record_is_at_most_ten_words() {
    assert!(
        std::mem::size_of::<Record>() <= 80,
        "{}",
        std::mem::size_of::<Record>()
    );
}
