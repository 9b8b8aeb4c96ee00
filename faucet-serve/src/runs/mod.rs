//! The runs the server knows: started, watched, cancelled, kept.

mod execute;
mod observer;
pub(crate) mod record;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::ServeError;
use crate::loader::LoadedPipeline;
use crate::mask::Masker;
use record::RunRecord;
use store::RunStore;

/// Events a run buffers for `GET /runs/{id}/events` followers that fall
/// behind.
const EVENT_BUFFER: usize = 64;

/// What a run tells its followers.
#[derive(Debug, Clone)]
pub(crate) enum RunEvent {
    /// The run's record changed.
    Progress(Box<RunRecord>),
    /// A line of the run's log, secrets masked.
    Log(LogLine),
}

/// A line of a run's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogLine {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub(crate) level: &'static str,
    /// The line, secrets masked.
    pub(crate) message: String,
}

/// What a new follower of a run gets.
#[derive(Debug)]
pub(crate) struct Following {
    /// The run's log lines so far.
    pub(crate) log: Vec<LogLine>,
    /// The run now.
    pub(crate) record: RunRecord,
    /// Every event after those.
    pub(crate) later: broadcast::Receiver<RunEvent>,
}

/// Why a run was not started.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The pipeline already has a run in flight: its id.
    Busy(String),
    /// As many runs as allowed are in flight.
    Full(usize),
    /// The server is shutting down.
    ShuttingDown,
}

/// A run the server holds in memory.
struct Entry {
    record: RunRecord,
    cancel: Option<CancellationToken>,
    masker: Masker,
    events: broadcast::Sender<RunEvent>,
    /// When the record was last saved, in ms since the epoch; 0 before
    /// any progress was.
    progress_saved_ms: u64,
    /// The run's last log lines, replayed to a new follower.
    log: std::collections::VecDeque<LogLine>,
}

/// Log lines a run keeps for followers that arrive later.
const LOG_LINES: usize = 100;

/// Least time between two saves of a running run's progress.
const PROGRESS_SAVE_MS: u64 = 1000;

/// When [`Runs::update`] saves the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Save {
    /// Every time (a change of state).
    Always,
    /// Not at all (a checkpoint seen, saved with the next page).
    Never,
    /// The first progress of a run, then at most once a second, so that a
    /// run interrupted by a crash keeps counts close to its last commit.
    Progress,
}

#[derive(Default)]
struct Inner {
    runs: BTreeMap<u64, Entry>,
    ids: HashMap<String, u64>,
    active: HashMap<String, String>,
    next: u64,
}

/// Every run, the limits, and the tasks of the runs in flight.
pub(crate) struct Runs {
    inner: Mutex<Inner>,
    store: Option<RunStore>,
    max_runs: usize,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runs")
            .field("max_runs", &self.max_runs)
            .finish_non_exhaustive()
    }
}

