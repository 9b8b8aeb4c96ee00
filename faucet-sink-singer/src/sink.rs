//! The Singer sink: the [`Sink`] implementation over a target process.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faucet_core::connector::*;
use faucet_core::{FileStateStore, StateStore};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use crate::config::SingerSinkConfig;
use crate::confirm::{SharedLedger, confirm_states, lock};
use crate::mask::Masker;
use crate::process::{Launch, Target};
use crate::protocol::{stream_json, write_records, write_schema, write_state};
use crate::schema::Schemas;
use crate::venv;

/// Feeds a Singer target: `SCHEMA`, `RECORD` and `STATE` messages on its
/// stdin, and the states it echoes on its stdout stored as the pipeline's
/// checkpoint (see the [crate docs](crate) for the delivery guarantee).
#[derive(Debug)]
pub struct SingerSink {
    config: SingerSinkConfig,
    masker: Masker,
    store: FileStateStore,
    session: Mutex<Session>,
}

/// What one run holds.
#[derive(Debug, Default)]
struct Session {
    /// The program to run, once resolved (a managed virtualenv's).
    program: Option<PathBuf>,
    running: Option<Running>,
    /// The number of the last state sent, across targets.
    sequence: u64,
    /// This run's lock beside its pipeline's state file (and the
    /// pipeline's name): a second run of the pipeline is refused while it
    /// is held.
    lock: Option<(String, RunLock)>,
}

/// A target and what has been sent to it.
#[derive(Debug)]
struct Running {
    target: Target,
    confirmer: JoinHandle<()>,
    ledger: SharedLedger,
    schemas: Schemas,
    /// The last state sent, and whether records followed it.
    last_state: Option<Checkpoint>,
    records_after_state: bool,
}

impl SingerSink {
    /// A sink for `config`. Nothing is started until the first page.
    pub fn new(config: SingerSinkConfig) -> Result<Self> {
        if config.executable.trim().is_empty() {
            return Err(FaucetError::config(
                "executable",
                "must name the target's executable",
            ));
        }
        if config
            .pip_url
            .as_deref()
            .is_some_and(|p| p.trim().is_empty())
        {
            return Err(FaucetError::config("pip_url", "must not be empty"));
        }
        if config.pip_url.is_some() && config.executable.contains('/') {
            return Err(FaucetError::config(
                "executable",
                "with pip_url, name an executable of the package (`target-postgres`), not a path",
            ));
        }
        if config.idle_timeout_secs == 0 {
            return Err(FaucetError::config(
                "idle_timeout_secs",
                "must be at least 1",
            ));
        }
        for (stream, keys) in &config.key_properties {
            if keys.iter().any(|k| k.is_empty()) {
                return Err(FaucetError::config(
                    format!("key_properties.{stream}"),
                    "a key property must name a field",
                ));
            }
        }
        if config.stream.as_deref().is_some_and(str::is_empty) {
            return Err(FaucetError::config("stream", "must not be empty"));
        }
        Ok(Self {
            masker: config.masker(),
            store: FileStateStore::new(&config.state_dir),
            config,
            session: Mutex::new(Session::default()),
        })
    }

    /// The configuration this sink was built from.
    pub fn config(&self) -> &SingerSinkConfig {
        &self.config
    }

    /// Takes this run's lock beside the pipeline's state file at its first
    /// page, once per run (again for another pipeline); another run holding
    /// it is [`FaucetError::AlreadyRunning`]. Reading the checkpoint takes
    /// no lock, so `faucet state show` works while a run goes on.
    fn lock(&self, session: &mut Session, pipeline: &str) -> Result<()> {
        if session
            .lock
            .as_ref()
            .is_none_or(|(held, _)| held != pipeline)
        {
            session.lock = None;
            std::fs::create_dir_all(&self.config.state_dir).map_err(|e| {
                FaucetError::sink_error(format!(
                    "cannot create the state directory {}",
                    self.config.state_dir.display()
                ))
                .with_source(e)
            })?;
            let state = self.store.path_for(pipeline);
            session.lock = Some((pipeline.to_owned(), RunLock::acquire(&state, pipeline)?));
        }
        Ok(())
    }

