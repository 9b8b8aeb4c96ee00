//! A run's connections, the top layer over `replay.rs`: pages go into the
//! active lane's transaction; a full batch commits. In upsert mode the
//! commit (end of `COPY`, merge, checkpoint, `COMMIT`) runs on its own
//! task while the next batch streams into a second connection, so
//! PostgreSQL merges batch n while faucet encodes and copies batch n+1.
//!
//! Order and atomicity: at most one batch is merging; the next batch's
//! commit starts only once the merging one has committed, so checkpoints
//! are stored in page order, each with its own rows. A failed merge is
//! returned by the next call, and the sink then drops everything open:
//! the next batch's rows and checkpoint are rolled back with their
//! connection. A page that needs a schema change waits for the merge in
//! flight (DDL would wait on its locks, and a replay of it on the DDL),
//! and its batch commits in the foreground.

use std::sync::Arc;

use faucet_core::{Checkpoint, Completion, Durability, FaucetError, Page, PageCommit, Result};
use tokio::task::JoinHandle;

use super::prepare;
use super::session::Session;
use super::table::{PLAIN, Tables};
use super::txn::Lane;
use crate::config::{Settings, StreamRules};
use crate::encode::DeadLetter;

/// The run's connections and what it knows of its tables.
pub(crate) struct Writer {
    tables: Tables,
    /// The lane pages go into.
    active: Lane,
    /// The other connection, idle, once it exists.
    spare: Option<Lane>,
    /// The batch committing in the background, if any.
    merging: Option<Merging>,
    /// Whether batches may commit in the background (upsert mode, until a
    /// second connection cannot be opened).
    overlap: bool,
}

/// A lane committing on its own task, with a copy of the table knowledge;
/// dropping it abandons the commit (its connection closes, so the server
/// rolls back whatever it did not commit).
struct Merging(JoinHandle<(Lane, Tables, Result<()>)>);

impl Drop for Merging {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Writer {
    /// Connects, creates the state table if missing, reads the stored
    /// checkpoint, and prepares the sink's one table (`table` without
    /// `{stream}`: its marker and columns read, its load table made ready
    /// in replace mode). Stream tables are read at their first records.
    pub(crate) async fn open(
        s: &Settings,
        rules: Arc<StreamRules>,
        pipeline: &str,
        lock: bool,
    ) -> Result<Self> {
        let session = Session::open(s, pipeline, lock).await?;
        let mut tables = Tables::new(s, rules);
        tables.committed = session.load_checkpoint().await?;
        tables.resumes = tables
            .committed
            .as_ref()
            .is_some_and(|c| !c.as_value().is_null() && Completion::from_checkpoint(c).is_none());
        if lock && !tables.resumes && prepare::replaces(s, &tables) {
            prepare::drop_leftovers(&session, s, &tables).await?;
        }
        if let Some(table) = tables.list.get_mut(PLAIN) {
            prepare::read_marker(&session, table, false).await?;
            if table.unprepared {
                let sql = prepare::prepare_sql(&session.client, table, tables.resumes).await?;
                let doing = format!("preparing {} to replace {}", table.load, table.target);
                session.execute(&sql, &doing).await?;
                table.unprepared = false;
            }
            table.columns = super::catalog::read_columns(&session.client, &table.load).await?;
            table.known = true;
            tracing::debug!(table = %table.load, exists = table.columns.is_some(), "Connected");
        }
        Ok(Self {
            tables,
            active: Lane::new(session),
            spare: None,
            merging: None,
            overlap: s.upserts,
        })
    }

    /// Writes the page into the open transaction (into its stream's
    /// table), and commits once the batch budget is reached (with
    /// upserts, in the background).
    pub(crate) async fn commit_page(
        &mut self,
        s: &Settings,
        page: &Page,
        index: u64,
    ) -> Result<PageCommit> {
        if self.merging.as_ref().is_some_and(|m| m.0.is_finished()) {
            // Learn of a failed merge before writing more on top of it.
            self.join().await?;
        }
        if self.overlap && self.spare.is_none() && self.merging.is_none() {
            self.open_spare(s).await;
        }
        let records = page.records();
        let dead = page.dead_letters();
        // Pages without records (a checkpoint only, or an unselected
        // stream's) need no table.
        let n = match records.is_empty() && dead.is_empty() {
            true => None,
            false => Some(self.tables.of_stream(page.stream())?),
        };
        if let Some(n) = n {
            if let Some(schema) = page.schema() {
                self.tables.list[n].declared = Some(Arc::clone(schema));
            }
            self.write(s, n, records, index).await?;
        } else {
            self.active.begin_retrying(s, &mut self.tables).await?;
        }
        let txn = self.active.open_txn();
        if let Some(c) = page.checkpoint() {
            txn.checkpoint = Some(c.clone());
        }
        if let Some(n) = n {
            // Records transforms set aside commit with their page.
            txn.part(n).dead.extend(dead.iter().map(|d| DeadLetter {
                position: d.position.clone(),
                record: d.record.clone(),
                reason: format!("{}: {}", d.stage, d.reason),
            }));
        }
        let written = records.len();
        // Overlapping upserts keep two transactions (and their replay
        // logs) at once: each closes at half the limits, so together they
        // hold what one did.
        let (rows, bytes) = if self.overlap {
            (s.batch_rows.div_ceil(2), s.batch_bytes.div_ceil(2))
        } else {
            (s.batch_rows, s.batch_bytes)
        };
        if txn.rows < rows && txn.bytes < bytes {
            return Ok(PageCommit::new(written, Durability::Buffered));
        }
        let background = txn.staged() && !txn.changed_schema;
        self.join().await?;
        if self.overlap
            && background
            && let Some(next) = self.spare.take()
        {
            self.hand_off(s, next);
            return Ok(PageCommit::new(written, Durability::Buffered));
        }
        self.active.commit(s, &mut self.tables).await?;
        Ok(PageCommit::new(written, Durability::RowsAndCheckpoint))
    }

