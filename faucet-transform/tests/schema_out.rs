//! `output_schema` of every built-in: given schema in, this schema out.

mod support;

use faucet_core::connector::*;

fn build(name: &str, config: Value) -> Box<dyn Transform> {
    let mut registry = faucet_core::Registry::new();
    faucet_transform::register(&mut registry);
    registry
        .build_transform(name, config)
        .expect("a good config")
}

fn out(name: &str, config: Value, input: Value) -> Value {
    build(name, config).output_schema(&input)
}

/// `{id, email?, user: {name, address?: {city, zip?}}}`.
fn people() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": ["string", "null"], "description": "Where to write."},
            "user": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "address": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                        "required": ["city"]
                    }
                },
                "required": ["name"]
            }
        },
        "required": ["id", "user"]
    })
}

#[test]
fn select_keeps_the_named_keys_and_closes_the_object() {
    let schema = out(
        "select",
        json!({"fields": ["id", "user.address.city"]}),
        people(),
    );
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "user": {
                    "type": "object",
                    "properties": {
                        "address": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                            "additionalProperties": false
                        }
                    },
                    "additionalProperties": false
                }
            },
            "required": ["id", "user"],
            "additionalProperties": false
        })
    );
    // Unknown input: the names are known, their schemas are not.
    let schema = out("select", json!({"fields": ["id"]}), json!({}));
    assert_eq!(
        schema,
        json!({"type": "object", "properties": {"id": {}}, "additionalProperties": false})
    );
}

#[test]
fn drop_removes_keys_and_their_requirement() {
    let schema = out(
        "drop",
        json!({"fields": ["id", "user.address.city"]}),
        people(),
    );
    assert!(schema["properties"].get("id").is_none(), "{schema}");
    assert_eq!(schema["required"], json!(["user"]));
    let address = &schema["properties"]["user"]["properties"]["address"];
    assert_eq!(
        address,
        &json!({"type": "object", "properties": {"zip": {"type": "string"}}})
    );
    // Nothing to remove from an unknown schema.
    assert_eq!(
        out("drop", json!({"fields": ["a.b"]}), json!({})),
        json!({})
    );
}

#[test]
fn rename_moves_schemas_and_requirements_at_once() {
    let schema = out(
        "rename",
        json!({"fields": {"id": "user_id", "user.name": "full_name"}}),
        people(),
    );
    let props = &schema["properties"];
    assert!(props.get("id").is_none(), "{schema}");
    assert_eq!(props["user_id"], json!({"type": "integer"}));
    assert_eq!(
        props["user"]["properties"]["full_name"],
        json!({"type": "string"})
    );
    assert_eq!(props["user"]["required"], json!(["full_name"]));
    assert_eq!(schema["required"], json!(["user", "user_id"]));
    // A swap swaps.
    let schema = out(
        "rename",
        json!({"fields": {"id": "email", "email": "id"}}),
        people(),
    );
    assert_eq!(schema["properties"]["email"], json!({"type": "integer"}));
    assert_eq!(
        schema["properties"]["id"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(schema["required"], json!(["user", "email"]));
}

#[test]
fn set_gives_a_constant_its_type_and_makes_the_objects_on_its_path() {
    let schema = out(
        "set",
        json!({"field": "user.address.country", "value": "DE"}),
        people(),
    );
    let user = &schema["properties"]["user"];
    assert_eq!(user["required"], json!(["name", "address"]));
    // An address that was there keeps its keys; one that was not is made.
    let constant = json!({"type": "string", "const": "DE"});
    assert_eq!(
        user["properties"]["address"]["anyOf"],
        json!([
            {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}, "country": constant},
                "required": ["city", "country"]
            },
            {
                "type": "object",
                "properties": {"country": constant},
                "additionalProperties": false,
                "required": ["country"]
            }
        ])
    );
    let schema = out("set", json!({"field": "n", "value": 3}), json!({}));
    assert_eq!(
        schema,
        json!({"type": "object", "properties": {"n": {"type": "integer", "const": 3}}, "required": ["n"]})
    );
}

#[test]
fn set_infers_an_expression_only_from_its_form() {
    let field = |expression: &str| {
        let schema = out(
            "set",
            json!({"field": "x", "expression": expression}),
            people(),
        );
        schema["properties"]["x"].clone()
    };
    assert_eq!(
        field("id > 2 && has(user.name)"),
        json!({"type": "boolean"})
    );
    assert_eq!(field("size(user.name)"), json!({"type": "integer"}));
    assert_eq!(field(r#""a" + "b""#), json!({}));
    assert_eq!(field("id * 2"), json!({}));
    assert_eq!(field("[1, 2].map(x, x * 2)"), json!({"type": "array"}));
    assert_eq!(field("[1, 2].all(x, x > 0)"), json!({"type": "boolean"}));
    assert_eq!(
        field(r#"id > 2 ? "big" : 1.5"#),
        json!({"anyOf": [{"type": "string"}, {"type": "number"}]})
    );
}

#[test]
fn cast_gives_the_target_type_and_keeps_null_where_allowed() {
    let schema = out(
        "cast",
        json!({"fields": {"id": "string", "email": "timestamp", "user.address.zip": "integer"}}),
        people(),
    );
    let props = &schema["properties"];
    assert_eq!(props["id"], json!({"type": "string"}));
    assert_eq!(
        props["email"],
        json!({"description": "Where to write.", "type": ["string", "null"], "format": "date-time"})
    );
    assert_eq!(
        props["user"]["properties"]["address"]["properties"]["zip"],
        json!({"type": "integer"})
    );
    assert_eq!(schema["required"], json!(["id", "user"]));
    // Unknown stays unknown.
    assert_eq!(
        out("cast", json!({"fields": {"id": "integer"}}), json!({})),
        json!({})
    );
}

#[test]
fn flatten_names_nested_keys_by_their_path_to_the_depth_limit() {
    let schema = out("flatten", json!({}), people());
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": ["string", "null"], "description": "Where to write."},
                "user__name": {"type": "string"},
                "user__address__city": {"type": "string"},
                "user__address__zip": {"type": "string"}
            },
            "required": ["id", "user__name"]
        })
    );
    let schema = out("flatten", json!({"max_depth": 1}), people());
    assert_eq!(
        schema["properties"]["user__address"],
        people()["properties"]["user"]["properties"]["address"]
    );
    // An object that may be empty also stays under its own key.
    let maybe_empty = json!({"type": "object", "properties": {"o": {"type": "object", "properties": {"a": {"type": "integer"}}}}, "additionalProperties": false});
    let schema = out("flatten", json!({}), maybe_empty.clone());
    assert_eq!(
        schema["properties"],
        json!({"o__a": {"type": "integer"}, "o": maybe_empty["properties"]["o"]})
    );
    assert_eq!(
        out("flatten", json!({}), json!({})),
        json!({"type": "object"})
    );
}

