//! `select`, `drop` and `rename`: the transforms that pick and name fields.

mod support;

use faucet_core::conformance::check_transform;
use faucet_core::connector::*;
use faucet_transform::*;
use support::*;

fn select(fields: &[&str]) -> SelectTransform {
    SelectTransform::new(SelectTransformConfig {
        fields: fields.iter().map(|f| f.to_string()).collect(),
    })
    .unwrap()
}

fn drop_(fields: &[&str]) -> DropTransform {
    DropTransform::new(DropTransformConfig {
        fields: fields.iter().map(|f| f.to_string()).collect(),
    })
    .unwrap()
}

fn rename(pairs: &[(&str, &str)]) -> RenameTransform {
    RenameTransform::new(RenameTransformConfig {
        fields: pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    })
    .unwrap()
}

fn sample() -> Vec<Record> {
    texts(&[
        r#"{"id": 1, "name": "Ada", "user": {"email": "a@x", "ssn": "1"}}"#,
        r#"{"id": 2}"#,
        r#"{"id":3,"name":"Bo","extra":[1,2]}"#,
    ])
}

#[test]
fn they_conform() {
    check_transform(select(&["id", "user.email"]), &sample()).assert_no_warnings();
    check_transform(drop_(&["name", "user.ssn"]), &sample()).assert_no_warnings();
    check_transform(
        rename(&[("name", "full_name"), ("user.email", "mail")]),
        &sample(),
    )
    .assert_no_warnings();
}

#[test]
fn select_keeps_named_fields_in_record_order_with_their_text() {
    let t = select(&["price", "id", "user.email"]);
    assert_eq!(
        one(
            &t,
            r#"{"id": 12345678901234567890123.50, "x": 1, "price": 1e400, "user": {"email": "\u00e9@x", "n": 2}}"#
        ),
        // Kept fields are copied as written (escapes, digits), compact.
        r#"{"id":12345678901234567890123.50,"price":1e400,"user":{"email":"\u00e9@x"}}"#
    );
    // Missing fields are left out; a path through a non-object keeps nothing.
    assert_eq!(one(&t, r#"{"user": "text", "y": 2}"#), "{}");
    assert!(passes_as_is(&t, r#"{"id": null}"#));
    // A record of exactly the selected fields is passed on untouched.
    assert!(passes_as_is(&t, r#"{"id": 1,  "user": {"email": "e"}}"#));
    // Tree records work the same.
    let out = apply(&t, json!({"id": 7, "user": {"email": "e", "x": 1}}).into()).unwrap();
    assert_eq!(out, [json!({"id": 7, "user": {"email": "e"}})]);
}

#[test]
fn drop_removes_fields_at_any_depth() {
    let t = drop_(&["password", "user.ssn"]);
    assert_eq!(
        one(
            &t,
            r#"{"id": 1, "password": "p", "user": {"ssn": "s", "name": "n"}}"#
        ),
        r#"{"id":1,"user":{"name":"n"}}"#
    );
    assert!(passes_as_is(&t, r#"{"id": 1, "user": {"name": "n"}}"#));
    assert!(passes_as_is(&t, r#"{"id": 1, "user": "not an object"}"#));
    // A repeated key is removed every time.
    assert_eq!(
        one(&t, r#"{"password": 1, "a": 2, "password": 3}"#),
        r#"{"a":2}"#
    );
}

#[test]
fn rename_keeps_place_and_text() {
    let t = rename(&[
        ("createdAt", "created_at"),
        ("user.firstName", "first_name"),
    ]);
    assert_eq!(
        one(
            &t,
            r#"{"id": 1, "createdAt": "2024", "user": {"firstName": "Ada", "n": 1e400}}"#
        ),
        r#"{"id":1,"created_at":"2024","user":{"first_name":"Ada","n":1e400}}"#
    );
    assert!(passes_as_is(&t, r#"{"id": 1}"#));
    // A key with a dot is addressed as `a\.b`.
    let dotted = rename(&[(r"a\.b", "ab")]);
    assert_eq!(
        one(&dotted, r#"{"a.b": 1, "a": {"b": 2}}"#),
        r#"{"ab":1,"a":{"b": 2}}"#
    );
}

#[test]
fn non_objects_are_errors_naming_the_record_kind_not_its_content() {
    for t in [
        Box::new(select(&["id"])) as Box<dyn Transform>,
        Box::new(drop_(&["id"])),
        Box::new(rename(&[("id", "key")])),
    ] {
        assert!(error(t.as_ref(), "[1, 2]").contains("the record is an array"));
        assert!(error(t.as_ref(), r#""secret""#).contains("the record is a string"));
        assert!(!error(t.as_ref(), r#""secret""#).contains("secret"));
        assert!(error(t.as_ref(), "null").contains("null"));
    }
}

#[test]
fn bad_configs_name_their_path() {
    let err = SelectTransform::new(SelectTransformConfig {
        fields: vec!["a".into(), "b..c".into()],
    })
    .unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "fields[1]"),
        "{err}"
    );
    let err = DropTransform::new(DropTransformConfig { fields: vec![] }).unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "fields"),
        "{err}"
    );
    let err = RenameTransform::new(RenameTransformConfig {
        fields: [("a".to_owned(), String::new())].into(),
    })
    .unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "fields.a"),
        "{err}"
    );
    let err = build_error("select", json!({"fields": ["id"], "feilds": 1}));
    assert!(err.to_string().contains("feilds"), "{err}");
}

#[tokio::test]
async fn in_a_pipeline_they_keep_page_order() {
    let pages = vec![
        vec![r#"{"id": 1, "a": 1}"#, r#"{"id": 2, "a": 2}"#],
        vec![],
        vec![r#"{"id": 3, "a": 3}"#],
    ];
    let stored = pipeline(select(&["id"]), pages.clone()).await.unwrap();
    assert_eq!(stored, [r#"{"id":1}"#, r#"{"id":2}"#, r#"{"id":3}"#]);
    let stored = pipeline(drop_(&["id"]), pages.clone()).await.unwrap();
    assert_eq!(stored, [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#]);
    let stored = pipeline(rename(&[("a", "b")]), pages).await.unwrap();
    assert_eq!(stored[2], r#"{"id":3,"b":3}"#);
}