    /// Writes records of table `n`; a page that needs a schema change
    /// waits for the merge in flight.
    async fn write(
        &mut self,
        s: &Settings,
        n: usize,
        records: &[faucet_core::Record],
        index: u64,
    ) -> Result<()> {
        let frozen = self.merging.is_some();
        let tables = &mut self.tables;
        if !self
            .active
            .write_page_retrying(s, tables, n, records, index, frozen)
            .await?
        {
            self.join().await?;
            let tables = &mut self.tables;
            self.active
                .write_page_retrying(s, tables, n, records, index, false)
                .await?;
        }
        Ok(())
    }

    /// Commits everything open: the merging batch, then the active one.
    pub(crate) async fn commit(&mut self, s: &Settings) -> Result<()> {
        self.join().await?;
        self.active.commit(s, &mut self.tables).await
    }

    /// Opens the second connection, before the main one starts a `COPY`
    /// (handing over the lock takes a statement on the main one). Without
    /// it, upserts merge and copy in turn.
    async fn open_spare(&mut self, s: &Settings) {
        if self.active.txn.is_some() {
            return;
        }
        match self.active.session.second(s).await {
            Ok(session) => self.spare = Some(Lane::new(session)),
            Err(err) => {
                tracing::warn!(error = %err, "Cannot open a second connection; upserts merge and copy in turn");
                self.overlap = false;
            }
        }
    }

    /// Starts committing the active lane's batch on its own task and
    /// makes `next` active.
    fn hand_off(&mut self, s: &Settings, next: Lane) {
        let mut lane = std::mem::replace(&mut self.active, next);
        self.tables.in_flight = lane.txn.as_ref().and_then(|t| t.checkpoint.clone());
        let mut tables = self.tables.clone();
        let s = s.clone();
        // In the caller's span, so its log lines keep their run.
        let merge = async move {
            let result = lane.commit(&s, &mut tables).await;
            (lane, tables, result)
        };
        self.merging = Some(Merging(tokio::spawn(tracing::Instrument::in_current_span(
            merge,
        ))));
    }

    /// Waits for the merging batch; its error is the run's.
    async fn join(&mut self) -> Result<()> {
        let Some(mut merging) = self.merging.take() else {
            return Ok(());
        };
        let (lane, tables, result) = (&mut merging.0).await.map_err(|e| {
            FaucetError::sink_error(format!("the background commit did not finish: {e}"))
        })?;
        self.tables.in_flight = None;
        result?;
        self.tables.committed = tables.committed;
        for (mine, theirs) in self.tables.list.iter_mut().zip(tables.list) {
            mine.marker = theirs.marker;
        }
        self.spare = Some(lane);
        Ok(())
    }

    /// Abandons what is open (the run failed or was abandoned).
    pub(crate) async fn rollback(&mut self) {
        self.merging = None;
        self.active.rollback().await;
    }

    /// Rolls back what is open and releases the pipeline lock.
    pub(crate) async fn release(mut self) {
        self.rollback().await;
        if let Some(mut spare) = self.spare.take() {
            spare.rollback().await;
            spare.session.release().await;
        }
        self.active.session.release().await;
    }

    /// The pipeline's stored checkpoint.
    pub(crate) async fn load_checkpoint(&self) -> Result<Option<Checkpoint>> {
        self.active.session.load_checkpoint().await
    }

    /// Deletes the pipeline's stored checkpoint.
    pub(crate) async fn clear_checkpoint(&mut self) -> Result<()> {
        self.active.session.clear_checkpoint().await?;
        self.tables.committed = None;
        Ok(())
    }

    /// Replace mode: swaps every loaded table in.
    pub(crate) async fn swap(&mut self, s: &Settings) -> Result<()> {
        prepare::swap_all(&self.active.session, s, &mut self.tables).await
    }
}
