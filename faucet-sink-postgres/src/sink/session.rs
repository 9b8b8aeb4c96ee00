//! One connection's work: an open transaction holding one `COPY` stream,
//! pages encoded and streamed into it, schema changes and the checkpoint
//! committed with the rows. Transient failures are retried by replaying
//! the open transaction on a new connection (see `replay.rs`).

use std::pin::Pin;

use bytes::Bytes;
use faucet_core::{Checkpoint, Completion, Durability, PageCommit, Record, Result};
use tokio_postgres::{Client, CopyInSink};

use super::connect::{connect, pg_error};
use super::replay::Attempts;
use super::{catalog, marker};
use crate::config::{Settings, WriteMode};
use crate::encode::{DeadLetter, Layout, Staging};
use crate::schema::plan::Column;
use crate::sql::QualifiedName;

/// A connection with its table knowledge and open transaction.
pub(crate) struct Session {
    pub(super) client: Client,
    pub(super) pipeline: String,
    pub(super) run_id: String,
    pub(super) load: QualifiedName,
    pub(super) state: QualifiedName,
    /// The load table's columns; `None` while it does not exist.
    pub(super) columns: Option<Vec<Column>>,
    pub(super) layout: Option<Layout>,
    pub(super) txn: Option<Txn>,
    /// The last checkpoint known to be stored.
    pub(super) committed: Option<Checkpoint>,
    /// What to GRANT when the state table refuses a read or write.
    pub(super) state_grant: String,
    /// Whether this session holds the pipeline's run lock (taken again
    /// on every new connection).
    pub(super) locked: bool,
    /// The target table (in replace mode, the one swapped out).
    pub(super) target: QualifiedName,
    /// The pipeline the target's marker names, as last read or written.
    pub(super) marker: Option<String>,
}

/// The open transaction.
#[derive(Default)]
pub(super) struct Txn {
    pub(super) copy: Option<Pin<Box<CopyInSink<Bytes>>>>,
    pub(super) staged: bool,
    pub(super) rows: u64,
    pub(super) bytes: u64,
    pub(super) staging: Staging,
    pub(super) checkpoint: Option<Checkpoint>,
    /// Whether this transaction writes the table's marker.
    pub(super) marks: bool,
    pub(super) dead: Vec<DeadLetter>,
    /// What the transaction did on the server, in order, to replay it on a
    /// new connection after a transient failure. Row chunks are shared
    /// `Bytes`, so keeping them costs no copy; at most `batch_bytes`.
    pub(super) log: Vec<Step>,
}

/// One replayable action of a transaction.
#[derive(Clone)]
pub(super) enum Step {
    /// Statements run with `batch_execute` (DDL, staging table).
    Sql(String),
    /// `COPY … FROM STDIN` started (and its header sent).
    CopyStart(String),
    /// Encoded rows sent to the open `COPY`.
    Chunk(Bytes),
    /// The `COPY` finished.
    CopyEnd,
}

impl Session {
    /// Connects, creates the state table if missing, prepares the load
    /// table (replace mode) and reads its columns.
    pub(crate) async fn open(s: &Settings, pipeline: &str, lock: bool) -> Result<Self> {
        let client = connect(s).await?;
        let state = QualifiedName::new(&s.state_schema, &s.state_table);
        if lock {
            super::lock::acquire(&client, &state, pipeline).await?;
        }
        catalog::ensure_state_table(&client, s, &state).await?;
        let state_grant = super::grants::state_table(s, &state);
        let mut session = Self {
            client,
            pipeline: pipeline.to_owned(),
            run_id: run_id(),
            load: QualifiedName::new(&s.schema, &s.load_table()),
            state,
            columns: None,
            layout: None,
            txn: None,
            committed: None,
            state_grant,
            locked: lock,
            target: QualifiedName::new(&s.schema, &s.table),
            marker: None,
        };
        if lock {
            session.marker = marker::read(
                &session.client,
                &session.state,
                &session.target,
                &session.state_grant,
            )
            .await?;
            marker::warn_if_foreign(
                &session.client,
                &session.target,
                session.marker.as_deref(),
                pipeline,
            )
            .await;
        }
        session.committed = session.load_checkpoint().await?;
        if s.mode == WriteMode::Replace {
            session.prepare_replace(s).await?;
        }
        session.columns = catalog::read_columns(&session.client, &session.load).await?;
        tracing::debug!(table = %session.load, exists = session.columns.is_some(), "Connected");
        Ok(session)
    }

