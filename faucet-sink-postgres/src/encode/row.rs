//! One record to one binary `COPY` row, in one pass over its fields.

use std::hash::{DefaultHasher, Hasher};

use bytes::{BufMut, BytesMut};
use faucet_core::connector::{Record, ValueRef};

use super::value::{Rules, write_json, write_value};
use super::{Layout, Slot, nul, short_record};
use crate::config::TypeConflict;
use crate::schema::{Fit, PgType, fit, short};

/// A row written, or why not.
pub(super) enum Row {
    Written {
        key_hash: Option<u64>,
        deleted: bool,
    },
    NeedsSchemaChange,
}

/// A value that cannot be loaded, for the caller to report or set aside.
pub(super) struct RowError {
    pub(super) column: String,
    pub(super) value: String,
    pub(super) reason: String,
    /// A type conflict, which `type_conflict: dead_letter` sets aside
    /// (not a NUL refused by `nul: error`, nor unreadable text).
    pub(super) settable: bool,
}

impl Layout {
    /// Encodes one record. `values` holds one slot per loaded field and
    /// is reused across records; its contents on entry do not matter.
    pub(super) fn encode_row<'r>(
        &self,
        record: &'r Record,
        values: &mut [Option<ValueRef<'r>>],
        seq: i64,
        buf: &mut BytesMut,
    ) -> Result<Row, RowError> {
        values.fill(None);
        let mut deleted = false;
        let needs_column = match record.fields() {
            Some(fields) => self.gather(fields, values, &mut deleted)?,
            None if !self.fields.is_empty() => {
                return Err(RowError {
                    column: "-".to_owned(),
                    value: short_record(record),
                    reason: "is not a JSON object; set `record_column` to store such records whole"
                        .to_owned(),
                    settable: true,
                });
            }
            None => false,
        };
        if needs_column {
            return Ok(Row::NeedsSchemaChange);
        }
        let rules = Rules {
            nul: self.nul,
            scalars_as_text: self.policy == TypeConflict::Text,
        };
        let mut key_hash: Option<DefaultHasher> = None;
        buf.put_i16(self.columns.len() as i16);
        for column in &self.columns {
            let start = buf.len();
            match &column.slot {
                Slot::Field(i) => {
                    let value = values[*i].as_ref().unwrap_or(&ValueRef::Null);
                    if let Err(reason) = write_value(column.ty, value, rules, buf) {
                        let settable = !nul::is_refusal(&reason);
                        let reason = match fit(column.ty, value, self.policy) {
                            Fit::Widen(_) => return Ok(Row::NeedsSchemaChange),
                            Fit::No(why) => why,
                            Fit::Yes => reason,
                        };
                        return Err(RowError {
                            column: column.name.to_string(),
                            value: short(value),
                            reason,
                            settable,
                        });
                    }
                }
                Slot::Record => {
                    let jsonb = column.ty == PgType::Jsonb;
                    write_json(jsonb, self.nul, buf, |buf| record.write_json(buf)).map_err(
                        |reason| RowError {
                            column: column.name.to_string(),
                            value: short_record(record),
                            reason,
                            settable: false,
                        },
                    )?;
                }
                Slot::RunId => {
                    buf.put_i32(self.run_id.len() as i32);
                    buf.put_slice(self.run_id.as_bytes());
                }
                Slot::Seq => {
                    buf.put_i32(8);
                    buf.put_i64(seq);
                }
                Slot::Delete(_) => {
                    buf.put_i32(1);
                    buf.put_u8(u8::from(deleted));
                }
            }
            if column.key {
                let hasher = key_hash.get_or_insert_with(DefaultHasher::new);
                hash_key(hasher, column.ty, &buf[start..]);
            }
        }
        Ok(Row::Written {
            key_hash: key_hash.map(|h| h.finish()),
            deleted,
        })
    }

    /// The pass over a record's fields: each loaded field's value into
    /// `values` (a repeated key's last value wins), the delete flag into
    /// `deleted`. Fields usually arrive in column order, so the next
    /// loaded field is tried first and the name index only on a miss.
    /// `Ok(true)`: a non-null field needs a column the table lacks.
    fn gather<'r>(
        &self,
        fields: impl Iterator<Item = faucet_core::Result<(std::borrow::Cow<'r, str>, ValueRef<'r>)>>,
        values: &mut [Option<ValueRef<'r>>],
        deleted: &mut bool,
    ) -> Result<bool, RowError> {
        let mut next = 0;
        for field in fields {
            let (key, value) = field.map_err(|e| RowError {
                column: "-".to_owned(),
                value: "-".to_owned(),
                reason: format!("cannot be read: {e}"),
                settable: false,
            })?;
            let hit = match self.fields.get(next) {
                Some(name) if *name == *key => Some(next),
                _ => self.field_index.get(&*key).copied(),
            };
            if let Some(i) = hit {
                values[i] = Some(value);
                next = i + 1;
            } else if self.delete_field.as_deref() == Some(&*key) {
                *deleted = value.as_bool().unwrap_or(false);
            } else if !value.is_null()
                && (self.every_field || self.pending_fields.iter().any(|f| *f == *key))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Hashes one encoded key field (length prefix included) so that keys
/// PostgreSQL finds equal hash alike: a `numeric` without its display
/// scale (`1.0` and `1.00` are one key), a float's `-0` as `0`.
fn hash_key(hasher: &mut DefaultHasher, ty: PgType, field: &[u8]) {
    match ty {
        PgType::Numeric if field.len() >= 12 => {
            hasher.write(&field[..10]);
            hasher.write(&field[12..]);
        }
        PgType::Float8 if field[4..] == (-0.0f64).to_be_bytes() => {
            hasher.write(&field[..4]);
            hasher.write(&0.0f64.to_be_bytes());
        }
        PgType::Float4 if field[4..] == (-0.0f32).to_be_bytes() => {
            hasher.write(&field[..4]);
            hasher.write(&0.0f32.to_be_bytes());
        }
        _ => hasher.write(field),
    }
}
