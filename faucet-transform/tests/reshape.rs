//! `set`, `cast`, `flatten`, `explode` and `metadata`.

mod support;

use faucet_core::conformance::check_transform;
use faucet_core::connector::*;
use faucet_transform::*;
use support::*;

fn build(name: &str, config: Value) -> Box<dyn Transform> {
    let mut registry = faucet_core::Registry::new();
    register(&mut registry);
    registry
        .build_transform(name, config)
        .expect("a good config")
}

fn sample() -> Vec<Record> {
    texts(&[
        r#"{"id": 1, "price": "12.50", "qty": 2, "user": {"name": "Ada", "tags": [1, 2]}, "items": [{"n": 1}, {"n": 2}]}"#,
        r#"{"id": 2, "price": 3, "qty": 1, "items": []}"#,
    ])
}

#[test]
fn they_conform() {
    let configs = [
        ("set", json!({"field": "total", "expression": "qty * 2"})),
        ("set", json!({"field": "meta.source", "value": "api"})),
        (
            "cast",
            json!({"fields": {"price": "number", "id": "string"}}),
        ),
        ("flatten", json!({})),
        ("explode", json!({"field": "items"})),
        ("metadata", json!({"fields": {"_source": "api"}})),
    ];
    for (name, config) in configs {
        let t = build(name, config);
        check_transform(t, &sample()).assert_no_warnings();
    }
}

