//! `faucet run --dry-run`: reads one page, passes it through the file's
//! transforms and prints what the sink would get; writes nothing.

use std::sync::Mutex;

use anyhow::Context;
use faucet_core::connector::*;
use faucet_core::{Pipeline, RunReport};

use crate::exit::Exit;
use crate::pipeline_file::{Connectors, PipelineFile};
use crate::secrets;

/// Reads the first page from the start (the first page of a selected
/// stream, with `streams`), runs it through the transforms as `faucet run`
/// would (`on_error` included), and prints at most `limit` of the records
/// that come out as JSON Lines on stdout, secrets masked. The sink is built
/// (so its config is checked) but never opened.
pub(crate) async fn run(
    file: &PipelineFile,
    built: Connectors,
    limit: Option<u64>,
    streams: Option<&[String]>,
) -> anyhow::Result<Exit> {
    let selection = streams.map_or_else(StreamSelection::all, |names| {
        StreamSelection::only(names.iter().cloned())
    });
    let source = FirstPage {
        inner: built.source,
        selection,
        first: Mutex::new(None),
        stream: Mutex::new(None),
    };
    let shown = Shown::default();
    let transforms = built.transforms.len();
    // No limit on the pipeline: it would count records after the
    // transforms and cut the page; the counts printed are the whole page's.
    let mut pipeline = Pipeline::new(&source, &shown).with_name(file.name.clone());
    for (transform, on_error) in built.transforms {
        pipeline = pipeline.transform_with(transform, on_error);
    }
    let report = pipeline
        .run()
        .await
        .with_context(|| format!("dry run of `{}`", file.name))?;
    let Some(checkpoint) = source.first.into_inner().unwrap_or_else(|e| e.into_inner()) else {
        eprintln!("Dry run: the source returned no pages; nothing would be written.");
        return Ok(Exit::Ok);
    };
    let records = shown.0.into_inner().unwrap_or_else(|e| e.into_inner());
    let shown = limit.map_or(records.len(), |l| {
        records.len().min(usize::try_from(l).unwrap_or(usize::MAX))
    });
    let mut lines = String::new();
    for record in &records[..shown] {
        lines.push_str(&serde_json::to_string(record)?);
        lines.push('\n');
    }
    crate::stdout::write(&secrets::redact(&lines))?;
    let checkpoint = checkpoint.map_or_else(|| "none".to_owned(), |c| c.to_string());
    let of_stream = source
        .stream
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .map(|s| format!(" of stream `{s}`"))
        .unwrap_or_default();
    eprintln!(
        "{}",
        secrets::redact(&format!(
            "Dry run of `{}`: read 1 page{of_stream} ({}; next checkpoint {checkpoint}) from `{}`; nothing written to `{}`.",
            file.name,
            counts(&report, transforms, shown),
            file.source.kind,
            file.sink.kind,
        ))
    );
    Ok(Exit::Ok)
}

/// `100 records, showing 3`, or with transforms `100 records, 40 after 2
/// transforms (1 skipped), showing 3`.
fn counts(report: &RunReport, transforms: usize, shown: usize) -> String {
    let p = &report.progress;
    let mut text = format!("{} records", p.records_read);
    if transforms > 0 {
        let plural = if transforms == 1 { "" } else { "s" };
        text.push_str(&format!(
            ", {} after {transforms} transform{plural}",
            p.records_written
        ));
        if p.records_skipped > 0 {
            text.push_str(&format!(" ({} skipped)", p.records_skipped));
        }
    }
    text.push_str(&format!(", showing {shown}"));
    text
}

/// The source's first page (of a selected stream) only, remembering its
/// checkpoint (`Some(None)` once a page without one arrived) and stream.
struct FirstPage {
    inner: Box<dyn Source>,
    selection: StreamSelection,
    first: Mutex<Option<Option<Checkpoint>>>,
    stream: Mutex<Option<String>>,
}

#[async_trait]
impl Source for FirstPage {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let selection = self.selection.clone();
        self.inner
            .stream_pages(ctx.with_streams(self.selection.clone()))
            .filter(move |page| {
                // A page of a stream left out, or an empty page of a named
                // stream (a parent record without children), is passed over.
                let shown = match page {
                    Ok(page) => {
                        selection.selects(page.stream())
                            && !(page.stream().is_some() && page.is_empty())
                    }
                    Err(_) => true,
                };
                std::future::ready(shown)
            })
            .take(1)
            .inspect(|page| {
                if let Ok(page) = page {
                    let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
                    *first = Some(page.checkpoint().cloned());
                    *self.stream.lock().unwrap_or_else(|e| e.into_inner()) =
                        page.stream().map(str::to_owned);
                }
            })
            .boxed()
    }
}

/// Keeps what the pipeline would have written, to print it.
#[derive(Default)]
struct Shown(Mutex<Vec<Record>>);

#[async_trait]
impl Sink for Shown {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        let mut shown = self.0.lock().unwrap_or_else(|e| e.into_inner());
        shown.extend_from_slice(records);
        Ok(records.len())
    }
}
