//! Records set aside under `type_conflict: dead_letter`, and their text
//! as a `jsonb` parameter for the dead-letter table.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use faucet_core::connector::Record;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::nul::strip_nul;

/// A record sent to the dead-letter table.
#[derive(Debug, Clone)]
pub(crate) struct DeadLetter {
    pub(crate) position: String,
    /// The record as it arrived (its text, for text records).
    pub(crate) record: Record,
    pub(crate) reason: String,
}

impl DeadLetter {
    /// The record's text, on one line and without `\u0000` escapes
    /// (which `jsonb` cannot hold), to bind as a `jsonb` parameter.
    pub(crate) fn record_jsonb(&self) -> JsonText {
        let mut text = Vec::new();
        self.record.write_json(&mut text);
        let len = strip_nul(&mut text);
        text.truncate(len);
        JsonText(text)
    }
}

/// JSON text bound as a `jsonb` or `json` parameter as it is: the server
/// parses the text the source sent, not a re-serialised tree.
#[derive(Debug, Clone)]
pub(crate) struct JsonText(Vec<u8>);

impl ToSql for JsonText {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.put_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSONB | Type::JSON)
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letters_keep_the_record_text() {
        let record = Record::from_json("{\n \"n\": 1e400, \"s\": \"a\\u0000\\u00e9\"\n}").unwrap();
        let dead = DeadLetter {
            position: "page 0, record 0".to_owned(),
            record,
            reason: "column n: does not fit".to_owned(),
        };
        let mut out = BytesMut::new();
        dead.record_jsonb().to_sql(&Type::JSONB, &mut out).unwrap();
        assert_eq!(&out[..], b"\x01{\"n\":1e400,\"s\":\"a\\u00e9\"}");
        assert!(!JsonText::accepts(&Type::TEXT));
    }
}
