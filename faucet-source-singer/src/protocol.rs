//! Singer messages: one JSON object per line of the tap's stdout.
//!
//! A line is parsed once, into borrowed parts: a `RECORD`'s `record` stays
//! a `&RawValue` inside the line (no tree), so the record is built as a
//! slice of the chunk the line was read in.

use std::borrow::Cow;

use faucet_core::serde::Deserialize;
use faucet_core::serde_json::{self, value::RawValue};

/// One Singer message, borrowing from its line.
#[derive(Debug)]
pub(crate) enum Message<'a> {
    /// `SCHEMA`: defines (or redefines) a stream.
    Schema {
        stream: Cow<'a, str>,
        schema: &'a RawValue,
        key_properties: Vec<String>,
        bookmark_properties: Vec<String>,
    },
    /// `RECORD`: one record of a stream.
    Record {
        stream: Cow<'a, str>,
        record: &'a RawValue,
    },
    /// `STATE`: the tap's state after every message before it.
    State { value: &'a RawValue },
    /// `ACTIVATE_VERSION`: a full-table version marker; faucet ignores it.
    ActivateVersion { stream: Cow<'a, str> },
    /// `BATCH`: records in files named by a manifest.
    Batch {
        stream: Cow<'a, str>,
        encoding: BatchEncoding,
        manifest: Vec<String>,
    },
    /// Any other type, kept for a log line.
    Other { kind: Cow<'a, str> },
}

/// How a `BATCH` message's files are encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchEncoding {
    /// `jsonl` (the only format read).
    pub(crate) format: String,
    /// `gzip`, or `None` for plain files.
    pub(crate) compression: Option<String>,
}

#[derive(Deserialize)]
#[serde(crate = "faucet_core::serde")]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    stream: Option<Name<'a>>,
    #[serde(borrow, default)]
    record: Option<&'a RawValue>,
    #[serde(borrow, default)]
    schema: Option<&'a RawValue>,
    #[serde(default)]
    key_properties: Option<Vec<String>>,
    #[serde(default)]
    bookmark_properties: Option<Vec<String>>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
    #[serde(default)]
    encoding: Option<WireEncoding>,
    #[serde(default)]
    manifest: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(crate = "faucet_core::serde")]
struct WireEncoding {
    format: String,
    #[serde(default)]
    compression: Option<String>,
}

/// Parses one line; the error says what is missing or malformed (never
/// the line itself, which the caller shows masked).
pub(crate) fn parse(line: &[u8]) -> Result<Message<'_>, String> {
    let wire: Wire<'_> = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let mut wire = wire;
    match wire.kind.as_ref() {
        "RECORD" => {
            let stream = take_stream(&mut wire)?;
            let record = wire.record.ok_or("a RECORD message without `record`")?;
            Ok(Message::Record { stream, record })
        }
        "SCHEMA" => {
            let stream = take_stream(&mut wire)?;
            let schema = wire.schema.ok_or("a SCHEMA message without `schema`")?;
            Ok(Message::Schema {
                stream,
                schema,
                key_properties: wire.key_properties.unwrap_or_default(),
                bookmark_properties: wire.bookmark_properties.unwrap_or_default(),
            })
        }
        "STATE" => {
            let value = wire.value.ok_or("a STATE message without `value`")?;
            Ok(Message::State { value })
        }
        "ACTIVATE_VERSION" => Ok(Message::ActivateVersion {
            stream: take_stream(&mut wire)?,
        }),
        "BATCH" => {
            let stream = take_stream(&mut wire)?;
            let encoding = wire.encoding.ok_or("a BATCH message without `encoding`")?;
            Ok(Message::Batch {
                stream,
                encoding: BatchEncoding {
                    format: encoding.format,
                    compression: encoding.compression.filter(|c| c != "none"),
                },
                manifest: wire.manifest.unwrap_or_default(),
            })
        }
        _ => Ok(Message::Other { kind: wire.kind }),
    }
}

fn take_stream<'a>(wire: &mut Wire<'a>) -> Result<Cow<'a, str>, String> {
    wire.stream
        .take()
        .map(|n| n.0)
        .ok_or_else(|| format!("a {} message without `stream`", wire.kind))
}

/// A string borrowed from the line unless it holds escapes (serde's own
/// `Cow` in an `Option` always copies).
struct Name<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Name<'a> {
    fn deserialize<D: faucet_core::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> faucet_core::serde::de::Visitor<'de> for Visit<'a> {
            type Value = Name<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a stream name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'a>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'a>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(Visit(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_borrows_its_text() {
        let line = br#"{"type":"RECORD","stream":"users","record":{"id":1,"n":1e400},"time_extracted":"2024-01-01T00:00:00Z"}"#;
        let Message::Record { stream, record } = parse(line).unwrap() else {
            panic!("not a record")
        };
        assert_eq!(stream, "users");
        assert_eq!(record.get(), r#"{"id":1,"n":1e400}"#);
        assert!(matches!(stream, Cow::Borrowed(_)));
    }

    #[test]
    fn schema_state_and_others() {
        let line = br#"{"type":"SCHEMA","stream":"s","schema":{"type":"object"},"key_properties":["id"],"bookmark_properties":["at"]}"#;
        let Message::Schema {
            key_properties,
            bookmark_properties,
            schema,
            ..
        } = parse(line).unwrap()
        else {
            panic!("not a schema")
        };
        assert_eq!(
            (key_properties, bookmark_properties),
            (vec!["id".to_owned()], vec!["at".to_owned()])
        );
        assert_eq!(schema.get(), r#"{"type":"object"}"#);
        let state = parse(br#"{"type":"STATE","value":{"bookmarks":{}}}"#).unwrap();
        assert!(matches!(state, Message::State { value } if value.get() == r#"{"bookmarks":{}}"#));
        let batch = parse(br#"{"type":"BATCH","stream":"s","encoding":{"format":"jsonl","compression":"gzip"},"manifest":["file:///tmp/a.gz"]}"#).unwrap();
        assert!(
            matches!(batch, Message::Batch { encoding, .. } if encoding.compression.as_deref() == Some("gzip"))
        );
        assert!(matches!(
            parse(br#"{"type":"NEW"}"#).unwrap(),
            Message::Other { .. }
        ));
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        for line in [
            &b"garbage"[..],
            b"{}",
            b"{\"type\":\"RECORD\"}",
            b"{\"type\":\"RECORD\",\"stream\":\"s\"}",
            b"{\"type\":\"STATE\"}",
            b"[1]",
        ] {
            assert!(parse(line).is_err(), "{}", String::from_utf8_lossy(line));
        }
    }
}
