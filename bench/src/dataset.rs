//! The fixture server's records, as CSV and as a digest.
//!
//! Records come from [`faucet_testkit::fixture::record`], the generator the
//! fixture server serves from, so the CSV for the `psql \copy` ceiling and
//! the API hold identical data.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::Path;

use faucet_testkit::fixture::record;
use serde_json::Value;

/// The columns of the benchmark table, in record order.
pub const COLUMNS: [&str; 7] = [
    "id",
    "first_name",
    "country",
    "amount",
    "created_at",
    "active",
    "attributes",
];

/// `CREATE TABLE` for the benchmark shape: the same column types the
/// PostgreSQL sink infers (bigint, text, double precision, timestamptz,
/// boolean, jsonb). `table` must already be quoted.
pub fn create_table_sql(table: &str, primary_key: bool) -> String {
    let pk = if primary_key { " PRIMARY KEY" } else { "" };
    format!(
        "CREATE TABLE {table} (id bigint{pk}, first_name text, country text, \
         amount double precision, created_at timestamptz, active boolean, attributes jsonb)"
    )
}

/// Writes records `1..=n` as CSV (no header), columns as in [`COLUMNS`].
pub fn write_csv(path: &Path, n: u64) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut line = String::with_capacity(256);
    for id in 1..=n {
        line.clear();
        csv_line(&record(id), &mut line);
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

/// Appends one CSV line (with its newline) for `record`.
pub fn csv_line(record: &Value, line: &mut String) {
    for (i, column) in COLUMNS.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        match &record[*column] {
            Value::Null => {}
            Value::String(s) => csv_quoted(s, line),
            Value::Object(_) | Value::Array(_) => csv_quoted(&record[*column].to_string(), line),
            other => line.push_str(&other.to_string()),
        }
    }
    line.push('\n');
}

fn csv_quoted(s: &str, line: &mut String) {
    line.push('"');
    for c in s.chars() {
        if c == '"' {
            line.push('"');
        }
        line.push(c);
    }
    line.push('"');
}

/// What a sink holds, summarised: equal digests mean the same multiset of
/// records (up to hash collisions of a 64-bit checksum).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// Records counted.
    pub count: u64,
    /// Distinct ids among them.
    pub distinct_ids: u64,
    /// Smallest id (0 when empty).
    pub min_id: i64,
    /// Largest id (0 when empty).
    pub max_id: i64,
    /// Wrapping sum of each record's canonical hash: independent of order,
    /// sensitive to every field of every record and to duplicates.
    pub checksum: u64,
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} records, {} distinct ids ({}..={}), checksum {:016x}",
            self.count, self.distinct_ids, self.min_id, self.max_id, self.checksum
        )
    }
}

/// Builds a [`Digest`] record by record.
#[derive(Debug, Default)]
pub struct DigestBuilder {
    ids: HashSet<i64>,
    digest: Digest,
}

impl DigestBuilder {
    /// An empty digest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one record (a JSON object with an integer `id`). Only the
    /// benchmark fields are hashed, so metadata columns a sink adds do not
    /// count; a missing field hashes as null, so it does count.
    pub fn add(&mut self, record: &Value) {
        let id = record["id"].as_i64().unwrap_or(i64::MIN);
        let d = &mut self.digest;
        if d.count == 0 {
            (d.min_id, d.max_id) = (id, id);
        }
        d.count += 1;
        d.min_id = d.min_id.min(id);
        d.max_id = d.max_id.max(id);
        if self.ids.insert(id) {
            d.distinct_ids += 1;
        }
        let mut hasher = DefaultHasher::new();
        for column in COLUMNS {
            column.hash(&mut hasher);
            hash_canonical(record.get(column).unwrap_or(&Value::Null), &mut hasher);
        }
        d.checksum = d.checksum.wrapping_add(hasher.finish());
    }

    /// The digest so far.
    pub fn finish(self) -> Digest {
        self.digest
    }
}

/// The digest of records `1..=n` as the fixture server serves them.
pub fn expected_digest(n: u64) -> Digest {
    let mut builder = DigestBuilder::new();
    for id in 1..=n {
        builder.add(&record(id));
    }
    builder.finish()
}

/// Hashes a value so that what a sink stores compares equal to what was
/// served: object keys in sorted order, numbers by value (integers exactly,
/// others as `f64`), RFC 3339 strings by the instant they name (a
/// `timestamptz` comes back as `…+00:00`, not `…Z`).
fn hash_canonical(value: &Value, h: &mut DefaultHasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, *b).hash(h),
        Value::Number(n) => match n.as_i64() {
            Some(i) => (2u8, i).hash(h),
            None => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    (2u8, f as i64).hash(h);
                } else {
                    (3u8, f.to_bits()).hash(h);
                }
            }
        },
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => (4u8, t.timestamp(), t.timestamp_subsec_nanos()).hash(h),
            Err(_) => (5u8, s).hash(h),
        },
        Value::Array(items) => {
            (6u8, items.len()).hash(h);
            for item in items {
                hash_canonical(item, h);
            }
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            (7u8, keys.len()).hash(h);
            for key in keys {
                key.hash(h);
                hash_canonical(&map[key], h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_sees_duplicates_losses_and_changed_fields() {
        let full = expected_digest(50);
        assert_eq!(
            (full.count, full.distinct_ids, full.min_id, full.max_id),
            (50, 50, 1, 50)
        );

        let mut dup = DigestBuilder::new();
        (1..=50).chain([7]).for_each(|id| dup.add(&record(id)));
        let dup = dup.finish();
        assert_eq!((dup.count, dup.distinct_ids), (51, 50));
        assert_ne!(dup.checksum, full.checksum);

        let mut changed = DigestBuilder::new();
        for id in 1..=50 {
            let mut r = record(id);
            if id == 20 {
                r["attributes"]["tags"] = json!(["tampered"]);
            }
            changed.add(&r);
        }
        let changed = changed.finish();
        assert_eq!(changed.count, 50);
        assert_ne!(changed, full);
    }

    #[test]
    fn digest_ignores_order_key_order_and_timestamp_spelling() {
        let mut forwards = DigestBuilder::new();
        (1..=10).for_each(|id| forwards.add(&record(id)));
        let mut backwards = DigestBuilder::new();
        for id in (1..=10).rev() {
            // As PostgreSQL's to_jsonb gives it back: other key order,
            // `+00:00` offsets.
            let r = record(id);
            let stored = json!({
                "attributes": r["attributes"],
                "active": r["active"],
                "created_at": r["created_at"].as_str().unwrap().replace('Z', "+00:00"),
                "amount": r["amount"],
                "country": r["country"],
                "first_name": r["first_name"],
                "id": r["id"],
                "_faucet_loaded_at": "2026-01-01T00:00:00Z",
            });
            backwards.add(&stored);
        }
        assert_eq!(forwards.finish(), backwards.finish());
    }

    #[test]
    fn csv_lines_quote_text_and_json() {
        let mut line = String::new();
        csv_line(
            &json!({"id": 1, "first_name": "A \"B\"", "country": "US", "amount": 1.5,
                    "created_at": "2024-01-01T00:01:00Z", "active": true,
                    "attributes": {"tier": "pro", "tags": []}}),
            &mut line,
        );
        assert_eq!(
            line,
            "1,\"A \"\"B\"\"\",\"US\",1.5,\"2024-01-01T00:01:00Z\",true,\
             \"{\"\"tier\"\":\"\"pro\"\",\"\"tags\"\":[]}\"\n"
        );
    }
}
