//! `output_schema` is truthful: for records that validate against an
//! input schema, every transform's outputs validate against its output
//! schema (checked by a real JSON Schema validator, formats included).

mod support;

use faucet_core::connector::*;
use support::generate::check_outputs;

fn build(name: &str, config: Value) -> Box<dyn Transform> {
    let mut registry = faucet_core::Registry::new();
    faucet_transform::register(&mut registry);
    registry
        .build_transform(name, config)
        .expect("a good config")
}

/// A schema as `discover` infers it: open objects, nullable fields.
fn orders() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string"},
            "price": {"type": ["string", "number"]},
            "created": {"type": "string", "format": "date-time"},
            "email": {"type": ["string", "null"]},
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
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"n": {"type": "integer"}, "sku": {"type": "string"}},
                    "required": ["n"]
                }
            },
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "meta": {"type": ["object", "null"], "properties": {"source": {"type": "string"}}}
        },
        "required": ["id", "status", "user"]
    })
}

/// A closed schema: no other keys, `anyOf`, `enum`, a `$ref`, a tuple of
/// required keys.
fn closed() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "amount": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "flag": {"type": "boolean"},
            "home": {"$ref": "#/$defs/address"},
            "pair": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"enum": ["x", "y"]}},
                "required": ["a", "b"],
                "additionalProperties": false
            },
            "empty": {"type": "object", "properties": {}, "additionalProperties": false},
            "lines": {"type": "array", "maxItems": 2, "items": {"type": "integer"}}
        },
        "required": ["id", "pair"],
        "additionalProperties": false,
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
                "additionalProperties": false
            }
        }
    })
}

/// Records of two shapes (`anyOf` at the root), fields of several types,
/// an `additionalProperties` schema.
fn variants() -> Value {
    json!({
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "kind": {"const": "a"},
                    "user": {
                        "type": ["object", "null"],
                        "properties": {"name": {"type": "string"}},
                        "required": ["name"],
                        "additionalProperties": false
                    },
                    "items": {
                        "type": ["array", "string"],
                        "items": {"anyOf": [
                            {"type": "integer"},
                            {"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": false}
                        ]}
                    }
                },
                "required": ["id", "kind"],
                "additionalProperties": false
            },
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"const": "b"},
                    "status": {"type": "string"},
                    "pair": {
                        "type": "object",
                        "properties": {"a": {"type": "number"}},
                        "additionalProperties": {"type": "boolean"}
                    }
                },
                "required": ["id", "kind", "status"],
                "additionalProperties": false
            }
        ]
    })
}

/// Keywords that relate keys: patterns, a minimum count; a `oneOf`, a
/// tuple.
fn keyed() -> Value {
    json!({
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "xa": {"type": "integer"},
            "o": {"oneOf": [
                {"type": "null"},
                {"type": "object", "properties": {"k": {"type": "integer"}}, "required": ["k"], "additionalProperties": false}
            ]},
            "t": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": {"type": "boolean"}}
        },
        "patternProperties": {"^x": {"type": ["integer", "string"]}},
        "additionalProperties": false,
        "required": ["a"],
        "minProperties": 1
    })
}

fn schemas() -> Vec<Value> {
    vec![
        orders(),
        closed(),
        variants(),
        keyed(),
        json!({}),
        json!({"type": "object"}),
    ]
}

