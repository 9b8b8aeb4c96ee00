//! Records to binary `COPY` rows. Rows are encoded into one buffer per
//! page, which is streamed to the server while the next page is fetched.

mod build;
mod numeric;
mod value;

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hasher};

use bytes::{BufMut, BytesMut};
use serde_json::{Map, Value};

use crate::config::{NulRule, Settings, TypeConflict};
use crate::schema::{Fit, PgType, fit, short};
use crate::sql::Ident;
pub(crate) use build::{build_layout, column_of, required_columns};
pub(crate) use value::write_json;
use value::write_value;

/// The binary `COPY` stream header: signature, flags, extension length.
pub(crate) const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary `COPY` stream trailer.
pub(crate) const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// A top-level record field.
    Field(String),
    /// The whole record (as `jsonb`).
    Record,
    /// The run id.
    RunId,
    /// The record's sequence number in the transaction (upsert staging).
    Seq,
    /// Whether the record's delete field is `true` (upsert staging).
    Delete(String),
}

/// One column of the `COPY` column list.
#[derive(Debug, Clone)]
pub(crate) struct LayoutColumn {
    pub(crate) name: Ident,
    pub(crate) ty: PgType,
    pub(crate) slot: Slot,
    /// Part of the upsert key (its encoded bytes are hashed to spot
    /// duplicate keys within a transaction).
    pub(crate) key: bool,
}

/// What a transaction's upsert staging has seen so far.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    /// The next row's sequence number.
    pub(crate) seq: i64,
    /// Hashes of the keys staged.
    pub(crate) keys: HashSet<u64>,
    /// Two rows may share a key (a hash was seen twice): dedupe before
    /// merging.
    pub(crate) duplicates: bool,
    /// Rows staged as deletes.
    pub(crate) deletes: u64,
}

/// The columns a `COPY` writes and how to fill them from a record.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) table: String,
    pub(crate) columns: Vec<LayoutColumn>,
    /// Every non-null record field must have a column (no `columns`
    /// mapping and no record column): others trigger a schema change.
    pub(crate) every_field: bool,
    /// Mapped fields that have no column yet.
    pub(crate) pending_fields: Vec<String>,
    /// Fields that are never columns (the delete field).
    pub(crate) ignored_fields: HashSet<String>,
    pub(crate) run_id: String,
    pub(crate) policy: TypeConflict,
    pub(crate) nul: NulRule,
}

/// A record sent to the dead-letter table.
#[derive(Debug, Clone)]
pub(crate) struct DeadLetter {
    pub(crate) position: String,
    pub(crate) record: Value,
    pub(crate) reason: String,
}

/// The result of encoding a page.
#[derive(Debug)]
pub(crate) enum Encoded {
    /// Rows were written to the buffer; some records may have gone to the
    /// dead letters.
    Rows { rows: u64, dead: Vec<DeadLetter> },
    /// The table must change first (a new field, a value needing a wider
    /// column); nothing useful is in the buffer.
    NeedsSchemaChange,
}

/// A record position for messages: page and record index in the run.
pub(crate) fn position(page: u64, index: usize) -> String {
    format!("page {page}, record {index}")
}

/// Refuses a page holding a record that is not a JSON object, unless
/// `record_column` stores records whole: fields become columns, and a
/// number, string, array or `null` has none.
pub(crate) fn check_objects(s: &Settings, records: &[Value], page: u64) -> Result<(), String> {
    if s.record_column.is_some() {
        return Ok(());
    }
    match records.iter().position(|r| !r.is_object()) {
        None => Ok(()),
        Some(index) => Err(format!(
            "{}: `{}` is not a JSON object, so it has no fields to load as columns; \
             set `record_column: <column>` to store each record whole in one jsonb column",
            position(page, index),
            short(&records[index])
        )),
    }
}

