//! A real server on 127.0.0.1:0 with a gated source and the JSON Lines
//! sink, and a real HTTP client.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use faucet_core::connector::*;
use faucet_core::{ConnectorCapabilities, ConnectorKind, Registry};
use faucet_serve::{JsonLoader, RunRecord, RunState, ServeOptions, Server};
use tokio::sync::Semaphore;

/// Config of the gated source.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(crate = "faucet_core::serde", deny_unknown_fields)]
#[schemars(crate = "faucet_core::schemars")]
pub(crate) struct GatedConfig {
    /// Pages with records.
    pub(crate) pages: u64,
    /// Records per page.
    pub(crate) per_page: u64,
    /// A credential, which must never be shown.
    #[serde(default)]
    pub(crate) token: Option<String>,
    /// Fail instead of producing this page, with the token in the message.
    #[serde(default)]
    pub(crate) fail_at: Option<u64>,
    /// Panic instead of producing this page.
    #[serde(default)]
    pub(crate) panic_at: Option<u64>,
    /// The stream every page names, if any.
    #[serde(default)]
    pub(crate) stream: Option<String>,
    /// Log a warning naming the token before producing this page.
    #[serde(default)]
    pub(crate) warn_at: Option<u64>,
}

/// `pages` pages of records `{"id": n, "page": p}`, each produced only
/// once the test hands out a permit; checkpoint `{"next_page": p + 1}`.
pub(crate) struct GatedSource {
    config: GatedConfig,
    gate: Arc<Semaphore>,
}

#[async_trait]
impl Source for GatedSource {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let start = ctx
            .resume_from
            .as_ref()
            .and_then(|c| c.as_value().get("next_page"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let pages = self.config.pages;
        stream::iter(start..=pages)
            .then(move |page| async move {
                if page == pages {
                    return Ok(Page::new(Vec::new()).with_checkpoint(Value::Null));
                }
                let permit = self.gate.acquire().await.expect("gate open");
                permit.forget();
                if self.config.panic_at == Some(page) {
                    panic!("gated source panics at page {page}");
                }
                if self.config.warn_at == Some(page) {
                    let token = self.config.token.clone().unwrap_or_default();
                    tracing::warn!(page, token = %token, "Gated source warns");
                }
                if self.config.fail_at == Some(page) {
                    let token = self.config.token.clone().unwrap_or_default();
                    return Err(FaucetError::source_error(format!(
                        "refused with token {token}"
                    )));
                }
                let per = self.config.per_page;
                let records = (page * per + 1..=page * per + per)
                    .map(|id| Record::from(json!({ "id": id, "page": page })))
                    .collect();
                let page = Page::new(records).with_checkpoint(json!({ "next_page": page + 1 }));
                Ok(match &self.config.stream {
                    Some(stream) => page.with_stream(stream.as_str()),
                    None => page,
                })
            })
            .boxed()
    }

    fn capabilities(&self) -> SourceCapabilities {
        SourceCapabilities::default().resumable()
    }

    fn name(&self) -> &str {
        "gated"
    }
}

/// The server under test, its client, its gate and its directory.
pub(crate) struct Harness {
    pub(crate) server: Option<Server>,
    pub(crate) client: reqwest::Client,
    pub(crate) url: String,
    pub(crate) gate: Arc<Semaphore>,
    pub(crate) dir: tempfile::TempDir,
}

/// A registry of `gated` (sharing `gate`, declared resumable) and
/// `jsonl` as its crate registers it.
pub(crate) fn registry(gate: Arc<Semaphore>) -> Registry {
    let mut registry = Registry::new();
    registry
        .register_source("gated", "Pages the test lets through.", move |config| {
            Ok(GatedSource {
                config,
                gate: Arc::clone(&gate),
            })
        })
        .with_capabilities(
            ConnectorKind::Source,
            "gated",
            ConnectorCapabilities::default().resumable(),
        );
    faucet_sink_jsonl::register(&mut registry);
    registry
}

/// Sends the log events of runs to their event logs, as the `faucet`
/// binary does: once per test process.
pub(crate) fn install_run_log() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, filter::LevelFilter};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let layer = faucet_serve::RunLogLayer::new().with_filter(LevelFilter::INFO);
        let subscriber = tracing_subscriber::registry().with(layer);
        // Another test binary's subscriber cannot be here: this is the
        // only place one is set.
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

impl Harness {
    /// A server allowing `max_runs` runs, its state in a new temp dir.
    pub(crate) async fn start(max_runs: usize) -> Self {
        Self::start_with(max_runs, registry).await
    }

