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
use tracing::Instrument;

use crate::config::RestSourceConfig;
use crate::pagination::{
    Message, PartitionState, Position, RunCtx, Shared, Target, checkpoint, fetch_page,
    initial_states, run_chained, run_numbered,
};
use crate::plan::{Paging, Plan};
use crate::resources::{self, Resources};

/// A source reading any paginated REST API. Build it with
/// [`RestSource::new`]; see the crate docs.
pub struct RestSource {
    /// The single stream (without `resources`: its pages are unnamed), or
    /// the plan of the top-level config.
    shared: Arc<Shared>,
    /// The streams, with `resources`.
    resources: Option<Arc<Resources>>,
    base_url: String,
    primary_key: Vec<String>,
}

impl fmt::Debug for RestSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RestSource");
        d.field("base_url", &self.base_url);
        match &self.resources {
            Some(resources) => d.field("resources", &resources.names()),
            None => d
                .field("stream", &self.shared.plan.stream_name)
                .field("partitions", &self.shared.plan.partitions.len()),
        };
        d.field("concurrency", &self.shared.plan.concurrency)
            .finish_non_exhaustive()
    }
}

impl RestSource {
    /// Validates `config` and builds the source; no I/O. Errors are
    /// [`FaucetError::Config`] naming the field (e.g. `pagination.limit`,
    /// `resources[2].path`).
    pub fn new(config: RestSourceConfig) -> Result<Self> {
        let client = HttpClient::new(&config.http, &config.auth, config.concurrency)?;
        let resources = if config.resources.is_empty() {
            None
        } else {
            Some(Arc::new(Resources::new(&config, &client)?))
        };
        let plan = Plan::new(&config)?;
        Ok(Self {
            base_url: client.redact_text(&config.base_url),
            shared: Arc::new(Shared { plan, client }),
            resources,
            primary_key: config.primary_key,
        })
    }

    /// The HTTP client (shared limits, retry budget): one for every
    /// resource.
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
                let target = Target::of(&shared.plan, i);
                // In the caller's span, so its log lines keep their run.
                if numbered {
                    tokio::spawn(run_numbered(shared, target, state, tx, run).in_current_span())
                } else {
                    tokio::spawn(run_chained(shared, target, state, tx, run).in_current_span())
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
        if let Some(resources) = &self.resources {
            return resources::stream_pages(resources, ctx);
        }
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
        if let Some(resources) = &self.resources {
            return Ok(resources::check(resources).await);
        }
        let mut report = CheckReport::new();
        let states = initial_states(&self.shared.plan, None)?;
        let run = RunCtx::default();
        match fetch_page(
            &self.shared,
            &Target::of(&self.shared.plan, 0),
            &Position::Start,
            &states[0],
            &run,
        )
        .await
        {
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
        if let Some(resources) = &self.resources {
            return resources::discover(resources).await;
        }
        let states = initial_states(&self.shared.plan, None)?;
        let page = fetch_page(
            &self.shared,
            &Target::of(&self.shared.plan, 0),
            &Position::Start,
            &states[0],
            &RunCtx::default(),
        )
        .await?;
        let schema = infer_schema(&page.records);
        let mut info = StreamInfo::new(self.shared.plan.stream_name.clone(), schema)
            .with_primary_key(self.primary_key.iter().cloned());
        if let Some(inc) = &self.shared.plan.incremental {
            info = info.with_replication_key(inc.replication_key.clone());
        }
        Ok(vec![info])
    }

    /// The resources' names: a selection is checked without a request.
    fn stream_names(&self) -> Option<Vec<String>> {
        self.resources.as_ref().map(|r| r.list_names())
    }

    fn full_refresh_streams(&self) -> Vec<String> {
        match &self.resources {
            Some(resources) if resources.incremental() => resources.full_refresh(),
            _ => Vec::new(),
        }
    }

    fn capabilities(&self) -> SourceCapabilities {
        let caps = SourceCapabilities::default().resumable().concurrent();
        let incremental = match &self.resources {
            Some(resources) => resources.incremental(),
            None => self.shared.plan.incremental.is_some(),
        };
        if incremental {
            caps.incremental()
        } else {
            caps
        }
    }

    fn name(&self) -> &str {
        "rest"
    }
}