    fn launch(&self, program: PathBuf) -> Launch {
        Launch {
            program,
            args: self.config.args.clone(),
            config: self.config.config.clone(),
            env: self.config.env.clone().into_iter().collect(),
            idle: Duration::from_secs(self.config.idle_timeout_secs),
            grace: Duration::from_secs(self.config.terminate_grace_secs),
            masker: self.masker.clone(),
            name: self.config.executable.clone(),
        }
    }

    /// The program to run: `executable`, or its managed virtualenv's.
    async fn program(&self, session: &mut Session) -> Result<PathBuf> {
        if let Some(program) = &session.program {
            return Ok(program.clone());
        }
        let program = match &self.config.pip_url {
            None => PathBuf::from(&self.config.executable),
            Some(pip_url) => {
                let (dir, pip_url) = (self.config.venvs_dir(), pip_url.clone());
                let (exe, masker) = (self.config.executable.clone(), self.masker.clone());
                tokio::task::spawn_blocking(move || venv::ensure(&dir, &pip_url, &exe, &masker))
                    .await
                    .map_err(FaucetError::custom)??
            }
        };
        session.program = Some(program.clone());
        Ok(program)
    }

    async fn start(&self, session: &mut Session, pipeline: &str) -> Result<Running> {
        let program = self.program(session).await?;
        let (tx, rx) = mpsc::channel(64);
        let target = Target::start(Arc::new(self.launch(program)), tx)?;
        let ledger = SharedLedger::default();
        let confirmer = tokio::spawn(confirm_states(
            rx,
            Arc::clone(&ledger),
            self.store.clone(),
            pipeline.to_owned(),
            self.masker.clone(),
        ));
        Ok(Running {
            target,
            confirmer,
            ledger,
            schemas: Schemas::default(),
            last_state: None,
            records_after_state: false,
        })
    }

    /// The messages for `page`.
    fn encode(
        &self,
        running: &mut Running,
        seq: &mut u64,
        page: &Page,
        stream: &str,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(page.len() * 128 + 256);
        if let Some(announce) =
            running
                .schemas
                .before(stream, page, self.config.key_properties.get(stream))
        {
            write_schema(&mut out, stream, &announce.schema, &announce.keys);
        }
        write_records(&mut out, &stream_json(stream), page.records())?;
        if !page.is_empty() {
            running.records_after_state = true;
        }
        if let Some(checkpoint) = page.checkpoint() {
            *seq += 1;
            write_state(&mut out, checkpoint, *seq);
            lock(&running.ledger).sent(*seq, checkpoint.clone());
            running.last_state = Some(checkpoint.clone());
            running.records_after_state = false;
        }
        Ok(out)
    }

