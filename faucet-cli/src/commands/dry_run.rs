//! `faucet run --dry-run`: reads one page and prints it; writes nothing.

use anyhow::Context;
use faucet_core::futures::StreamExt;
use faucet_core::{SourceContext, serde_json};

use crate::exit::Exit;
use crate::pipeline_file::{Connectors, PipelineFile};
use crate::secrets;

/// Reads the first page from the start and prints at most `limit` of its
/// records as JSON Lines on stdout, secrets masked. The sink is built (so
/// its config is checked) but never opened.
pub(crate) async fn run(
    file: &PipelineFile,
    built: Connectors,
    limit: Option<u64>,
) -> anyhow::Result<Exit> {
    let mut pages = built.source.stream_pages(SourceContext::new());
    let page = match pages.next().await {
        Some(page) => page.with_context(|| format!("reading the first page of `{}`", file.name))?,
        None => {
            eprintln!("Dry run: the source returned no pages; nothing would be written.");
            return Ok(Exit::Ok);
        }
    };
    let shown = limit.map_or(page.records().len(), |l| {
        page.records().len().min(l as usize)
    });
    let mut lines = String::new();
    for record in &page.records()[..shown] {
        lines.push_str(&serde_json::to_string(record)?);
        lines.push('\n');
    }
    crate::stdout::write(&secrets::redact(&lines))?;
    let checkpoint = page
        .checkpoint()
        .map_or_else(|| "none".to_owned(), |c| c.to_string());
    eprintln!(
        "{}",
        secrets::redact(&format!(
            "Dry run of `{}`: read 1 page ({} records, showing {shown}; next checkpoint {checkpoint}) from `{}`; nothing written to `{}`.",
            file.name,
            page.records().len(),
            file.source.kind,
            file.sink.kind,
        ))
    );
    Ok(Exit::Ok)
}