fn configs() -> Vec<(&'static str, Value)> {
    vec![
        (
            "rename",
            json!({"fields": {"o": "xo", "t": "t2", "a": "xb"}}),
        ),
        (
            "cast",
            json!({"fields": {"xp": "boolean", "xa": "string", "o.k": "string"}}),
        ),
        ("drop", json!({"fields": ["a", "o.k"]})),
        ("explode", json!({"field": "t"})),
        ("select", json!({"fields": ["xp", "o.k", "t"]})),
        (
            "select",
            json!({"fields": ["id", "user.name", "user.address.city", "pair.a", "home.city", "meta.source", "nothing"]}),
        ),
        (
            "select",
            json!({"fields": ["kind", "pair.x_extra", "user"]}),
        ),
        (
            "rename",
            json!({"fields": {"pair.a": "x_extra", "kind": "user"}}),
        ),
        (
            "drop",
            json!({"fields": ["status", "user.address.zip", "pair.b", "meta", "home.city"]}),
        ),
        (
            "rename",
            json!({"fields": {"id": "ident", "status": "state", "user.name": "full_name", "pair.a": "b"}}),
        ),
        (
            "rename",
            json!({"fields": {"id": "flag", "flag": "id", "status": "id"}}),
        ),
        ("set", json!({"field": "status", "value": "done"})),
        (
            "set",
            json!({"field": "meta.origin", "value": {"api": [1, 2]}}),
        ),
        (
            "set",
            json!({"field": "user.address.country", "value": "DE"}),
        ),
        ("set", json!({"field": "pair.c", "value": null})),
        ("set", json!({"field": "total", "expression": "id * 2"})),
        (
            "set",
            json!({"field": "active", "expression": r#"status == "active" || id > 2"#}),
        ),
        (
            "set",
            json!({"field": "size", "expression": r#"id > 2 ? "big" : size(string(id))"#}),
        ),
        (
            "cast",
            json!({"fields": {"price": "number", "id": "string", "created": "timestamp", "user.address.zip": "integer", "flag": "integer", "amount": "integer", "tags": "string", "email": "boolean"}}),
        ),
        (
            "cast",
            json!({"fields": {"status": "timestamp", "pair": "string", "price": "integer", "amount": "boolean"}}),
        ),
        ("flatten", json!({})),
        ("flatten", json!({"max_depth": 1, "separator": "."})),
        ("explode", json!({"field": "items"})),
        ("explode", json!({"field": "items", "keep_empty": false})),
        ("explode", json!({"field": "lines"})),
        ("explode", json!({"field": "tags", "keep_empty": false})),
        ("filter", json!({"where": "id > 1"})),
        (
            "hash",
            json!({"fields": ["email", "user.name", "pair", "home"], "salt": "0123456789abcdef"}),
        ),
        (
            "redact",
            json!({"fields": ["email", "user", "amount", "pair.b"]}),
        ),
        ("dedupe", json!({"keys": ["id"]})),
        ("metadata", json!({})),
        (
            "metadata",
            json!({"fields": {"_source": "github", "meta.run": 3, "pair.a": 1.5}}),
        ),
    ]
}

#[test]
fn outputs_validate_against_the_output_schema() {
    for (name, config) in configs() {
        // A new transform per schema: `dedupe` remembers keys.
        let checked: usize = schemas()
            .iter()
            .map(|schema| check_outputs(build(name, config.clone()).as_ref(), schema, 80))
            .sum();
        assert!(
            checked > 10,
            "`{name}` {config}: only {checked} outputs checked"
        );
    }
}

#[test]
fn output_schemas_are_valid_schemas_that_keep_defs() {
    for (name, config) in configs() {
        let transform = build(name, config);
        let output = transform.output_schema(&closed());
        assert!(
            jsonschema::meta::is_valid(&output),
            "`{name}` gave an invalid schema: {output}"
        );
        assert_eq!(output["$defs"], closed()["$defs"], "`{name}`: {output}");
    }
}

/// Turns `id` into a string but keeps the default output schema (the
/// input's): the check must catch it.
struct Lies;

impl Transform for Lies {
    fn transform(&self, _record: Record, out: &mut Vec<Record>) -> Result<()> {
        out.push(json!({"id": "one", "pair": {"a": 1, "b": "x"}}).into());
        Ok(())
    }
}

#[test]
fn the_check_catches_a_schema_that_lies() {
    let caught = std::panic::catch_unwind(|| check_outputs(&Lies, &closed(), 5));
    assert!(caught.is_err(), "a wrong output schema passed");
}
