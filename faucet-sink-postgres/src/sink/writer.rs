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

use faucet_core::{Checkpoint, Completion, Durability, FaucetError, PageCommit, Record, Result};
use tokio::task::JoinHandle;

use super::session::Session;
use super::table::Table;
use super::txn::Lane;
use super::{catalog, marker};
use crate::config::{Settings, WriteMode};
use crate::encode::DeadLetter;

/// The run's connections and what it knows of its table.
pub(crate) struct Writer {
    table: Table,
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
struct Merging(JoinHandle<(Lane, Table, Result<()>)>);

impl Drop for Merging {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Writer {
    /// Connects, creates the state table if missing, reads the stored
    /// checkpoint, prepares the load table (replace mode) and reads its
    /// columns.
    pub(crate) async fn open(s: &Settings, pipeline: &str, lock: bool) -> Result<Self> {
        let session = Session::open(s, pipeline, lock).await?;
        let mut table = Table::new(s);
        if lock {
            let (client, state) = (&session.client, &session.state);
            table.marker = marker::read(client, state, &table.target, &session.state_grant).await?;
            marker::warn_if_foreign(client, &table.target, table.marker.as_deref(), pipeline).await;
        }
        table.committed = session.load_checkpoint().await?;
        if s.mode == WriteMode::Replace {
            prepare_replace(&session, &table).await?;
        }
        table.columns = catalog::read_columns(&session.client, &table.load).await?;
        tracing::debug!(table = %table.load, exists = table.columns.is_some(), "Connected");
        Ok(Self {
            table,
            active: Lane::new(session),
            spare: None,
            merging: None,
            overlap: s.mode == WriteMode::Upsert,
        })
    }

    /// Writes the page into the open transaction, and commits once the
    /// batch budget is reached (in upsert mode, in the background).
    pub(crate) async fn commit_page(
        &mut self,
        s: &Settings,
        records: &[Record],
        checkpoint: Option<&Checkpoint>,
        page: u64,
        dead: &[faucet_core::DeadLetter],
    ) -> Result<PageCommit> {
        if self.merging.as_ref().is_some_and(|m| m.0.is_finished()) {
            // Learn of a failed merge before writing more on top of it.
            self.join().await?;
        }
        if self.overlap && self.spare.is_none() && self.merging.is_none() {
            self.open_spare(s).await;
        }
        let frozen = self.merging.is_some();
        let table = &mut self.table;
        if !self
            .active
            .write_page_retrying(s, table, records, page, frozen)
            .await?
        {
            // A schema change waits for the merge in flight.
            self.join().await?;
            let table = &mut self.table;
            self.active
                .write_page_retrying(s, table, records, page, false)
                .await?;
        }
        let txn = self.active.open_txn();
        if let Some(c) = checkpoint {
            txn.checkpoint = Some(c.clone());
        }
        // Records transforms set aside commit with their page.
        txn.dead.extend(dead.iter().map(|d| DeadLetter {
            position: d.position.clone(),
            record: d.record.clone(),
            reason: format!("{}: {}", d.stage, d.reason),
        }));
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
        let background = txn.staged && !txn.changed_schema;
        self.join().await?;
        if self.overlap
            && background
            && let Some(next) = self.spare.take()
        {
            self.hand_off(s, next);
            return Ok(PageCommit::new(written, Durability::Buffered));
        }
        self.active.commit(s, &mut self.table).await?;
        Ok(PageCommit::new(written, Durability::RowsAndCheckpoint))
    }

    /// Commits everything open: the merging batch, then the active one.
    pub(crate) async fn commit(&mut self, s: &Settings) -> Result<()> {
        self.join().await?;
        self.active.commit(s, &mut self.table).await
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
        let mut table = self.table.clone();
        let s = s.clone();
        self.merging = Some(Merging(tokio::spawn(async move {
            let result = lane.commit(&s, &mut table).await;
            (lane, table, result)
        })));
    }

    /// Waits for the merging batch; its error is the run's.
    async fn join(&mut self) -> Result<()> {
        let Some(mut merging) = self.merging.take() else {
            return Ok(());
        };
        let (lane, table, result) = (&mut merging.0).await.map_err(|e| {
            FaucetError::sink_error(format!("the background commit did not finish: {e}"))
        })?;
        result?;
        self.table.committed = table.committed;
        self.table.marker = table.marker;
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
        self.table.committed = None;
        Ok(())
    }

    /// Replace mode: swaps the loaded table in.
    pub(crate) async fn swap(&mut self) -> Result<()> {
        let client = &self.active.session.client;
        if catalog::read_columns(client, &self.table.load)
            .await?
            .is_none()
        {
            return Ok(());
        }
        catalog::swap(client, &self.table.load, &self.table.target).await?;
        self.table.columns = None;
        self.table.layout = None;
        Ok(())
    }
}

/// A run that does not resume starts a fresh load table; a resumed run
/// goes on filling the one its checkpoint belongs to.
async fn prepare_replace(session: &Session, table: &Table) -> Result<()> {
    let resumes = table
        .committed
        .as_ref()
        .is_some_and(|c| !c.as_value().is_null() && Completion::from_checkpoint(c).is_none());
    if resumes {
        return Ok(());
    }
    let (load, target) = (&table.load, &table.target);
    let mut sql = format!("DROP TABLE IF EXISTS {load};");
    if catalog::read_columns(&session.client, target)
        .await?
        .is_some()
    {
        sql.push_str(&format!(
            "CREATE TABLE {load} (LIKE {target} INCLUDING ALL);"
        ));
    }
    let doing = format!("preparing {load} to replace {target}");
    session.execute(&sql, &doing).await
}
