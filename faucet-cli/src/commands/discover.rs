//! `faucet discover`: the streams a pipeline's source reads, with their
//! records' schema after the pipeline's transforms.

use anyhow::Context;
use faucet_core::{Registry, Source, StreamInfo, Transform};
use serde_json::{Value, json};

use crate::cli::{DiscoverArgs, Format};
use crate::exit::Exit;
use crate::pipeline_file::{self, LoadOptions};
use crate::secrets;

/// Prints every stream of the source as a table (name, parent, primary
/// key, replication key, top-level fields), or one JSON document with
/// `--format json` (each stream with its full JSON Schema).
pub(crate) async fn run(args: &DiscoverArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let options = LoadOptions {
        env_file: args.file.env_file.clone(),
    };
    let (file, built) = pipeline_file::load(&args.file.pipeline, &options, registry)?;
    let transforms: Vec<&dyn Transform> = built.transforms.iter().map(|(t, _)| &**t).collect();
    let streams = discover(&*built.source, &transforms)
        .await
        .with_context(|| {
            format!(
                "cannot discover the streams of source `{}`",
                file.source.kind
            )
        })?;
    let selected = |name: &str| {
        file.streams
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    };
    let text = if args.format.format == Format::Json {
        let doc = json!({
            "pipeline": file.name,
            "streams": streams
                .iter()
                .map(|s| {
                    let mut value = serde_json::to_value(s).unwrap_or(Value::Null);
                    value["selected"] = json!(selected(&s.name));
                    value
                })
                .collect::<Vec<_>>(),
        });
        serde_json::to_string_pretty(&doc)? + "\n"
    } else {
        let mut text = table(&streams);
        if let Some(names) = &file.streams {
            text.push_str(&format!(
                "The file's `streams:` writes {} of them: {}.\n",
                names.len(),
                names.join(", ")
            ));
        }
        text
    };
    crate::stdout::write(&secrets::redact(&text))?;
    Ok(Exit::Ok)
}

/// The source's streams, each schema passed through every transform in
/// order.
pub(crate) async fn discover(
    source: &dyn Source,
    transforms: &[&dyn Transform],
) -> faucet_core::Result<Vec<StreamInfo>> {
    let mut streams = source.discover().await?;
    for stream in &mut streams {
        for transform in transforms {
            stream.schema = transform.output_schema(&stream.schema);
        }
    }
    Ok(streams)
}

/// The streams as aligned columns.
fn table(streams: &[StreamInfo]) -> String {
    let header = [
        "STREAM",
        "PARENT",
        "PRIMARY KEY",
        "REPLICATION KEY",
        "FIELDS",
    ]
    .map(String::from);
    let rows: Vec<[String; 5]> = streams
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.parent.clone().unwrap_or_else(|| "–".to_owned()),
                or_dash(s.primary_key.join(", ")),
                s.replication_key.clone().unwrap_or_else(|| "–".to_owned()),
                or_dash(fields(&s.schema).join(", ")),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(the source reports no streams)\n");
    }
    out
}

fn or_dash(text: String) -> String {
    if text.is_empty() {
        "–".to_owned()
    } else {
        text
    }
}

/// The top-level field names of an object schema, in order.
fn fields(schema: &Value) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_columns_and_dashes_what_is_unknown() {
        let accounts = StreamInfo::new(
            "accounts",
            json!({"type": "object", "properties": {"id": {}, "handle": {}}}),
        )
        .with_primary_key(["id"]);
        let lines = StreamInfo::new("order_lines", json!({})).with_parent("accounts");
        assert_eq!(
            table(&[accounts, lines]),
            "STREAM       PARENT    PRIMARY KEY  REPLICATION KEY  FIELDS\n\
             accounts     –         id           –                id, handle\n\
             order_lines  accounts  –            –                –\n"
        );
    }
}
