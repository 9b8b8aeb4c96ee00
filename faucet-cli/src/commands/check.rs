//! `faucet check`: runs each connector's own checks.

use anyhow::Context;
use faucet_core::{CheckReport, CheckStatus};

use crate::cli::FileArgs;
use crate::connectors;
use crate::exit::Exit;
use crate::pipeline_file::{self, LoadOptions};
use crate::secrets;

/// Prints the source's and the sink's checklists (✓ passed, ✗ failed,
/// – skipped); exit 0 when nothing failed, 1 otherwise.
pub(crate) async fn run(args: &FileArgs) -> anyhow::Result<Exit> {
    let options = LoadOptions {
        env_file: args.env_file.clone(),
    };
    let (file, built) = pipeline_file::load(&args.pipeline, &options, &connectors::builtin())?;
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
    let mut text = list(&format!("source `{}`", file.source.kind), &source);
    text.push_str(&list(&format!("sink `{}`", file.sink.kind), &sink));
    let passed = source.passed() && sink.passed();
    text.push_str(if passed {
        "All checks passed.\n"
    } else {
        "Some checks failed.\n"
    });
    crate::stdout::write(&secrets::redact(&text))?;
    Ok(if passed { Exit::Ok } else { Exit::Failed })
}

/// A titled checklist, one line per item.
fn list(title: &str, report: &CheckReport) -> String {
    let mut out = format!("{title}\n");
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
