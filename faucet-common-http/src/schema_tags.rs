//! Descriptions for the `kind` tag of internally tagged config enums,
//! which schemars leaves undocumented.

use faucet_core::schemars::Schema;
use serde_json::Value;

/// A schemars transform (`#[schemars(transform = describe_kind_tags)]`)
/// giving every variant's `kind` property a description (``Selects
/// `name`.``), so `faucet schema` documents every property.
pub fn describe_kind_tags(schema: &mut Schema) {
    let Some(Value::Array(variants)) = schema.as_object_mut().and_then(|o| o.get_mut("oneOf"))
    else {
        return;
    };
    for variant in variants {
        let Some(Value::Object(kind)) = variant.pointer_mut("/properties/kind") else {
            continue;
        };
        if kind.contains_key("description") {
            continue;
        }
        let name = kind
            .get("const")
            .or_else(|| kind.get("enum").and_then(|e| e.get(0)))
            .and_then(Value::as_str)
            .unwrap_or("this variant")
            .to_owned();
        kind.insert(
            "description".into(),
            Value::String(format!("Selects `{name}`.")),
        );
    }
}
