//! A resumable source of several interleaved streams, for sink tests.
//!
//! [`ScriptedStreams`] emits, round-robin over its streams, pages of
//! `{"stream": <name>, "id": <n>}` records (ids count from 1 in each
//! stream), each page carrying the whole pipeline's position as a
//! [`StreamStates`] map: for every stream, the pages of it already emitted.
//! A resumed run skips exactly those pages, so a sink that stores the
//! checkpoint with the rows sees every record of every stream once.

use faucet_core::connector::*;
use faucet_core::serde_json::json;

/// Several streams interleaved page by page; see the module docs.
#[derive(Debug, Clone)]
pub struct ScriptedStreams {
    streams: Vec<String>,
    pages_per_stream: u64,
    records_per_page: u64,
    fail_at: Option<u64>,
}

impl ScriptedStreams {
    /// `pages_per_stream` pages of `records_per_page` records for each of
    /// `streams`, interleaved: page 0 of every stream in order, then page 1
    /// of each, and so on.
    pub fn new(
        streams: impl IntoIterator<Item = impl Into<String>>,
        pages_per_stream: u64,
        records_per_page: u64,
    ) -> Self {
        Self {
            streams: streams.into_iter().map(Into::into).collect(),
            pages_per_stream,
            records_per_page,
            fail_at: None,
        }
    }

    /// Fails (a non-retryable source error) instead of emitting the
    /// `page`-th page of a run (counted from 0 among the pages this run
    /// emits, after those a resume skips).
    #[must_use]
    pub fn failing_at(mut self, page: u64) -> Self {
        self.fail_at = Some(page);
        self
    }

    /// The stream names, in order.
    pub fn streams(&self) -> &[String] {
        &self.streams
    }

    /// Every record of `stream`, in order.
    pub fn records_of(&self, stream: &str) -> Vec<Value> {
        let total = self.pages_per_stream * self.records_per_page;
        (1..=total)
            .map(|id| json!({ "stream": stream, "id": id }))
            .collect()
    }

    /// The pages of a run resuming from `states`, with their checkpoints.
    fn pages(&self, mut states: StreamStates) -> Vec<Result<Page>> {
        let mut pages = Vec::new();
        for page in 0..self.pages_per_stream {
            for stream in &self.streams {
                let done = states.get(stream).and_then(Value::as_u64).unwrap_or(0);
                if page < done {
                    continue;
                }
                if self.fail_at == Some(pages.len() as u64) {
                    pages.push(Err(FaucetError::source_error(format!(
                        "scripted failure before page {page} of stream `{stream}`"
                    ))));
                    return pages;
                }
                states.set(stream.clone(), json!(page + 1));
                let first = page * self.records_per_page + 1;
                let records = (first..first + self.records_per_page)
                    .map(|id| json!({ "stream": stream, "id": id }).into())
                    .collect();
                pages.push(Ok(Page::new(records)
                    .with_stream(stream.as_str())
                    .with_checkpoint(states.to_checkpoint())));
            }
        }
        pages
    }
}

#[async_trait]
impl Source for ScriptedStreams {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        match StreamStates::from_checkpoint(ctx.resume_from.as_ref()) {
            Ok(states) => stream::iter(self.pages(states)).boxed(),
            Err(err) => stream::iter([Err(err)]).boxed(),
        }
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }

    fn name(&self) -> &str {
        "scripted-streams"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resuming_skips_exactly_the_pages_in_the_checkpoint() {
        let source = ScriptedStreams::new(["a", "b"], 3, 2);
        let pages = source.pages(StreamStates::default());
        assert_eq!(pages.len(), 6);
        let third = pages[2].as_ref().unwrap();
        assert_eq!(third.stream(), Some("a"));
        assert_eq!(third.records()[0], json!({"stream": "a", "id": 3}));
        let resumed = StreamStates::from_checkpoint(third.checkpoint()).unwrap();
        let rest = source.pages(resumed);
        assert_eq!(rest.len(), 3);
        let first = rest[0].as_ref().unwrap();
        assert_eq!(first.stream(), Some("b"));
        assert_eq!(first.records()[0], json!({"stream": "b", "id": 3}));
        let failing = source.failing_at(1).pages(StreamStates::default());
        assert_eq!(failing.len(), 2);
        assert!(failing[1].is_err());
    }
}
