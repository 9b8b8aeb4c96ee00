//! `faucet check`: runs each connector's own checks.

use anyhow::Context;
use faucet_core::{CheckItem, CheckReport, CheckStatus, Registry};
use serde_json::{Value, json};

use crate::cli::{CheckArgs, Format};
use crate::exit::Exit;
use crate::pipeline_file::{self, LoadOptions};
use crate::secrets;

/// Prints the source's, each transform's and the sink's checklists (✓
/// passed, ✗ failed, – skipped), or one JSON document with `--format
/// json`; exit 0 when nothing failed, 1 otherwise.
pub(crate) async fn run(args: &CheckArgs, registry: &Registry) -> anyhow::Result<Exit> {
    let options = LoadOptions {
        env_file: args.file.env_file.clone(),
    };
    let (file, built) = pipeline_file::load(&args.file.pipeline, &options, registry)?;
    let source = built
        .source
        .check()
        .await
        .context("source check failed to run")?;
    let sink = built
        .sink
        .check()
        .await
        .context("sink check failed to run")?;
    let transforms: Vec<(String, CheckReport)> = file
        .transforms
        .iter()
        .zip(&built.transforms)
        .map(|(spec, (transform, _))| (spec.connector.kind.clone(), transform.check()))
        .collect();
    let passed =
        source.passed() && sink.passed() && transforms.iter().all(|(_, report)| report.passed());
    if args.format.format == Format::Json {
        let doc = json!({
            "passed": passed,
            "source": items(&file.source.kind, &source),
            "transforms": transforms
                .iter()
                .map(|(kind, report)| items(kind, report))
                .collect::<Vec<_>>(),
            "sink": items(&file.sink.kind, &sink),
        });
        let text = secrets::redact(&serde_json::to_string_pretty(&doc)?).into_owned();
        crate::stdout::line(&text)?;
        return Ok(if passed { Exit::Ok } else { Exit::Failed });
    }
    let mut text = list(&format!("source `{}`", file.source.kind), &source);
    for (i, (kind, report)) in transforms.iter().enumerate() {
        text.push_str(&list(&format!("transforms[{i}] `{kind}`"), report));
    }
    text.push_str(&list(&format!("sink `{}`", file.sink.kind), &sink));
    text.push_str(if passed {
        "All checks passed.\n"
    } else {
        "Some checks failed.\n"
    });
    crate::stdout::write(&secrets::redact(&text))?;
    Ok(if passed { Exit::Ok } else { Exit::Failed })
}

/// A connector's checklist as JSON: `{type, items: [{name, status,
/// reason}]}`, and, for a source that checks several streams,
/// `streams: {name: [{name, status, reason}]}` (each item's name without
/// its stream).
fn items(kind: &str, report: &CheckReport) -> Value {
    let items: Vec<Value> = report
        .items
        .iter()
        .map(|item| item_json(&item.name, item))
        .collect();
    let mut doc = json!({ "type": kind, "items": items });
    let (_, streams) = by_stream(report);
    if !streams.is_empty() {
        doc["streams"] = streams
            .iter()
            .map(|(stream, items)| {
                let items: Vec<Value> = items.iter().map(|(n, i)| item_json(n, i)).collect();
                (stream.clone(), Value::Array(items))
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    doc
}

fn item_json(name: &str, item: &CheckItem) -> Value {
    let (status, reason) = match &item.status {
        CheckStatus::Passed => ("passed", None),
        CheckStatus::Failed(reason) => ("failed", Some(reason.as_str())),
        CheckStatus::Skipped(reason) => ("skipped", Some(reason.as_str())),
    };
    json!({"name": name, "status": status, "reason": reason})
}

/// Items of one stream, each with its name without the stream.
type StreamItems<'a> = Vec<(String, Vec<(String, &'a CheckItem)>)>;

/// Splits a checklist into the connector's own items and, when items of
/// two or more streams are named `check (stream)` (as a source reading
/// several streams names them), each stream's items, in order of first
/// appearance; with fewer, every item is the connector's own.
fn by_stream(report: &CheckReport) -> (Vec<&CheckItem>, StreamItems<'_>) {
    let mut own = Vec::new();
    let mut streams: StreamItems<'_> = Vec::new();
    for item in &report.items {
        let split = item
            .name
            .strip_suffix(')')
            .and_then(|rest| rest.split_once(" ("));
        let Some((check, stream)) = split else {
            own.push(item);
            continue;
        };
        let entry = match streams.iter().position(|(s, _)| s == stream) {
            Some(i) => &mut streams[i].1,
            None => {
                streams.push((stream.to_owned(), Vec::new()));
                &mut streams.last_mut().expect("just pushed").1
            }
        };
        entry.push((check.to_owned(), item));
    }
    if streams.len() < 2 {
        return (report.items.iter().collect(), Vec::new());
    }
    (own, streams)
}

/// A titled checklist, one line per item, a stream's items under it.
fn list(title: &str, report: &CheckReport) -> String {
    let mut out = format!("{title}\n");
    if report.items.is_empty() {
        out.push_str("  – nothing to check\n");
    }
    let (own, streams) = by_stream(report);
    for item in own {
        out.push_str(&line("  ", &item.name, item));
    }
    for (stream, items) in streams {
        out.push_str(&format!("  stream `{stream}`\n"));
        for (name, item) in items {
            out.push_str(&line("    ", &name, item));
        }
    }
    out
}

fn line(indent: &str, name: &str, item: &CheckItem) -> String {
    match &item.status {
        CheckStatus::Passed => format!("{indent}✓ {name}\n"),
        CheckStatus::Failed(reason) => format!("{indent}✗ {name}: {reason}\n"),
        CheckStatus::Skipped(reason) => format!("{indent}– {name} (skipped: {reason})\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_of_several_streams_are_grouped_under_each_stream() {
        let mut report = CheckReport::new();
        report
            .pass("reachable")
            .pass("records (accounts)")
            .fail("records (orders)", "HTTP 500")
            .skip("records (order_lines)", "no order");
        assert_eq!(
            list("source `rest`", &report),
            "source `rest`\n  ✓ reachable\n  stream `accounts`\n    ✓ records\n  \
             stream `orders`\n    ✗ records: HTTP 500\n  stream `order_lines`\n    \
             – records (skipped: no order)\n"
        );
        let doc = items("rest", &report);
        assert_eq!(doc["items"].as_array().unwrap().len(), 4);
        assert_eq!(doc["streams"]["orders"][0]["name"], "records");
        assert_eq!(doc["streams"]["orders"][0]["status"], "failed");
    }

    #[test]
    fn one_stream_or_a_parenthesis_alone_is_not_grouped() {
        let mut report = CheckReport::new();
        report
            .pass("reachable")
            .pass("table writable (public.users)");
        assert_eq!(
            list("sink `postgres`", &report),
            "sink `postgres`\n  ✓ reachable\n  ✓ table writable (public.users)\n"
        );
        assert!(items("postgres", &report).get("streams").is_none());
    }
}
