//! `hash`, `redact` and `dedupe`.

mod support;

use faucet_core::conformance::check_transform;
use faucet_core::connector::*;
use faucet_transform::*;
use support::*;

const SALT: &str = "a-very-secret-salt-0123";

fn hash() -> HashTransform {
    HashTransform::new(HashTransformConfig {
        fields: vec!["email".into(), "user.phone".into()],
        salt: SALT.into(),
    })
    .unwrap()
}

fn dedupe(max_keys: usize) -> DedupeTransform {
    DedupeTransform::new(DedupeTransformConfig {
        keys: vec!["id".into(), "k.v".into()],
        max_keys,
    })
    .unwrap()
}

fn sample() -> Vec<Record> {
    texts(&[
        r#"{"id": 1, "email": "a@x", "ssn": "1"}"#,
        r#"{"id": 2, "user": {"phone": 5}}"#,
        r#"{"id": 3}"#,
    ])
}

#[test]
fn they_conform() {
    check_transform(hash(), &sample()).assert_no_warnings();
    let redact = RedactTransform::new(RedactTransformConfig {
        fields: vec!["ssn".into()],
        mask: "***".into(),
    });
    check_transform(redact.unwrap(), &sample()).assert_no_warnings();
    // `dedupe` keeps state for its run, so a second pass over the same
    // records drops them all: the kit's repeat check does not apply.
    check_transform(dedupe(10), &[]).assert_no_warnings();
}

#[test]
fn hash_is_hmac_sha256_hex_and_keeps_nulls() {
    // The digest Python's `hmac.new(key, msg, hashlib.sha256).hexdigest()` gives.
    let known = HashTransform::new(HashTransformConfig {
        fields: vec!["m".into()],
        salt: "key-key-key-key-".into(),
    })
    .unwrap();
    let out = one(
        &known,
        r#"{"m": "The quick brown fox jumps over the lazy dog"}"#,
    );
    assert_eq!(
        out,
        r#"{"m":"ef0080e4ab69f60ee5c1e0174c8787a7c7cff0e8ce23539807a123c16ba485be"}"#
    );
    let t = hash();
    let a = one(&t, r#"{"email": "a@x", "user": {"phone": 1234, "n": 1}}"#);
    let b = one(&t, r#"{"email": "\u0061@x", "user": {"phone": 1234}}"#);
    let digest = |s: &str, k: &str| text(s).value().unwrap()[k].clone();
    assert_eq!(
        digest(&a, "email"),
        digest(&b, "email"),
        "escapes hash as the text they mean"
    );
    assert_ne!(digest(&a, "email"), json!("a@x"));
    assert!(!a.contains("1234") && !a.contains("a@x"));
    assert!(passes_as_is(&t, r#"{"email": null, "id": 1}"#));
    let other = HashTransform::new(HashTransformConfig {
        fields: vec!["email".into()],
        salt: "another-secret-salt!".into(),
    })
    .unwrap();
    assert_ne!(
        digest(&one(&other, r#"{"email": "a@x"}"#), "email"),
        digest(&a, "email")
    );
}

#[test]
fn the_salt_never_shows() {
    let config = HashTransformConfig {
        fields: vec!["email".into()],
        salt: SALT.into(),
    };
    assert!(!format!("{config:?}").contains(SALT));
    assert!(!format!("{:?}", hash()).contains(SALT));
    let short = "short-salt";
    let err = build_error("hash", json!({"fields": ["email"], "salt": short}));
    assert!(
        matches!(&err, FaucetError::Config { path, .. } if path == "salt"),
        "{err}"
    );
    assert!(!err.to_string().contains(short));
}

#[test]
fn redact_masks_any_value_but_null() {
    let t = RedactTransform::new(RedactTransformConfig {
        fields: vec!["ssn".into(), "card.number".into()],
        mask: "[hidden]".into(),
    })
    .unwrap();
    assert_eq!(
        one(
            &t,
            r#"{"ssn": {"a": 1}, "card": {"number": 4111111111111111, "exp": "12/30"}}"#
        ),
        r#"{"ssn":"[hidden]","card":{"number":"[hidden]","exp":"12/30"}}"#
    );
    assert!(passes_as_is(&t, r#"{"ssn": null, "card": {"exp": 1}}"#));
    assert!(passes_as_is(&t, r#"{"ssn": "[hidden]"}"#));
}

#[test]
fn dedupe_keeps_the_first_of_each_key_within_its_limit() {
    let t = dedupe(3);
    let kept = |json: &str| apply(&t, text(json)).unwrap().len() == 1;
    assert!(kept(r#"{"id": 1, "k": {"v": "a"}}"#));
    assert!(!kept(r#"{"k": {"v": "a"}, "id": 1, "other": 2}"#));
    assert!(kept(r#"{"id": 1, "k": {"v": "b"}}"#));
    assert!(
        kept(r#"{"id": 1}"#),
        "a missing key part is a key of its own"
    );
    assert!(!kept(r#"{"id": 1, "k": {}}"#));
    let err = apply(&t, text(r#"{"id": 1, "k": {"v": null}}"#)).unwrap_err();
    assert!(
        matches!(&err, FaucetError::Config { path, message, .. } if path == "max_keys" && message.contains('3')),
        "{err}"
    );
    assert!(
        !kept(r#"{"id": 1, "k": {"v": "b"}}"#),
        "seen keys still drop after the limit"
    );
    assert!(
        apply(&t, text("[1]"))
            .unwrap_err()
            .to_string()
            .contains("the record is an array")
    );
}

#[tokio::test]
async fn in_a_pipeline_dedupe_spans_pages() {
    let pages = vec![
        vec![r#"{"id": 1}"#, r#"{"id": 2}"#],
        vec![r#"{"id": 1}"#],
        vec![r#"{"id": 3}"#, r#"{"id": 2}"#],
    ];
    let stored = pipeline(dedupe(100), pages).await.unwrap();
    assert_eq!(stored, [r#"{"id": 1}"#, r#"{"id": 2}"#, r#"{"id": 3}"#]);
    let stored = pipeline(hash(), vec![vec![r#"{"email": "a@x"}"#]])
        .await
        .unwrap();
    assert!(!stored[0].contains("a@x"));
}
