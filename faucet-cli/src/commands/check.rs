//! `faucet check`: runs each connector's own checks.

use anyhow::Context;
use faucet_core::{CheckReport, CheckStatus, Registry};
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

/// A connector's checklist as JSON: `{type, items: [{name, status, reason}]}`.
fn items(kind: &str, report: &CheckReport) -> Value {
    let items: Vec<Value> = report
        .items
        .iter()
        .map(|item| {
            let (status, reason) = match &item.status {
                CheckStatus::Passed => ("passed", None),
                CheckStatus::Failed(reason) => ("failed", Some(reason.as_str())),
                CheckStatus::Skipped(reason) => ("skipped", Some(reason.as_str())),
            };
            json!({"name": item.name, "status": status, "reason": reason})
        })
        .collect();
    json!({ "type": kind, "items": items })
}

/// A titled checklist, one line per item.
fn list(title: &str, report: &CheckReport) -> String {
    let mut out = format!("{title}\n");
    if report.items.is_empty() {
        out.push_str("  – nothing to check\n");
    }
    for item in &report.items {
        let line = match &item.status {
            CheckStatus::Passed => format!("  ✓ {}", item.name),
            CheckStatus::Failed(reason) => format!("  ✗ {}: {reason}", item.name),
            CheckStatus::Skipped(reason) => format!("  – {} (skipped: {reason})", item.name),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}
