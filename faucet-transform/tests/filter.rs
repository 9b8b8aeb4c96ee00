//! `filter`: CEL expressions over a record's fields.

mod support;

use faucet_core::conformance::check_transform;
use faucet_core::connector::*;
use faucet_transform::*;
use support::*;

fn filter(expression: &str) -> FilterTransform {
    FilterTransform::new(FilterTransformConfig {
        where_: expression.to_owned(),
    })
    .unwrap()
}

fn keeps(t: &FilterTransform, json: &str) -> bool {
    match apply(t, text(json)).unwrap().as_slice() {
        [] => false,
        [kept] => {
            assert_eq!(kept.raw_json(), Some(json.as_bytes()), "kept as it is");
            true
        }
        more => panic!("{} outputs", more.len()),
    }
}

#[test]
fn it_conforms() {
    let sample: Vec<Record> = [r#"{"status": "active"}"#, r#"{"status": "gone"}"#, "{}"]
        .iter()
        .map(|t| text(t))
        .collect();
    check_transform(filter(r#"status == "active""#), &sample).assert_no_warnings();
}

#[test]
fn the_issue_example_keeps_active_records() {
    let t = filter(r#"status == "active""#);
    assert!(keeps(&t, r#"{"id": 1, "status": "active"}"#));
    assert!(!keeps(&t, r#"{"id": 2, "status": "gone"}"#));
    // A missing field is null; unicode and escapes are compared unescaped.
    assert!(!keeps(&t, r#"{"id": 3}"#));
    assert!(keeps(&t, r#"{"status": "\u0061ctive", "n": 1e400}"#));
    assert!(keeps(
        &filter(r#"name == "Zoë 😀""#),
        r#"{"name": "Zo\u00eb \ud83d\ude00"}"#
    ));
}

#[test]
fn numbers_nested_fields_and_lists() {
    let t = filter(r#"amount > 100 && country in ["DE", "FR"] && user.age >= 18"#);
    assert!(keeps(
        &t,
        r#"{"amount": 100.5, "country": "DE", "user": {"age": 18}}"#
    ));
    assert!(!keeps(
        &t,
        r#"{"amount": 100, "country": "DE", "user": {"age": 18}}"#
    ));
    let big = filter("id > 9223372036854775807u");
    assert!(keeps(&big, r#"{"id": 18446744073709551615}"#));
    let has = filter("has(user.email)");
    assert!(keeps(&has, r#"{"user": {"email": null}}"#));
    assert!(!keeps(&has, r#"{"user": {}}"#));
    let tags = filter(r#"tags.exists(t, t == "vip")"#);
    assert!(keeps(&tags, r#"{"tags": ["a", "vip"]}"#));
    // Tree records.
    assert_eq!(
        apply(
            &t,
            json!({"amount": 101, "country": "FR", "user": {"age": 30}}).into()
        )
        .unwrap()
        .len(),
        1
    );
}

#[test]
fn errors_name_the_field_or_types_never_values() {
    let t = filter("amount > 100");
    let e = error(&t, r#"{"amount": 1e400}"#);
    assert!(e.contains("field `amount`") && e.contains("beyond"), "{e}");
    let e = error(&t, r#"{"amount": "secret-value"}"#);
    assert!(!e.contains("secret-value"), "{e}");
    let e = error(&filter("name"), r#"{"name": "secret-value"}"#);
    assert!(
        e.contains("not a boolean") && !e.contains("secret-value"),
        "{e}"
    );
    assert!(error(&t, "[1]").contains("the record is an array"));
}

#[test]
fn a_bad_expression_is_a_config_error_at_where_with_its_position() {
    let err = FilterTransform::new(FilterTransformConfig {
        where_: r#"status == "active" &&"#.to_owned(),
    })
    .unwrap_err();
    let FaucetError::Config { path, message, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(path, "where");
    assert!(message.contains("line 1, column 22"), "{message}");
    let err = build_error("filter", json!({"where": "a ="}));
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "where"),
        "{err}"
    );
}

#[tokio::test]
async fn a_page_filtered_empty_still_passes_in_a_pipeline() {
    let pages = vec![
        vec![r#"{"id": 1, "ok": true}"#, r#"{"id": 2, "ok": false}"#],
        vec![r#"{"id": 3, "ok": false}"#],
        vec![r#"{"id": 4, "ok": true}"#],
    ];
    let stored = pipeline(filter("ok"), pages).await.unwrap();
    assert_eq!(
        stored,
        [r#"{"id": 1, "ok": true}"#, r#"{"id": 4, "ok": true}"#]
    );
}