impl Layout {
    /// Encodes `records` into `buf`. `staging` numbers rows and tracks
    /// keys for upsert staging. Errors (type conflicts under `type_conflict: error`, NUL
    /// under `nul: error`) name the table, column, value and record.
    pub(crate) fn encode(
        &self,
        records: &[Value],
        page: u64,
        staging: &mut Staging,
        buf: &mut BytesMut,
    ) -> Result<Encoded, String> {
        let mut rows = 0;
        let mut dead = Vec::new();
        for (index, record) in records.iter().enumerate() {
            let start = buf.len();
            match self.encode_row(record, staging.seq, buf) {
                Ok(Row::Written { key_hash, deleted }) => {
                    rows += 1;
                    staging.seq += 1;
                    if let Some(hash) = key_hash {
                        staging.duplicates |= !staging.keys.insert(hash);
                    }
                    staging.deletes += u64::from(deleted);
                }
                Ok(Row::NeedsSchemaChange) => return Ok(Encoded::NeedsSchemaChange),
                Err(RowError {
                    column,
                    value,
                    reason,
                }) => {
                    let position = position(page, index);
                    if self.policy == TypeConflict::DeadLetter && !reason.contains("NUL") {
                        buf.truncate(start);
                        let reason = format!("column {column}: {reason}");
                        dead.push(DeadLetter {
                            position,
                            record: record.clone(),
                            reason,
                        });
                        continue;
                    }
                    return Err(format!(
                        "table {}, column {column}, {position}: value `{value}` {reason}",
                        self.table
                    ));
                }
            }
        }
        Ok(Encoded::Rows { rows, dead })
    }

    fn encode_row(&self, record: &Value, seq: i64, buf: &mut BytesMut) -> Result<Row, RowError> {
        let fields = match record {
            Value::Object(map) => Some(map),
            _ if self
                .columns
                .iter()
                .all(|c| !matches!(c.slot, Slot::Field(_))) =>
            {
                None
            }
            other => {
                return Err(RowError {
                    column: "-".to_owned(),
                    value: short(other),
                    reason: "is not a JSON object; set `record_column` to store such records whole"
                        .to_owned(),
                });
            }
        };
        if let Some(fields) = fields
            && !self.pending_fields.is_empty()
            && self.has_pending_fields(fields)
        {
            return Ok(Row::NeedsSchemaChange);
        }
        let mut matched = 0;
        let mut key_hash: Option<DefaultHasher> = None;
        let mut deleted = false;
        buf.put_i16(self.columns.len() as i16);
        for column in &self.columns {
            let start = buf.len();
            let err = |value: &Value, reason: String| RowError {
                column: column.name.to_string(),
                value: short(value),
                reason,
            };
            match &column.slot {
                Slot::Field(name) => {
                    let found = fields.and_then(|f| f.get(name));
                    matched += usize::from(found.is_some());
                    let value = found.unwrap_or(&Value::Null);
                    match fit(column.ty, value, self.policy) {
                        Fit::Yes => write_value(column.ty, value, self.nul, buf)
                            .map_err(|r| err(value, r))?,
                        Fit::Widen(_) => return Ok(Row::NeedsSchemaChange),
                        Fit::No(reason) => return Err(err(value, reason)),
                    }
                }
                Slot::Record => write_json(record, column.ty == PgType::Jsonb, self.nul, buf)
                    .map_err(|r| err(record, r))?,
                Slot::RunId => {
                    buf.put_i32(self.run_id.len() as i32);
                    buf.put_slice(self.run_id.as_bytes());
                }
                Slot::Seq => {
                    buf.put_i32(8);
                    buf.put_i64(seq);
                }
                Slot::Delete(name) => {
                    deleted = fields
                        .and_then(|f| f.get(name))
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    buf.put_i32(1);
                    buf.put_u8(u8::from(deleted));
                }
            }
            if column.key {
                key_hash
                    .get_or_insert_with(DefaultHasher::new)
                    .write(&buf[start..]);
            }
        }
        // Fewer fields matched than the record has: one may need a column.
        if let Some(fields) = fields
            && self.every_field
            && matched < fields.len()
            && self.has_unknown_fields(fields)
        {
            return Ok(Row::NeedsSchemaChange);
        }
        Ok(Row::Written {
            key_hash: key_hash.map(|h| h.finish()),
            deleted,
        })
    }

    /// Whether a mapped field without a column has a value.
    fn has_pending_fields(&self, fields: &Map<String, Value>) -> bool {
        self.pending_fields
            .iter()
            .any(|f| fields.get(f).is_some_and(|v| !v.is_null()))
    }

    /// Whether the record has a non-null field that needs a new column.
    fn has_unknown_fields(&self, fields: &Map<String, Value>) -> bool {
        fields.iter().any(|(name, value)| {
            !value.is_null()
                && !self.ignored_fields.contains(name)
                && !self
                    .columns
                    .iter()
                    .any(|c| matches!(&c.slot, Slot::Field(f) if f == name))
        })
    }
}

enum Row {
    Written {
        key_hash: Option<u64>,
        deleted: bool,
    },
    NeedsSchemaChange,
}

struct RowError {
    column: String,
    value: String,
    reason: String,
}
