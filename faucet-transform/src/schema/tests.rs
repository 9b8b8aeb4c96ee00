use faucet_core::serde_json::json;

use super::*;

#[test]
fn may_be_reads_type_const_enum_and_variants() {
    assert!(may_be(&json!({}), "null"));
    assert!(may_be(&json!(true), "object"));
    assert!(!may_be(&json!(false), "object"));
    assert!(may_be(&json!({"type": ["string", "null"]}), "null"));
    assert!(!may_be(&json!({"type": "string"}), "null"));
    assert!(!may_be(&json!({"const": "x"}), "null"));
    assert!(may_be(&json!({"enum": ["x", null]}), "null"));
    assert!(may_be(&json!({"const": 3}), "number"));
    let variants = json!({"anyOf": [{"type": "string"}, {"type": "array"}]});
    assert!(may_be(&variants, "array"));
    assert!(!may_be(&variants, "object"));
}

#[test]
fn a_union_of_distinct_schemas_is_an_any_of() {
    let s = json!({"type": "string"});
    assert_eq!(union([s.clone(), s.clone()]), s);
    assert_eq!(union([s.clone(), json!(false)]), s);
    assert_eq!(union([]), json!(false));
    assert_eq!(union([s.clone(), json!({"description": "any"})]), json!({}));
    assert_eq!(
        union([s.clone(), json!({"type": "null"})]),
        json!({"anyOf": [s, {"type": "null"}]})
    );
}

#[test]
fn property_follows_properties_then_additional_properties() {
    let closed =
        json!({"properties": {"a": {"type": "string"}, "n": false}, "additionalProperties": false});
    let Value::Object(closed) = closed else {
        unreachable!()
    };
    assert_eq!(property(&closed, "a"), Some(json!({"type": "string"})));
    assert_eq!(property(&closed, "n"), None);
    assert_eq!(property(&closed, "b"), None);
    let Value::Object(open) = json!({"additionalProperties": {"type": "integer"}}) else {
        unreachable!()
    };
    assert_eq!(property(&open, "b"), Some(json!({"type": "integer"})));
}

#[test]
fn restricting_to_objects_narrows_the_type() {
    assert_eq!(
        restrict_object(&json!({"type": ["object", "null"]})),
        Some(json!({"type": "object"}))
    );
    assert_eq!(restrict_object(&json!({"type": "string"})), None);
    assert_eq!(
        restrict_object(&json!(true)),
        Some(json!({"type": "object"}))
    );
}

#[test]
fn the_element_of_an_array_schema() {
    assert_eq!(
        element_of(&json!({"type": "array", "items": {"type": "integer"}})),
        Some(json!({"type": "integer"}))
    );
    assert_eq!(element_of(&json!({"type": "string"})), None);
    assert_eq!(element_of(&json!({"type": "array"})), Some(json!({})));
    assert_eq!(
        element_of(&json!({"prefixItems": [{"type": "string"}], "items": false})),
        Some(json!({"type": "string"}))
    );
    assert_eq!(
        element_of(&json!({"anyOf": [
            {"type": "array", "items": {"type": "integer"}},
            {"type": "null"}
        ]})),
        Some(json!({"type": "integer"}))
    );
}

#[test]
fn an_opaque_schema_keeps_its_type_where_it_is_edited() {
    let edited = edit::edit_object(&json!({"type": "object", "$ref": "#/$defs/a"}), &mut |_| {});
    assert_eq!(edited, json!({"type": "object"}));
    let edited = edit::edit_object(
        &json!({"oneOf": [{"type": "object"}, {"type": "null"}]}),
        &mut |m| {
            m.insert("seen".into(), json!(true));
        },
    );
    assert_eq!(
        edited,
        json!({"seen": true, "anyOf": [{"type": "object", "seen": true}, {"type": "null", "seen": true}]})
    );
}