    /// A server allowing `max_runs` runs with the registry `registry`
    /// makes from the gate.
    pub(crate) async fn start_with(
        max_runs: usize,
        registry: impl FnOnce(Arc<Semaphore>) -> Registry,
    ) -> Self {
        install_run_log();
        let dir = tempfile::tempdir().unwrap();
        let gate = Arc::new(Semaphore::new(0));
        let mut harness = Self {
            server: None,
            client: reqwest::Client::new(),
            url: String::new(),
            gate,
            dir,
        };
        let registry = registry(Arc::clone(&harness.gate));
        harness.restart_with(max_runs, registry).await;
        harness
    }

    /// Starts (again) a server on the same state directory.
    pub(crate) async fn restart(&mut self, max_runs: usize) {
        let registry = registry(Arc::clone(&self.gate));
        self.restart_with(max_runs, registry).await;
    }

    /// Starts (again) a server with `registry` on the same state
    /// directory.
    pub(crate) async fn restart_with(&mut self, max_runs: usize, registry: Registry) {
        let options = ServeOptions::new("127.0.0.1:0".parse().unwrap())
            .with_identity("faucet-test", "9.9.9")
            .with_state_dir(self.dir.path().join("serve"))
            .with_pipelines_dir(self.dir.path().join("pipes"))
            .with_max_runs(max_runs)
            .with_max_body_bytes(64 * 1024);
        let server = Server::start(Arc::new(JsonLoader), Arc::new(registry), options)
            .await
            .unwrap();
        self.url = server.url();
        self.server = Some(server);
    }

    /// Shuts the server down gracefully.
    pub(crate) async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }

    /// The output file of pipeline `name`.
    pub(crate) fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.jsonl"))
    }

    /// A JSON spec of `name`: `pages` gated pages of `per_page` into
    /// `<dir>/<name>.jsonl`, committing every page.
    pub(crate) fn spec(&self, name: &str, pages: u64, per_page: u64) -> serde_json::Value {
        json!({
            "name": name,
            "source": {"type": "gated", "pages": pages, "per_page": per_page},
            "sink": {"type": "jsonl", "path": self.out(name), "commit_records": 1, "fsync": false},
        })
    }

    /// `POST path` with `body` as text.
    pub(crate) async fn post(&self, path: &str, body: String) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.url))
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// `GET path` as JSON, asserting 200.
    pub(crate) async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Starts a run of `spec`, asserting 202; returns its record.
    pub(crate) async fn start_run(&self, spec: &serde_json::Value, query: &str) -> RunRecord {
        let body = if spec.is_null() {
            String::new()
        } else {
            spec.to_string()
        };
        let response = self.post(&format!("/runs{query}"), body).await;
        assert_eq!(response.status(), 202, "POST /runs");
        response.json().await.unwrap()
    }

    /// Polls run `id` until `done` holds for it.
    pub(crate) async fn wait_for(&self, id: &str, done: impl Fn(&RunRecord) -> bool) -> RunRecord {
        let mut last = None;
        for _ in 0..2000 {
            let record: RunRecord =
                serde_json::from_value(self.get_json(&format!("/runs/{id}")).await).unwrap();
            if done(&record) {
                return record;
            }
            last = Some(record);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("run {id} never reached the awaited state: {last:?}");
    }

    /// Polls run `id` until it is over.
    pub(crate) async fn wait_final(&self, id: &str) -> RunRecord {
        self.wait_for(id, |r| r.state.is_final()).await
    }
}

/// The records of a JSON Lines file, parsed.
pub(crate) fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The records the gated source makes for pages `pages`.
pub(crate) fn expected(pages: std::ops::Range<u64>, per_page: u64) -> Vec<serde_json::Value> {
    pages
        .flat_map(|p| (p * per_page + 1..=p * per_page + per_page).map(move |id| (id, p)))
        .map(|(id, page)| json!({ "id": id, "page": page }))
        .collect()
}

/// Whether a run is running and has committed `pages` pages.
pub(crate) fn at_pages(pages: u64) -> impl Fn(&RunRecord) -> bool {
    move |r| r.state == RunState::Running && r.counts.pages >= pages
}

/// The `event:` and `data:` of each server-sent event in `text`, data
/// parsed.
pub(crate) fn sse_events(text: &str) -> Vec<(String, serde_json::Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_owned(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

/// The `log` events of `events` as (level, message).
pub(crate) fn log_lines(events: &[(String, serde_json::Value)]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|(event, _)| event == "log")
        .map(|(_, data)| {
            let level = data["level"].as_str().unwrap().to_owned();
            (level, data["message"].as_str().unwrap().to_owned())
        })
        .collect()
}
