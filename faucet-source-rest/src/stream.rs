//! [`RestSource`]: the only module that does I/O.

use std::fmt;
use std::sync::Arc;

use faucet_common_http::HttpClient;
use faucet_core::connector::*;
use faucet_core::schema::infer_schema;
use faucet_core::schemars;
use faucet_core::{CheckReport, StreamInfo};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::RestSourceConfig;
use crate::pagination::{
    Message, PartitionState, Position, RunCtx, Shared, checkpoint, fetch_page, initial_states,
    run_chained, run_numbered,
};
use crate::plan::{Paging, Plan};

/// A source reading any paginated REST API. Build it with
/// [`RestSource::new`]; see the crate docs.
pub struct RestSource {
    shared: Arc<Shared>,
    base_url: String,
}

impl fmt::Debug for RestSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestSource")
            .field("base_url", &self.base_url)
            .field("stream", &self.shared.plan.stream_name)
            .field("partitions", &self.shared.plan.partitions.len())
            .field("concurrency", &self.shared.plan.concurrency)
            .finish_non_exhaustive()
    }
}

impl RestSource {
    /// Validates `config` and builds the source; no I/O. Errors are
    /// [`FaucetError::Config`] naming the field (e.g. `pagination.limit`).
    pub fn new(config: RestSourceConfig) -> Result<Self> {
        let plan = Plan::new(&config)?;
        let client = HttpClient::new(&config.http, &config.auth, config.concurrency)?;
        Ok(Self {
            base_url: client.redact_text(&config.base_url),
            shared: Arc::new(Shared { plan, client }),
        })
    }

    /// The HTTP client (shared limits, retry budget).
    pub fn client(&self) -> &HttpClient {
        &self.shared.client
    }

    fn spawn_partitions(
        &self,
        states: &[PartitionState],
        run: &RunCtx,
    ) -> (mpsc::Receiver<Message>, Vec<JoinHandle<()>>) {
        let (tx, rx) = mpsc::channel(states.len().max(2));
        let numbered = matches!(
            self.shared.plan.paging,
            Paging::Page { .. } | Paging::Offset { .. }
        );
        let handles = states
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.done)
            .map(|(i, s)| {
                let (shared, state, tx, run) =
                    (self.shared.clone(), s.clone(), tx.clone(), run.clone());
                if numbered {
                    tokio::spawn(run_numbered(shared, i, state, tx, run))
                } else {
                    tokio::spawn(run_chained(shared, i, state, tx, run))
                }
            })
            .collect();
        (rx, handles)
    }
}

/// Aborts the producers when the page stream is dropped.
struct Producers(Vec<JoinHandle<()>>);

impl Drop for Producers {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

struct Merge {
    rx: mpsc::Receiver<Message>,
    states: Vec<PartitionState>,
    incremental: bool,
    failed: bool,
    _producers: Producers,
}

#[async_trait]
impl Source for RestSource {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let states = match initial_states(&self.shared.plan, ctx.resume_from.as_ref()) {
            Ok(states) => states,
            Err(err) => return futures::stream::once(async { Err(err) }).boxed(),
        };
        let run = RunCtx {
            cancel: ctx.cancel.clone(),
            retries: ctx.retries().clone(),
        };
        let (rx, handles) = self.spawn_partitions(&states, &run);
        let merge = Merge {
            rx,
            states,
            incremental: self.shared.plan.incremental.is_some(),
            failed: false,
            _producers: Producers(handles),
        };
        futures::stream::unfold(merge, |mut m| async move {
            if m.failed {
                return None;
            }
            let (part, item) = m.rx.recv().await?;
            match item {
                Err(err) => {
                    m.failed = true;
                    Some((Err(err), m))
                }
                Ok(page) => {
                    m.states[part] = page.state;
                    let cp = checkpoint(&m.states, m.incremental);
                    let mut out = Page::new(page.records)
                        .with_checkpoint(cp)
                        .with_bytes(page.bytes);
                    let totals = m.states.iter().filter_map(|s| s.total);
                    if let Some(total) = totals.reduce(|a, b| a + b) {
                        out = out.with_expected_total(total);
                    }
                    Some((Ok(out), m))
                }
            }
        })
        .boxed()
    }

    fn config_schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(RestSourceConfig))
    }

    async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::new();
        let states = initial_states(&self.shared.plan, None)?;
        let run = RunCtx::default();
        match fetch_page(&self.shared, 0, &Position::Start, &states[0], &run).await {
            Ok(page) => {
                report.pass("reachable").pass("authorised");
                let _ = page;
                report.pass("records");
            }
            Err(err @ (FaucetError::Transport { .. } | FaucetError::RateLimited { .. })) => {
                report.fail("reachable", err.to_string());
                report
                    .skip("authorised", "not reachable")
                    .skip("records", "not reachable");
            }
            Err(
                err @ (FaucetError::Auth { .. }
                | FaucetError::Http {
                    status: 401 | 403, ..
                }),
            ) => {
                report.pass("reachable").fail("authorised", err.to_string());
                report.skip("records", "not authorised");
            }
            Err(err) => {
                report
                    .pass("reachable")
                    .pass("authorised")
                    .fail("records", err.to_string());
            }
        }
        Ok(report)
    }

    async fn discover(&self) -> Result<Vec<StreamInfo>> {
        let states = initial_states(&self.shared.plan, None)?;
        let page = fetch_page(
            &self.shared,
            0,
            &Position::Start,
            &states[0],
            &RunCtx::default(),
        )
        .await?;
        let schema = infer_schema(&page.records);
        Ok(vec![StreamInfo::new(
            self.shared.plan.stream_name.clone(),
            schema,
        )])
    }

    fn capabilities(&self) -> SourceCapabilities {
        let caps = SourceCapabilities::default().resumable().concurrent();
        if self.shared.plan.incremental.is_some() {
            caps.incremental()
        } else {
            caps
        }
    }

    fn name(&self) -> &str {
        "rest"
    }
}