impl Runs {
    /// The runs of `state_dir`'s store (none without one), allowing
    /// `max_runs` at a time.
    pub(crate) fn open(state_dir: Option<&Path>, max_runs: usize) -> Result<Self, ServeError> {
        let mut inner = Inner::default();
        let store = match state_dir {
            Some(dir) => {
                let (store, records) = RunStore::open(dir)?;
                for record in records {
                    let seq = record.id.parse::<u64>().unwrap_or(0);
                    inner.next = inner.next.max(seq);
                    inner.insert(seq, record, None, Masker::default());
                }
                Some(store)
            }
            None => None,
        };
        Ok(Self {
            inner: Mutex::new(inner),
            store,
            max_runs: max_runs.max(1),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a run of `pipeline` on a task of its own, unless the
    /// pipeline is running or the server is full.
    pub(crate) fn start(
        self: &Arc<Self>,
        pipeline: LoadedPipeline,
        spec_sha256: String,
        restart: bool,
    ) -> Result<RunRecord, Refused> {
        let mut inner = self.lock();
        if self.shutdown.is_cancelled() {
            return Err(Refused::ShuttingDown);
        }
        if let Some(id) = inner.active.get(&pipeline.name) {
            return Err(Refused::Busy(id.clone()));
        }
        if inner.active.len() >= self.max_runs {
            return Err(Refused::Full(self.max_runs));
        }
        inner.next += 1;
        let seq = inner.next;
        let id = seq.to_string();
        let record = RunRecord::queued(id.clone(), pipeline.name.clone(), spec_sha256);
        let cancel = self.shutdown.child_token();
        let masker = Masker::new(&pipeline.secrets);
        inner.active.insert(pipeline.name.clone(), id.clone());
        inner.insert(seq, record.clone(), Some(cancel.clone()), masker);
        drop(inner);
        self.save(&record);
        let runs = Arc::clone(self);
        self.tasks
            .spawn(async move { execute::run(runs, id, pipeline, cancel, restart).await });
        Ok(record)
    }

    /// The run `id`.
    pub(crate) fn get(&self, id: &str) -> Option<RunRecord> {
        let inner = self.lock();
        inner.entry(id).map(|e| e.record.clone())
    }

    /// Every run, oldest first.
    pub(crate) fn list(&self) -> Vec<RunRecord> {
        self.lock()
            .runs
            .values()
            .map(|e| e.record.clone())
            .collect()
    }

    /// Asks run `id` to stop at its next page boundary. `None` when there
    /// is no such run; `Some(false)` when it is over already.
    pub(crate) fn cancel(&self, id: &str) -> Option<(bool, RunRecord)> {
        let inner = self.lock();
        let entry = inner.entry(id)?;
        match &entry.cancel {
            Some(token) if !entry.record.state.is_final() => {
                token.cancel();
                Some((true, entry.record.clone()))
            }
            _ => Some((false, entry.record.clone())),
        }
    }

    /// The run's log so far, its current record and a receiver of what
    /// comes after both.
    pub(crate) fn follow(&self, id: &str) -> Option<Following> {
        let inner = self.lock();
        let entry = inner.entry(id)?;
        Some(Following {
            log: entry.log.iter().cloned().collect(),
            record: entry.record.clone(),
            later: entry.events.subscribe(),
        })
    }

    /// Changes run `id` with `change`, tells its followers, and saves it
    /// as `save` says.
    pub(crate) fn update(
        &self,
        id: &str,
        save: Save,
        change: impl FnOnce(&mut RunRecord, &Masker),
    ) {
        let mut inner = self.lock();
        let Some(seq) = inner.ids.get(id).copied() else {
            return;
        };
        let Some(entry) = inner.runs.get_mut(&seq) else {
            return;
        };
        change(&mut entry.record, &entry.masker);
        let save = match save {
            Save::Always => true,
            Save::Never => false,
            Save::Progress => {
                let now = record::now_ms();
                let due = now.saturating_sub(entry.progress_saved_ms) >= PROGRESS_SAVE_MS;
                if due {
                    entry.progress_saved_ms = now;
                }
                due
            }
        };
        let record = entry.record.clone();
        let _ = entry
            .events
            .send(RunEvent::Progress(Box::new(record.clone())));
        if record.state.is_final() {
            entry.cancel = None;
            inner.active.remove(&record.pipeline);
        }
        drop(inner);
        if save {
            self.save(&record);
        }
    }
}

impl crate::run_log::RunLines for Runs {
    fn line(&self, id: &str, level: &'static str, line: &str) {
        self.log(id, level, |masker| masker.text(line));
    }
}

impl Runs {
    /// Sends a log line at `level`, built with the run's masker, to run
    /// `id`'s followers.
    pub(crate) fn log(&self, id: &str, level: &'static str, line: impl FnOnce(&Masker) -> String) {
        let mut inner = self.lock();
        let Some(seq) = inner.ids.get(id).copied() else {
            return;
        };
        if let Some(entry) = inner.runs.get_mut(&seq) {
            let line = LogLine {
                level,
                message: line(&entry.masker),
            };
            if entry.log.len() == LOG_LINES {
                entry.log.pop_front();
            }
            entry.log.push_back(line.clone());
            let _ = entry.events.send(RunEvent::Log(line));
        }
    }

    fn save(&self, record: &RunRecord) {
        if let Some(store) = &self.store {
            store.save(record);
        }
    }

    /// Whether the run store (if any) can be written.
    pub(crate) fn ready(&self) -> bool {
        self.store.as_ref().is_none_or(RunStore::ready)
    }

    /// Totals for `/metrics`: every run's counts and states.
    pub(crate) fn totals(&self) -> Totals {
        let inner = self.lock();
        let mut totals = Totals::default();
        for entry in inner.runs.values() {
            let counts = &entry.record.counts;
            totals.records_read += counts.records_read;
            totals.records_written += counts.records_written;
            totals.pages += counts.pages;
            totals.bytes += counts.bytes;
            for (cause, n) in &entry.record.retries {
                *totals.retries.entry(cause.clone()).or_default() += n;
            }
            let record = &entry.record;
            *totals.by_state.entry(record.state.as_str()).or_default() += 1;
            if let (Some(start), Some(end)) = (record.started_at_ms, record.finished_at_ms) {
                totals.finished_runs += 1;
                totals.run_ms += end.saturating_sub(start);
            }
        }
        totals
    }

    /// Cancels every run in flight and waits until each has stopped and
    /// kept its checkpoint.
    pub(crate) async fn shutdown(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}

/// Sums over every run the server knows.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// Records read.
    pub(crate) records_read: u64,
    /// Records written.
    pub(crate) records_written: u64,
    /// Pages committed.
    pub(crate) pages: u64,
    /// Bytes read.
    pub(crate) bytes: u64,
    /// Runs by state name.
    pub(crate) by_state: BTreeMap<&'static str, u64>,
    /// Retries by cause.
    pub(crate) retries: BTreeMap<String, u64>,
    /// Runs that started and ended.
    pub(crate) finished_runs: u64,
    /// Their durations added up, in milliseconds.
    pub(crate) run_ms: u64,
}

impl Inner {
    fn insert(
        &mut self,
        seq: u64,
        record: RunRecord,
        cancel: Option<CancellationToken>,
        masker: Masker,
    ) {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        self.ids.insert(record.id.clone(), seq);
        let entry = Entry {
            record,
            cancel,
            masker,
            events,
            progress_saved_ms: 0,
            log: std::collections::VecDeque::new(),
        };
        self.runs.insert(seq, entry);
    }

    fn entry(&self, id: &str) -> Option<&Entry> {
        self.ids.get(id).and_then(|seq| self.runs.get(seq))
    }
}