    /// Rolls back what is open and releases the pipeline lock.
    pub(crate) async fn release(mut self) {
        self.rollback().await;
        if self.locked {
            let _ = self
                .client
                .batch_execute("SELECT pg_advisory_unlock_all()")
                .await;
        }
    }

    /// Replaces the connection after a failure, taking the run lock again.
    pub(super) async fn reconnect(&mut self, s: &Settings) -> Result<()> {
        self.client = connect(s).await?;
        if self.locked {
            super::lock::acquire(&self.client, &self.state, &self.pipeline).await?;
        }
        Ok(())
    }

    /// A run that does not resume starts a fresh load table; a resumed run
    /// goes on filling the one its checkpoint belongs to.
    async fn prepare_replace(&self, s: &Settings) -> Result<()> {
        let resumes = self
            .committed
            .as_ref()
            .is_some_and(|c| !c.as_value().is_null() && Completion::from_checkpoint(c).is_none());
        if resumes {
            return Ok(());
        }
        let target = QualifiedName::new(&s.schema, &s.table);
        let mut sql = format!("DROP TABLE IF EXISTS {};", self.load);
        if catalog::read_columns(&self.client, &target)
            .await?
            .is_some()
        {
            sql.push_str(&format!(
                "CREATE TABLE {} (LIKE {target} INCLUDING ALL);",
                self.load
            ));
        }
        self.client
            .batch_execute(&sql)
            .await
            .map_err(|e| pg_error(&format!("preparing {} to replace {target}", self.load), e))
    }

    /// The pipeline's stored checkpoint.
    pub(crate) async fn load_checkpoint(&self) -> Result<Option<Checkpoint>> {
        catalog::load_checkpoint(&self.client, &self.state, &self.pipeline, &self.state_grant).await
    }

    /// Deletes the pipeline's stored checkpoint.
    pub(crate) async fn clear_checkpoint(&mut self) -> Result<()> {
        catalog::clear_checkpoint(&self.client, &self.state, &self.pipeline, &self.state_grant)
            .await?;
        self.committed = None;
        Ok(())
    }

    /// Encodes the page into the open transaction's `COPY` stream, and
    /// commits once the batch budget is reached.
    pub(crate) async fn commit_page(
        &mut self,
        s: &Settings,
        records: &[Record],
        checkpoint: Option<&Checkpoint>,
        page: u64,
    ) -> Result<PageCommit> {
        let mut attempts = Attempts::new(s);
        loop {
            let mark = self.txn.as_ref().map_or(0, |t| t.log.len());
            match self.write_page(s, records, page).await {
                Ok(()) => break,
                Err(err) => {
                    // Forget this page's steps: the page is written again
                    // after the earlier ones are replayed.
                    if let Some(txn) = &mut self.txn {
                        txn.log.truncate(mark);
                    }
                    self.recover(s, err, &mut attempts).await?;
                }
            }
        }
        let txn = self.txn.as_mut().expect("a transaction is open");
        if let Some(c) = checkpoint {
            txn.checkpoint = Some(c.clone());
        }
        let written = records.len();
        if txn.rows >= s.batch_rows || txn.bytes >= s.batch_bytes {
            self.commit(s).await?;
            return Ok(PageCommit::new(written, Durability::RowsAndCheckpoint));
        }
        Ok(PageCommit::new(written, Durability::Buffered))
    }

    /// Commits the open transaction (rows, merge, rejected records and the
    /// latest checkpoint together), retrying transient failures.
    pub(crate) async fn commit(&mut self, s: &Settings) -> Result<()> {
        let mut attempts = Attempts::new(s);
        while self.txn.is_some() {
            if let Err(failure) = self.try_commit(s).await {
                self.recover_commit(s, failure, &mut attempts).await?;
            }
        }
        Ok(())
    }

    /// Rolls back what is open (the run failed or was abandoned).
    pub(crate) async fn rollback(&mut self) {
        if self.txn.take().is_some() {
            let _ = self.client.batch_execute("ROLLBACK").await;
        }
    }

    /// Replace mode: swaps the loaded table in.
    pub(crate) async fn swap(&mut self, s: &Settings) -> Result<()> {
        if catalog::read_columns(&self.client, &self.load)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let target = QualifiedName::new(&s.schema, &s.table);
        catalog::swap(&self.client, &self.load, &target).await?;
        self.columns = None;
        self.layout = None;
        Ok(())
    }
}

/// A random-enough id for this run: time and process.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}