    /// Closes the running target's input, waits for it, and checks that
    /// it confirmed the last state it was sent.
    async fn close(&self, session: &mut Session) -> Result<()> {
        let Some(mut running) = session.running.take() else {
            return Ok(());
        };
        if running.records_after_state
            && let Some(checkpoint) = running.last_state.clone()
        {
            // Some targets echo a state only when it is the last message.
            session.sequence += 1;
            let mut out = Vec::new();
            write_state(&mut out, &checkpoint, session.sequence);
            lock(&running.ledger).sent(session.sequence, checkpoint);
            running.target.write(&out).await?;
        }
        let closed = running.target.close().await;
        let grace = Duration::from_secs(self.config.terminate_grace_secs.max(1));
        let _ = tokio::time::timeout(grace, &mut running.confirmer).await;
        closed?;
        let mut ledger = lock(&running.ledger);
        if let Some(err) = ledger.take_failure() {
            return Err(err);
        }
        if !ledger.all_confirmed() {
            return Err(FaucetError::sink_error(format!(
                "the Singer target {} exited without confirming the last state it was sent \
                 (number {}): faucet cannot tell whether the records after the last state it \
                 confirmed were loaded, so the next run sends them again",
                self.config.executable,
                ledger.last_sent().unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Stops a running target without waiting for it to finish its work.
    async fn abandon(&self, session: &mut Session) {
        if let Some(mut running) = session.running.take() {
            running.target.terminate().await;
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut running.confirmer).await;
        }
    }
}

#[async_trait]
impl Sink for SingerSink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        let page = Page::new(records.to_vec());
        let ctx = CommitContext::new(faucet_core::DEFAULT_PIPELINE_NAME, 0);
        self.commit_page(&page, &ctx).await.map(|c| c.written)
    }

    async fn commit_page(&self, page: &Page, ctx: &CommitContext) -> Result<PageCommit> {
        let mut session = self.session.lock().await;
        if let Some(running) = &session.running
            && let Some(err) = lock(&running.ledger).take_failure()
        {
            return Err(err);
        }
        self.lock(&mut session, &ctx.pipeline)?;
        if page.is_empty() && session.running.is_none() {
            // Nothing is pending: a page without records is durable as soon
            // as its checkpoint is stored.
            if let Some(checkpoint) = page.checkpoint() {
                self.store.save(&ctx.pipeline, checkpoint).await?;
                return Ok(PageCommit::new(0, Durability::RowsAndCheckpoint));
            }
            return Ok(PageCommit::new(0, Durability::Buffered));
        }
        if session.running.is_none() {
            let running = self.start(&mut session, &ctx.pipeline).await?;
            session.running = Some(running);
        }
        let stream = page
            .stream()
            .or(self.config.stream.as_deref())
            .unwrap_or(&ctx.pipeline)
            .to_owned();
        let mut seq = session.sequence;
        let session = &mut *session;
        let Some(running) = session.running.as_mut() else {
            return Err(FaucetError::sink_error("the Singer target is not running"));
        };
        let out = self.encode(running, &mut seq, page, &stream)?;
        session.sequence = seq;
        if let Err(err) = running.target.write(&out).await {
            self.abandon(session).await;
            return Err(err);
        }
        Ok(PageCommit::new(page.len(), Durability::Buffered))
    }

    async fn flush(&self) -> Result<()> {
        let mut session = self.session.lock().await;
        let closed = self.close(&mut session).await;
        if closed.is_err() {
            self.abandon(&mut session).await;
        }
        closed
    }

    async fn load_checkpoint(&self, pipeline: &str) -> Result<Option<Checkpoint>> {
        let mut session = self.session.lock().await;
        self.abandon(&mut session).await;
        self.store.load(pipeline).await
    }

    async fn finish(&self, outcome: RunOutcome) -> Result<()> {
        let _ = outcome;
        // A healthy run was flushed: the target has exited. Otherwise the
        // run failed in the sink, and its target is stopped unfinished.
        let mut session = self.session.lock().await;
        self.abandon(&mut session).await;
        session.lock = None;
        Ok(())
    }

    async fn clear_checkpoint(&self, pipeline: &str) -> Result<()> {
        self.store.clear(pipeline).await
    }

    fn config_schema(&self) -> Option<faucet_core::schemars::Schema> {
        Some(faucet_core::schemars::schema_for!(SingerSinkConfig))
    }

    async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::new();
        match &self.config.pip_url {
            Some(_) => report.skip("executable", "installed with pip_url on the first run"),
            None => match find_executable(&self.config.executable) {
                Some(_) => report.pass("executable"),
                None => report.fail(
                    "executable",
                    format!("`{}` is not a file nor on PATH", self.config.executable),
                ),
            },
        };
        Ok(report)
    }

    /// Streams, each sent under its own name; idempotent when the config
    /// says the target upserts. Checkpoints are the sink's own but not
    /// atomic with the target's commits (see the crate docs).
    fn capabilities(&self) -> SinkCapabilities {
        let capabilities = SinkCapabilities::default().streams();
        if self.config.idempotent {
            capabilities.idempotent()
        } else {
            capabilities
        }
    }

    fn name(&self) -> &str {
        "singer"
    }
}

/// `executable` as a path, or found on `PATH`.
fn find_executable(executable: &str) -> Option<PathBuf> {
    if executable.contains('/') {
        let path = PathBuf::from(executable);
        return path.is_file().then_some(path);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(executable))
            .find(|p| p.is_file())
    })
}
