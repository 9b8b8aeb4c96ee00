//! Records that validate against a JSON Schema, made from a seed, for the
//! property checks of `output_schema`: for records the input schema
//! accepts, the outputs validate against the output schema.
//!
//! Covers the keywords the test schemas use: `type` (one or several),
//! `properties`, `required`, `additionalProperties`, `patternProperties`
//! (patterns `^prefix` only), `items`, `prefixItems`, `maxItems`, `anyOf`,
//! `oneOf` (of disjoint variants), `const`, `enum`, `format: date-time`
//! and `$ref` into `$defs`.
//! Every generated record is checked against its schema by a real
//! validator before use, so a generator mistake fails loudly.

use faucet_core::connector::*;
use faucet_core::serde_json::Map;

/// A small deterministic generator (xorshift), so a failure repeats.
pub struct Gen {
    state: u64,
    root: Value,
}

/// Strings that casts and filters can do something with.
const STRINGS: [&str; 9] = [
    "12",
    " 42 ",
    "3.5",
    "true",
    "no",
    "2024-05-01T12:00:00Z",
    "abc",
    "",
    "\u{e9}t\u{e9} \"q\"",
];

impl Gen {
    /// A generator for records of `root` (whose `$defs` `$ref`s point into).
    pub fn new(seed: u64, root: &Value) -> Self {
        Self {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            root: root.clone(),
        }
    }

    fn next(&mut self, below: usize) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state % below.max(1) as u64) as usize
    }

    fn coin(&mut self) -> bool {
        self.next(2) == 0
    }

    /// A value valid against `schema`.
    pub fn value(&mut self, schema: &Value) -> Value {
        let Some(m) = schema.as_object() else {
            return self.any(2);
        };
        if let Some(Value::String(target)) = m.get("$ref") {
            let name = target.trim_start_matches("#/$defs/");
            let def = self.root["$defs"][name].clone();
            return self.value(&def);
        }
        if let Some(c) = m.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(values)) = m.get("enum") {
            return values[self.next(values.len())].clone();
        }
        if let Some(Value::Array(variants)) = m.get("anyOf").or_else(|| m.get("oneOf")) {
            let pick = variants[self.next(variants.len())].clone();
            return self.value(&pick);
        }
        let t = match m.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts[self.next(ts.len())].as_str().unwrap().to_owned(),
            _ if m.contains_key("properties") => "object".to_owned(),
            _ => return self.any(2),
        };
        match t.as_str() {
            "null" => Value::Null,
            "boolean" => Value::Bool(self.coin()),
            "integer" => json!(self.next(7) as i64 - 2),
            "number" => [json!(2.5), json!(-1), json!(0.125), json!(7)][self.next(4)].clone(),
            "string" if m.get("format") == Some(&json!("date-time")) => {
                json!(format!(
                    "2024-0{}-01T12:00:0{}Z",
                    1 + self.next(9),
                    self.next(10)
                ))
            }
            "string" => json!(STRINGS[self.next(STRINGS.len())]),
            "array" => {
                let max = m.get("maxItems").and_then(Value::as_u64).unwrap_or(3) as usize;
                let items = m.get("items").cloned().unwrap_or(json!({}));
                let prefix = m.get("prefixItems").and_then(Value::as_array).cloned();
                let n = self.next(max + 1);
                let item = |g: &mut Self, i: usize| match prefix.as_ref().and_then(|p| p.get(i)) {
                    Some(schema) => g.value(schema),
                    None => g.value(&items),
                };
                Value::Array((0..n).map(|i| item(self, i)).collect())
            }
            "object" => self.object(m),
            other => panic!("the generator knows no type `{other}`"),
        }
    }

    fn object(&mut self, m: &Map<String, Value>) -> Value {
        let mut out = Map::new();
        let required: Vec<&str> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(Value::Object(props)) = m.get("properties") {
            for (key, schema) in props {
                if required.contains(&key.as_str()) || self.coin() {
                    out.insert(key.clone(), self.value(schema));
                }
            }
        }
        // Keys of `patternProperties`, whose patterns here are `^prefix`.
        if let Some(Value::Object(patterns)) = m.get("patternProperties") {
            for (pattern, schema) in patterns {
                if self.coin() {
                    let key = format!("{}p", pattern.trim_start_matches('^'));
                    out.insert(key, self.value(schema));
                }
            }
            return Value::Object(out);
        }
        // Keys the schema does not list, where it allows them.
        match m.get("additionalProperties") {
            Some(Value::Bool(false)) => {}
            Some(extra @ Value::Object(_)) => {
                if self.coin() {
                    out.insert("x_extra".into(), self.value(extra));
                }
            }
            _ => {
                if self.coin() {
                    out.insert("x_extra".into(), self.any(1));
                }
            }
        }
        Value::Object(out)
    }

    /// Any JSON value, nested at most `depth` more levels.
    fn any(&mut self, depth: usize) -> Value {
        match self.next(if depth == 0 { 4 } else { 6 }) {
            0 => Value::Null,
            1 => json!(self.next(100)),
            2 => json!(STRINGS[self.next(STRINGS.len())]),
            3 => Value::Bool(self.coin()),
            4 => Value::Array((0..self.next(3)).map(|_| self.any(depth - 1)).collect()),
            _ => {
                let mut m = Map::new();
                for i in 0..self.next(3) {
                    m.insert(format!("k{i}"), self.any(depth - 1));
                }
                Value::Object(m)
            }
        }
    }
}

/// A validator of `schema` that also checks `format` (`date-time`).
pub fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("not a valid schema ({e}): {schema}"))
}

/// Checks `transform` on `count` records generated for `input`: each
/// validates against `input` (the generator is right), and each output
/// validates against `transform.output_schema(input)`. Records the
/// transform fails on are skipped; gives how many outputs were checked.
pub fn check_outputs(transform: &dyn Transform, input: &Value, count: u64) -> usize {
    let output = transform.output_schema(input);
    let before = validator(input);
    let after = validator(&output);
    let mut checked = 0;
    for seed in 0..count {
        let record = Gen::new(seed + 1, input).value(input);
        assert!(
            before.is_valid(&record),
            "the generator made {record} for {input}"
        );
        let mut out = Vec::new();
        if transform
            .transform(Record::from_value(record.clone()), &mut out)
            .is_err()
        {
            continue;
        }
        for o in out {
            let o: Value = faucet_core::serde_json::from_str(&o.to_string()).unwrap();
            if let Some(e) = after.iter_errors(&o).next() {
                panic!(
                    "`{}`: {o} (from {record}) does not validate against its output schema \
                     {output}: {e} at {}",
                    transform.name(),
                    e.instance_path()
                );
            }
            checked += 1;
        }
    }
    checked
}