#[test]
fn set_replaces_in_place_or_adds_and_creates_objects() {
    let t = build("set", json!({"field": "meta.source", "value": null}));
    assert_eq!(
        one(t.as_ref(), r#"{"id": 1}"#),
        r#"{"id":1,"meta":{"source":null}}"#
    );
    assert_eq!(
        one(
            t.as_ref(),
            r#"{"meta": {"source": "x", "n": 1e400}, "id": 1}"#
        ),
        r#"{"meta":{"source":null,"n":1e400},"id":1}"#
    );
    assert!(error(t.as_ref(), r#"{"meta": "text"}"#).contains("field `meta`"));
    let e = build(
        "set",
        json!({"field": "total", "expression": "price * double(qty)"}),
    );
    assert_eq!(
        one(e.as_ref(), r#"{"price": 2.5, "qty": 4}"#),
        r#"{"price":2.5,"qty":4,"total":10.0}"#
    );
    let e = build(
        "set",
        json!({"field": "name", "expression": r#"first + " " + last"#}),
    );
    assert_eq!(
        one(e.as_ref(), r#"{"first": "Zoë", "last": "Ö"}"#),
        r#"{"first":"Zoë","last":"Ö","name":"Zoë Ö"}"#
    );
    for (config, path) in [
        (
            json!({"field": "a", "value": 1, "expression": "1"}),
            "value",
        ),
        (json!({"field": "a"}), "value"),
        (json!({"field": "a", "expression": "1 +"}), "expression"),
        (json!({"field": "a..b", "value": 1}), "field"),
    ] {
        let err = build_error("set", config);
        assert!(
            matches!(&err, FaucetError::Config { path: p, .. } if p == path),
            "{err}"
        );
    }
}

#[test]
fn cast_converts_and_keeps_exact_text() {
    let t = build(
        "cast",
        json!({"fields": {"a": "integer", "b": "number", "c": "string", "d": "boolean", "e": "timestamp"}}),
    );
    assert_eq!(
        one(
            t.as_ref(),
            r#"{"a": " 123456789012345678901234567890 ", "b": "12.50", "c": 1e400, "d": "Yes", "e": "2024-05-01T14:00:00+02:00"}"#
        ),
        r#"{"a":123456789012345678901234567890,"b":12.50,"c":"1e400","d":true,"e":"2024-05-01T12:00:00Z"}"#
    );
    assert!(passes_as_is(
        t.as_ref(),
        r#"{"a": 1, "b": 2.5, "c": "x", "d": false, "e": "2024-05-01T12:00:00Z"}"#
    ));
    assert!(passes_as_is(t.as_ref(), r#"{"a": null, "x": 1}"#));
    assert_eq!(
        one(t.as_ref(), r#"{"a": 3.0, "c": {"k": [1]}}"#),
        r#"{"a":3,"c":"{\"k\": [1]}"}"#
    );
    assert_eq!(
        one(t.as_ref(), r#"{"e": 1714564800}"#),
        r#"{"e":"2024-05-01T12:00:00Z"}"#
    );
    let e = error(t.as_ref(), r#"{"a": "secret"}"#);
    assert!(
        e.contains("field `a`") && e.contains("a string that does not hold an integer"),
        "{e}"
    );
    assert!(!e.contains("secret"));
    assert!(error(t.as_ref(), r#"{"a": 1.5}"#).contains("has a fraction"));
    assert!(error(t.as_ref(), r#"{"d": 2}"#).contains("is not 1 or 0"));
    assert!(error(t.as_ref(), r#"{"b": "1e"}"#).contains("JSON number"));
    assert!(error(t.as_ref(), r#"{"e": 1e400}"#).contains("out of range"));
    let formatted = build(
        "cast",
        json!({"fields": {"when": "timestamp"}, "timestamp_format": "%d/%m/%Y %H:%M"}),
    );
    assert_eq!(
        one(formatted.as_ref(), r#"{"when": "01/05/2024 12:30"}"#),
        r#"{"when":"2024-05-01T12:30:00Z"}"#
    );
    let dates = build(
        "cast",
        json!({"fields": {"d": "timestamp"}, "timestamp_format": "%Y-%m-%d"}),
    );
    assert_eq!(
        one(dates.as_ref(), r#"{"d": "2024-05-01"}"#),
        r#"{"d":"2024-05-01T00:00:00Z"}"#
    );
    let err = build_error("cast", json!({"fields": {"a": "decimal"}}));
    assert!(err.to_string().contains("decimal"), "{err}");
}

#[test]
fn flatten_joins_keys_to_a_depth() {
    let t = build("flatten", json!({}));
    assert_eq!(
        one(
            t.as_ref(),
            r#"{"id": 1, "a": {"b": {"c": 12345678901234567890.1}, "e": {}}, "l": [{"x": 1}]}"#
        ),
        r#"{"id":1,"a__b__c":12345678901234567890.1,"a__e":{},"l":[{"x": 1}]}"#
    );
    assert!(passes_as_is(
        t.as_ref(),
        r#"{"id": 1, "l": [{"x": 1}], "e": {}}"#
    ));
    let shallow = build("flatten", json!({"separator": ".", "max_depth": 1}));
    assert_eq!(
        one(shallow.as_ref(), r#"{"a": {"b": {"c": 1}}}"#),
        r#"{"a.b":{"c": 1}}"#
    );
    assert!(
        matches!(build_error("flatten", json!({"max_depth": 0})), FaucetError::Config { path, .. } if path == "max_depth")
    );
    assert!(
        matches!(build_error("flatten", json!({"separator": ""})), FaucetError::Config { path, .. } if path == "separator")
    );
}

#[test]
fn explode_gives_one_record_per_element() {
    let t = build("explode", json!({"field": "order.lines"}));
    let out: Vec<String> = apply(
        t.as_ref(),
        text(r#"{"id": 1, "order": {"lines": [{"sku": "a"}, 2, "é"], "n": 1}}"#),
    )
    .unwrap()
    .iter()
    .map(|r| r.to_string())
    .collect();
    assert_eq!(
        out,
        [
            r#"{"id":1,"order":{"lines":{"sku": "a"},"n":1}}"#,
            r#"{"id":1,"order":{"lines":2,"n":1}}"#,
            r#"{"id":1,"order":{"lines":"é","n":1}}"#
        ]
    );
    for empty in [
        r#"{"id": 1, "order": {"lines": []}}"#,
        r#"{"id": 1}"#,
        r#"{"order": {"lines": null}}"#,
    ] {
        assert!(passes_as_is(t.as_ref(), empty), "{empty}");
    }
    let dropping = build("explode", json!({"field": "items", "keep_empty": false}));
    assert!(
        apply(dropping.as_ref(), text(r#"{"items": []}"#))
            .unwrap()
            .is_empty()
    );
    assert!(
        error(dropping.as_ref(), r#"{"items": "abc"}"#)
            .contains("field `items`: is a string, not an array")
    );
}

#[test]
fn metadata_adds_one_load_time_per_run_and_constants() {
    let t = build("metadata", json!({"fields": {"_source": "api"}}));
    let a = apply(t.as_ref(), text(r#"{"id": 1}"#)).unwrap();
    let b = apply(t.as_ref(), text(r#"{"id": 2, "_source": "x"}"#)).unwrap();
    let at = a[0]["_faucet_loaded_at"].as_str().unwrap().to_owned();
    assert!(at.ends_with('Z') && at.len() == 27, "{at}");
    assert_eq!(b[0]["_faucet_loaded_at"], at.as_str());
    assert_eq!(
        b[0].to_string(),
        format!(r#"{{"id":2,"_source":"api","_faucet_loaded_at":"{at}"}}"#)
    );
    let plain = build("metadata", json!({"loaded_at": null, "fields": {"k": 1}}));
    assert_eq!(one(plain.as_ref(), "{}"), r#"{"k":1}"#);
    assert!(matches!(
        build_error("metadata", json!({"loaded_at": null})),
        FaucetError::Config { .. }
    ));
}

#[tokio::test]
async fn in_a_pipeline() {
    let pages = vec![
        vec![r#"{"id": 1, "items": [1, 2]}"#],
        vec![r#"{"id": 2, "items": []}"#],
    ];
    let t = build("explode", json!({"field": "items", "keep_empty": false}));
    let stored = pipeline(t, pages.clone()).await.unwrap();
    assert_eq!(stored, [r#"{"id":1,"items":1}"#, r#"{"id":1,"items":2}"#]);
    let t = build("cast", json!({"fields": {"id": "string"}}));
    let stored = pipeline(t, pages).await.unwrap();
    assert_eq!(stored[1], r#"{"id":"2","items":[]}"#);
}
