//! The Singer messages the sink writes, and the states a target echoes.
//!
//! A page becomes, on one line each: a `SCHEMA` message when its stream's
//! schema is new or changed, one `RECORD` per record with the record's
//! text spliced in as it arrived (no tree is built), and a `STATE` whose
//! value is `{"faucet_checkpoint": <the page's checkpoint>,
//! "faucet_sequence": n}`. A target echoes a state on its stdout once
//! everything before it is committed; the sequence number says which.

use faucet_core::connector::*;
use faucet_core::serde::de::IgnoredAny;
use faucet_core::serde_json;

/// A stream's name as a JSON string, encoded once per page.
pub(crate) fn stream_json(stream: &str) -> String {
    serde_json::to_string(stream).unwrap_or_else(|_| "\"\"".to_owned())
}

/// Appends a `SCHEMA` message.
pub(crate) fn write_schema(out: &mut Vec<u8>, stream: &str, schema: &Value, keys: &[String]) {
    let message = json!({
        "type": "SCHEMA",
        "stream": stream,
        "schema": schema,
        "key_properties": keys,
    });
    // Serialising a `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, &message);
    out.push(b'\n');
}

/// Appends one `RECORD` message per record. A record that is not a JSON
/// object (Singer records are objects) is an error naming its index.
pub(crate) fn write_records(
    out: &mut Vec<u8>,
    stream_json: &str,
    records: &[Record],
) -> Result<()> {
    let prefix = format!("{{\"type\":\"RECORD\",\"stream\":{stream_json},\"record\":");
    for (i, record) in records.iter().enumerate() {
        if !record.is_object() {
            return Err(FaucetError::sink_error(format!(
                "record {i} of the page is not a JSON object, and a Singer record must be one"
            )));
        }
        out.extend_from_slice(prefix.as_bytes());
        record.write_json(out);
        out.extend_from_slice(b"}\n");
    }
    Ok(())
}

/// Appends the `STATE` message of `checkpoint`, numbered `sequence`.
pub(crate) fn write_state(out: &mut Vec<u8>, checkpoint: &Checkpoint, sequence: u64) {
    out.extend_from_slice(b"{\"type\":\"STATE\",\"value\":{\"faucet_checkpoint\":");
    let _ = serde_json::to_writer(&mut *out, checkpoint);
    out.extend_from_slice(format!(",\"faucet_sequence\":{sequence}}}}}\n").as_bytes());
}

/// A state as targets echo it: the bare value (what the Singer SDK and
/// singer-python targets print), or a whole `STATE` message.
#[derive(Deserialize)]
#[serde(crate = "faucet_core::serde")]
struct Echo {
    faucet_sequence: Option<u64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    value: Option<EchoValue>,
}

#[derive(Deserialize)]
#[serde(crate = "faucet_core::serde")]
struct EchoValue {
    faucet_sequence: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    faucet_checkpoint: Option<IgnoredAny>,
}

/// The sequence number of a state the target echoed, or `None` for a line
/// that is not one of this sink's states.
pub(crate) fn echoed_sequence(line: &[u8]) -> Option<u64> {
    let echo: Echo = serde_json::from_slice(line).ok()?;
    echo.faucet_sequence.or_else(|| {
        (echo.kind.as_deref() == Some("STATE"))
            .then_some(echo.value?.faucet_sequence)
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(out: &[u8]) -> Vec<Value> {
        out.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect()
    }

    #[test]
    fn records_keep_their_text_and_each_message_is_one_line() {
        let text = Record::from_json("{\"n\": 1e400,\n \"s\": \"\\u00e9\"}").unwrap();
        let tree = Record::from(json!({"id": 2}));
        let mut out = Vec::new();
        let name = stream_json("a \"quoted\" stream");
        write_records(&mut out, &name, &[text, tree]).unwrap();
        let out_text = String::from_utf8(out).unwrap();
        let mut rows = out_text.lines();
        assert_eq!(
            rows.next().unwrap(),
            r#"{"type":"RECORD","stream":"a \"quoted\" stream","record":{"n":1e400,"s":"\u00e9"}}"#
        );
        assert_eq!(
            rows.next().unwrap(),
            r#"{"type":"RECORD","stream":"a \"quoted\" stream","record":{"id":2}}"#
        );
        assert_eq!(rows.next(), None);
    }

    #[test]
    fn a_record_that_is_not_an_object_is_an_error_naming_it() {
        let mut out = Vec::new();
        let records = [Record::from(json!({"a": 1})), Record::from(json!([1]))];
        let err = write_records(&mut out, "\"s\"", &records).unwrap_err();
        assert!(err.to_string().contains("record 1"), "{err}");
    }

    #[test]
    fn schema_and_state_messages_are_singer_messages() {
        let mut out = Vec::new();
        let keys = vec!["id".to_owned()];
        write_schema(&mut out, "users", &json!({"type": "object"}), &keys);
        write_state(&mut out, &Checkpoint::new(json!({"page": 3})), 7);
        write_state(&mut out, &Checkpoint::new(Value::Null), 8);
        assert_eq!(
            lines(&out),
            [
                json!({"type": "SCHEMA", "stream": "users", "schema": {"type": "object"},
                       "key_properties": ["id"]}),
                json!({"type": "STATE", "value": {"faucet_checkpoint": {"page": 3},
                       "faucet_sequence": 7}}),
                json!({"type": "STATE", "value": {"faucet_checkpoint": null,
                       "faucet_sequence": 8}}),
            ]
        );
    }

    #[test]
    fn echoed_states_are_read_bare_or_wrapped_and_other_lines_ignored() {
        let bare = br#"{"faucet_checkpoint": {"page": 3}, "faucet_sequence": 7}"#;
        assert_eq!(echoed_sequence(bare), Some(7));
        let wrapped = br#"{"type": "STATE", "value": {"faucet_sequence": 9}}"#;
        assert_eq!(echoed_sequence(wrapped), Some(9));
        for other in [&b"hello"[..], b"{}", b"[1]", br#"{"bookmarks": {}}"#, b""] {
            assert_eq!(echoed_sequence(other), None);
        }
    }
}
