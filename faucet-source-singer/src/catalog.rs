//! Catalogs: the tap's `--discover` output, and selecting streams in it.

use std::time::Duration;

use faucet_core::serde_json::{self, Map, Value, json};
use faucet_core::{FaucetError, Result, StreamInfo};
use tokio::io::AsyncReadExt;

use crate::mask::Masker;
use crate::process::{Launch, Tap};

/// Runs the tap with `--discover` (`launch` already holds `--config`) and
/// returns the catalog it prints.
pub(crate) async fn discover(launch: &Launch, masker: &Masker, idle: Duration) -> Result<Value> {
    let mut launch = launch.clone();
    launch.args.push("--discover".to_owned());
    let (mut tap, mut stdout) = Tap::spawn(&launch, masker)?;
    let mut out = Vec::new();
    let read = tokio::time::timeout(idle, stdout.read_to_end(&mut out)).await;
    match read {
        Err(_) => {
            tap.stop().await;
            return Err(FaucetError::source_error(format!(
                "the tap `{}` did not finish --discover within {}s (idle_timeout_secs)",
                tap.name,
                idle.as_secs()
            )));
        }
        Ok(Err(e)) => {
            return Err(FaucetError::source_error(format!(
                "cannot read the tap `{}`'s --discover output: {e}",
                tap.name
            ))
            .with_source(e));
        }
        Ok(Ok(_)) => {}
    }
    let status = tap.wait(idle).await?;
    if !status.success() {
        return Err(tap.failure(status));
    }
    serde_json::from_slice(&out).map_err(|e| {
        FaucetError::decode(
            format!("the tap `{}`'s --discover output", tap.name),
            format!(
                "not a JSON catalog: {e}; it starts: {}",
                masker.mask_bytes(&out[..out.len().min(80)])
            ),
        )
    })
}

/// The name of a catalog entry: `tap_stream_id`, else `stream`.
fn entry_name(entry: &Value) -> Option<&str> {
    entry
        .get("tap_stream_id")
        .or_else(|| entry.get("stream"))
        .and_then(Value::as_str)
}

fn entries(catalog: &Value) -> Result<&Vec<Value>> {
    catalog
        .get("streams")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            FaucetError::config(
                "catalog",
                "a Singer catalog is an object with a `streams` array",
            )
        })
}

/// Marks exactly the streams of `select` selected in `catalog` (legacy
/// `selected` and the `breadcrumb: []` metadata), the others deselected.
/// A name the catalog lacks is an error listing those it has.
pub(crate) fn select(catalog: &mut Value, select: &[String]) -> Result<()> {
    let names: Vec<String> = entries(catalog)?
        .iter()
        .filter_map(|e| entry_name(e).map(str::to_owned))
        .collect();
    for wanted in select {
        let known = entries(catalog)?.iter().any(|e| {
            entry_name(e) == Some(wanted) || e.get("stream").and_then(Value::as_str) == Some(wanted)
        });
        if !known {
            return Err(FaucetError::config(
                "select",
                format!(
                    "the tap has no stream `{wanted}`; it has: {}",
                    names.join(", ")
                ),
            ));
        }
    }
    let streams = catalog["streams"].as_array_mut().expect("checked above");
    for entry in streams.iter_mut() {
        let on = select.iter().any(|w| {
            entry_name(entry) == Some(w) || entry.get("stream").and_then(Value::as_str) == Some(w)
        });
        let Some(object) = entry.as_object_mut() else {
            continue;
        };
        object.insert("selected".to_owned(), Value::Bool(on));
        mark_metadata(object, on);
    }
    Ok(())
}

fn mark_metadata(entry: &mut Map<String, Value>, on: bool) {
    let metadata = entry
        .entry("metadata")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Some(items) = metadata.as_array_mut() else {
        return;
    };
    let root = items.iter_mut().find(|m| {
        m.get("breadcrumb")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    });
    match root
        .and_then(|m| m.get_mut("metadata"))
        .and_then(Value::as_object_mut)
    {
        Some(meta) => {
            meta.insert("selected".to_owned(), Value::Bool(on));
        }
        None => items.push(json!({"breadcrumb": [], "metadata": {"selected": on}})),
    }
}

/// The streams of a catalog, with their schemas, keys and replication
/// keys (from the entry or its `breadcrumb: []` metadata).
pub(crate) fn streams(catalog: &Value) -> Result<Vec<StreamInfo>> {
    let mut out = Vec::new();
    for entry in entries(catalog)? {
        let Some(name) = entry_name(entry) else {
            continue;
        };
        let schema = entry.get("schema").cloned().unwrap_or(Value::Null);
        let root = root_metadata(entry);
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut key = strings(entry.get("key_properties"));
        if key.is_empty() {
            key = strings(root.and_then(|m| m.get("table-key-properties")));
        }
        let replication = entry
            .get("replication_key")
            .or_else(|| root.and_then(|m| m.get("replication-key")))
            .and_then(Value::as_str);
        let mut info = StreamInfo::new(name, schema).with_primary_key(key);
        if let Some(r) = replication {
            info = info.with_replication_key(r);
        }
        out.push(info);
    }
    Ok(out)
}

fn root_metadata(entry: &Value) -> Option<&Map<String, Value>> {
    entry
        .get("metadata")?
        .as_array()?
        .iter()
        .find(|m| {
            m.get("breadcrumb")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        })?
        .get("metadata")?
        .as_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Value {
        json!({"streams": [
            {"tap_stream_id": "public-users", "stream": "users", "schema": {"type": "object"},
             "metadata": [{"breadcrumb": [], "metadata": {"selected": false, "table-key-properties": ["id"], "replication-key": "at"}}]},
            {"tap_stream_id": "public-orders", "stream": "orders", "schema": {}, "key_properties": ["oid"]}
        ]})
    }

    #[test]
    fn selecting_marks_both_forms_and_deselects_the_rest() {
        let mut c = catalog();
        select(&mut c, &["public-orders".to_owned()]).unwrap();
        assert_eq!(c["streams"][0]["selected"], json!(false));
        assert_eq!(
            c["streams"][0]["metadata"][0]["metadata"]["selected"],
            json!(false)
        );
        assert_eq!(c["streams"][1]["selected"], json!(true));
        assert_eq!(
            c["streams"][1]["metadata"],
            json!([{"breadcrumb": [], "metadata": {"selected": true}}])
        );
        let mut c = catalog();
        select(&mut c, &["users".to_owned()]).unwrap();
        assert_eq!(
            c["streams"][0]["metadata"][0]["metadata"]["selected"],
            json!(true)
        );
    }

    #[test]
    fn an_unknown_stream_is_a_config_error_listing_the_known() {
        let err = select(&mut catalog(), &["nope".to_owned()]).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("select") && text.contains("public-users, public-orders"),
            "{text}"
        );
    }

    #[test]
    fn streams_carry_keys_and_replication_keys() {
        let s = streams(&catalog()).unwrap();
        assert_eq!(s[0].name, "public-users");
        assert_eq!(s[0].primary_key, vec!["id".to_owned()]);
        assert_eq!(s[0].replication_key.as_deref(), Some("at"));
        assert_eq!(s[1].primary_key, vec!["oid".to_owned()]);
    }
}
