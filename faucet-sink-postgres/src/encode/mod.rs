//! Records to binary `COPY` rows. Rows are encoded into one buffer per
//! page, which is streamed to the server while the next page is fetched.
//!
//! Each row comes from one pass over the record's fields through its
//! borrowing view ([`Record::fields`]): strings are borrowed, numbers keep
//! their exact text, nested objects and arrays are raw sub-slices written
//! into `jsonb` as they arrived. Records built from trees go through the
//! same view.

mod build;
mod dead;
mod nul;
mod numeric;
mod row;
mod value;

use std::collections::{HashMap, HashSet};

use bytes::BytesMut;
use faucet_core::connector::{Record, ValueRef};

use crate::config::{NulRule, Settings, TypeConflict};
use crate::schema::{PgType, shorten};
use crate::sql::Ident;
pub(crate) use build::{build_layout, column_of, required_columns};
pub(crate) use dead::DeadLetter;
use row::{Row, RowError};

/// The binary `COPY` stream header: signature, flags, extension length.
pub(crate) const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary `COPY` stream trailer.
pub(crate) const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// A top-level record field: its index in [`Layout::fields`].
    Field(usize),
    /// The whole record (as `jsonb`).
    Record,
    /// The run id.
    RunId,
    /// The record's sequence number in the transaction (upsert staging).
    Seq,
    /// Whether the record's delete field (named) is `true` (upsert
    /// staging).
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
    /// The record fields loaded into columns, in column order (a
    /// [`Slot::Field`] indexes this).
    pub(crate) fields: Vec<String>,
    /// Field name to its index in `fields`, for records whose fields do
    /// not arrive in column order.
    pub(crate) field_index: HashMap<String, usize>,
    /// Every non-null record field must have a column (no `columns`
    /// mapping and no record column): others trigger a schema change.
    pub(crate) every_field: bool,
    /// Mapped fields that have no column yet.
    pub(crate) pending_fields: Vec<String>,
    /// The delete field: never a column, read for [`Slot::Delete`].
    pub(crate) delete_field: Option<String>,
    pub(crate) run_id: String,
    pub(crate) policy: TypeConflict,
    pub(crate) nul: NulRule,
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

/// A record's JSON text shortened for messages.
pub(crate) fn short_record(record: &Record) -> String {
    shorten(record.to_string())
}

/// Refuses a page holding a record that is not a JSON object, unless
/// `record_column` stores records whole: fields become columns, and a
/// number, string, array or `null` has none.
pub(crate) fn check_objects(s: &Settings, records: &[Record], page: u64) -> Result<(), String> {
    if s.record_column.is_some() {
        return Ok(());
    }
    match records.iter().position(|r| !r.is_object()) {
        None => Ok(()),
        Some(index) => Err(format!(
            "{}: `{}` is not a JSON object, so it has no fields to load as columns; \
             set `record_column: <column>` to store each record whole in one jsonb column",
            position(page, index),
            short_record(&records[index])
        )),
    }
}

impl Layout {
    /// Encodes `records` into `buf`. `staging` numbers rows and tracks
    /// keys for upsert staging. Errors (type conflicts under
    /// `type_conflict: error`, NUL under `nul: error`) name the table,
    /// column, value and record.
    ///
    /// A key that appears twice in a record loads its last value, as
    /// `serde_json` and PostgreSQL's `jsonb` keep the last.
    pub(crate) fn encode(
        &self,
        records: &[Record],
        page: u64,
        staging: &mut Staging,
        buf: &mut BytesMut,
    ) -> Result<Encoded, String> {
        let mut rows = 0;
        let mut dead = Vec::new();
        // One value per loaded field, reused for every record of the page.
        let mut values: Vec<Option<ValueRef<'_>>> = vec![None; self.fields.len()];
        for (index, record) in records.iter().enumerate() {
            let start = buf.len();
            match self.encode_row(record, &mut values, staging.seq, buf) {
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
                    settable,
                }) => {
                    let position = position(page, index);
                    if self.policy == TypeConflict::DeadLetter && settable {
                        buf.truncate(start);
                        dead.push(DeadLetter {
                            position,
                            record: record.clone(),
                            reason: format!("column {column}: {reason}"),
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
}

#[cfg(test)]
mod tests;