#[test]
fn explode_puts_the_element_schema_in_the_arrays_place() {
    let orders = json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "lines": {"type": ["array", "null"], "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}
        },
        "required": ["id"]
    });
    let element = json!({"type": "object", "properties": {"sku": {"type": "string"}}});
    let schema = out(
        "explode",
        json!({"field": "lines", "keep_empty": false}),
        orders.clone(),
    );
    assert_eq!(schema["properties"]["lines"], element);
    assert_eq!(schema["required"], json!(["id", "lines"]));
    let schema = out("explode", json!({"field": "lines"}), orders);
    assert_eq!(
        schema["properties"]["lines"],
        json!({"anyOf": [element, {"type": "array", "maxItems": 0}, {"type": "null"}]})
    );
    assert_eq!(schema["required"], json!(["id"]));
}

#[test]
fn filter_and_dedupe_keep_the_schema() {
    assert_eq!(
        out("filter", json!({"where": "id > 1"}), people()),
        people()
    );
    assert_eq!(out("dedupe", json!({"keys": ["id"]}), people()), people());
}

#[test]
fn hash_and_redact_give_strings() {
    let schema = out(
        "hash",
        json!({"fields": ["email", "user"], "salt": "0123456789abcdef"}),
        people(),
    );
    assert_eq!(
        schema["properties"]["email"],
        json!({"description": "Where to write.", "type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"})
    );
    assert_eq!(
        schema["properties"]["user"],
        json!({"type": "string", "pattern": "^[0-9a-f]{64}$"})
    );
    let schema = out(
        "redact",
        json!({"fields": ["email", "id"], "mask": "#"}),
        people(),
    );
    assert_eq!(
        schema["properties"]["email"],
        json!({"description": "Where to write.", "type": ["string", "null"], "enum": ["#", null]})
    );
    assert_eq!(
        schema["properties"]["id"],
        json!({"type": "string", "enum": ["#"]})
    );
}

#[test]
fn metadata_adds_its_fields_with_their_types() {
    let schema = out(
        "metadata",
        json!({"fields": {"_source": "github", "_run.n": 2}}),
        json!({}),
    );
    assert_eq!(
        schema,
        json!({
            "type": "object",
            "properties": {
                "_faucet_loaded_at": {"type": "string", "format": "date-time"},
                "_source": {"type": "string", "const": "github"},
                "_run": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "const": 2}},
                    "required": ["n"]
                }
            },
            "required": ["_faucet_loaded_at", "_source", "_run"]
        })
    );
}

#[test]
fn keywords_across_keys_are_dropped_where_keys_change() {
    let input = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "patternProperties": {"^x": {"type": "string"}},
        "additionalProperties": false,
        "minProperties": 1
    });
    // `xa` matches the pattern: a number there breaks it, so it goes, and
    // with it `additionalProperties` (the pattern's keys are not closed out).
    let schema = out("rename", json!({"fields": {"a": "xa"}}), input.clone());
    let schema_cast = out("cast", json!({"fields": {"xa": "integer"}}), input);
    for s in [&schema, &schema_cast] {
        for k in ["patternProperties", "additionalProperties", "minProperties"] {
            assert!(s.get(k).is_none(), "{k} in {s}");
        }
    }
    assert_eq!(
        schema_cast["properties"]["xa"],
        json!({"type": ["integer", "null"]})
    );
}

#[test]
fn a_timestamp_cast_writes_only_rfc_3339_years() {
    // The output schema says `format: date-time`: a year past 9999 would
    // be written `+33658-…`, which is not one.
    let t = build("cast", json!({"fields": {"at": "timestamp"}}));
    let far = Record::from_json(br#"{"at": 1000000000000}"#.to_vec()).unwrap();
    let e = t.transform(far, &mut Vec::new()).unwrap_err().to_string();
    assert!(
        e.contains("field `at`") && e.contains("years 0 to 9999"),
        "{e}"
    );
    let mut out = Vec::new();
    let last = Record::from_json(br#"{"at": 253402300799}"#.to_vec()).unwrap();
    t.transform(last, &mut out).unwrap();
    assert_eq!(out[0].to_string(), r#"{"at":"9999-12-31T23:59:59Z"}"#);
}
