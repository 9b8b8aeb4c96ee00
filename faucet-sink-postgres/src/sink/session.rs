//! One connection's work: an open transaction holding one `COPY` stream,
//! pages encoded and streamed into it, schema changes and the checkpoint
//! committed with the rows.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use faucet_core::{Checkpoint, Durability, FaucetError, PageCommit, Result};
use futures::SinkExt;
use tokio_postgres::{Client, CopyInSink};

use super::catalog;
use super::connect::{connect, pg_error};
use super::merge::{self, STAGE};
use crate::config::{Settings, WriteMode};
use crate::encode::{
    COPY_HEADER, COPY_TRAILER, DeadLetter, Encoded, Layout, Staging, build_layout, column_of,
    required_columns,
};
use crate::schema::plan::{Column, PlanInput};
use crate::schema::plan_changes;
use crate::sql::{Ident, QualifiedName, list};

/// A connection with its table knowledge and open transaction.
pub(crate) struct Session {
    client: Client,
    pipeline: String,
    run_id: String,
    load: QualifiedName,
    state: QualifiedName,
    /// The load table's columns; `None` while it does not exist.
    columns: Option<Vec<Column>>,
    layout: Option<Layout>,
    txn: Option<Txn>,
}

#[derive(Default)]
struct Txn {
    copy: Option<Pin<Box<CopyInSink<Bytes>>>>,
    staged: bool,
    rows: u64,
    bytes: u64,
    staging: Staging,
    checkpoint: Option<Checkpoint>,
    dead: Vec<DeadLetter>,
}

impl Session {
    /// Connects, creates the state table if missing, prepares the load
    /// table (replace mode) and reads its columns.
    pub(crate) async fn open(s: &Settings, pipeline: &str) -> Result<Self> {
        let client = connect(s).await?;
        let state = QualifiedName::new(&s.state_schema, &s.state_table);
        catalog::ensure_state_table(&client, &state).await?;
        let mut session = Self {
            client,
            pipeline: pipeline.to_owned(),
            run_id: run_id(),
            load: QualifiedName::new(&s.schema, &s.load_table()),
            state,
            columns: None,
            layout: None,
            txn: None,
        };
        if s.mode == WriteMode::Replace {
            session.prepare_replace(s).await?;
        }
        session.columns = catalog::read_columns(&session.client, &session.load).await?;
        tracing::debug!(table = %session.load, exists = session.columns.is_some(), "Connected");
        Ok(session)
    }

    /// A run that does not resume starts a fresh load table; a resumed run
    /// goes on filling the one its checkpoint belongs to.
    async fn prepare_replace(&self, s: &Settings) -> Result<()> {
        let resumes = self
            .load_checkpoint()
            .await?
            .is_some_and(|c| !c.as_value().is_null());
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
        catalog::load_checkpoint(&self.client, &self.state, &self.pipeline).await
    }

    /// Encodes the page into the open transaction's `COPY` stream, and
    /// commits once the batch budget is reached.
    pub(crate) async fn commit_page(
        &mut self,
        s: &Settings,
        records: &[serde_json::Value],
        checkpoint: Option<&Checkpoint>,
        page: u64,
    ) -> Result<PageCommit> {
        if self.txn.is_none() {
            self.begin().await?;
        }
        let (buf, rows, dead) = self.encode(s, records, page).await?;
        let bytes = buf.len() as u64;
        if rows > 0 {
            self.open_copy(s).await?;
            let txn = self.txn.as_mut().expect("a transaction is open");
            let copy = txn.copy.as_mut().expect("a COPY is open");
            copy.send(buf.freeze())
                .await
                .map_err(|e| pg_error(&format!("streaming rows into {}", self.load), e))?;
        }
        let txn = self.txn.as_mut().expect("a transaction is open");
        txn.rows += rows;
        txn.bytes += bytes;
        txn.dead.extend(dead);
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

    /// Encodes a page, changing the table first when the records need it.
    async fn encode(
        &mut self,
        s: &Settings,
        records: &[serde_json::Value],
        page: u64,
    ) -> Result<(BytesMut, u64, Vec<DeadLetter>)> {
        if self.needs_setup(s) {
            self.change_schema(s, records).await?;
        }
        let mut buf = BytesMut::with_capacity(records.len() * 128 + 64);
        for _attempt in 0..4 {
            self.ensure_layout(s)?;
            let layout = self.layout.as_ref().expect("just built");
            let txn = self.txn.as_mut().expect("a transaction is open");
            let seq = txn.staging.seq;
            buf.clear();
            match layout.encode(records, page, &mut txn.staging, &mut buf) {
                Err(message) => return Err(FaucetError::sink_error(message)),
                Ok(Encoded::Rows { rows, dead }) => return Ok((buf, rows, dead)),
                Ok(Encoded::NeedsSchemaChange) => {
                    // Rows of this page that were counted are encoded again.
                    txn.staging.seq = seq;
                    self.change_schema(s, records).await?;
                }
            }
        }
        Err(FaucetError::sink_error(format!(
            "page {page} still does not fit {} after changing its schema",
            self.load
        )))
    }

    fn needs_setup(&self, s: &Settings) -> bool {
        match &self.columns {
            None => true,
            Some(cols) => required_columns(s)
                .iter()
                .any(|(name, ..)| !cols.iter().any(|c| &c.name == name)),
        }
    }

    fn ensure_layout(&mut self, s: &Settings) -> Result<()> {
        if self.layout.is_none() {
            let columns = self.columns.as_deref().unwrap_or_default();
            let layout = build_layout(s, &self.load.to_string(), columns, &self.run_id)
                .map_err(FaucetError::sink_error)?;
            self.layout = Some(layout);
        }
        Ok(())
    }

    /// Adds and widens columns for `records`, inside the open transaction
    /// (the `COPY` in progress is finished first; the next page starts a
    /// new one with the new columns).
    async fn change_schema(&mut self, s: &Settings, records: &[serde_json::Value]) -> Result<()> {
        self.finish_copy().await?;
        let exists = self.columns.is_some();
        let table = self.columns.clone().unwrap_or_default();
        let required = required_columns(s);
        let input = PlanInput {
            table: &table,
            required: &required,
            timestamps: s.timestamps,
            policy: s.type_conflict,
        };
        let changes = plan_changes(&input, records, &|field| column_of(s, field))
            .map_err(|m| FaucetError::sink_error(format!("table {}: {m}", self.load)))?;
        if changes.is_empty() && exists {
            return Ok(());
        }
        catalog::apply(&self.client, &self.load, exists, &changes, &s.key).await?;
        let staged = self.txn.as_ref().is_some_and(|t| t.staged);
        if staged {
            let sql = catalog::alter_sql(&STAGE, &changes);
            self.client
                .batch_execute(&sql)
                .await
                .map_err(|e| pg_error("changing the staging table", e))?;
        }
        self.columns = catalog::read_columns(&self.client, &self.load).await?;
        self.layout = None;
        Ok(())
    }

    async fn begin(&mut self) -> Result<()> {
        self.client
            .batch_execute("BEGIN")
            .await
            .map_err(|e| pg_error("starting a transaction", e))?;
        self.txn = Some(Txn::default());
        Ok(())
    }

    async fn open_copy(&mut self, s: &Settings) -> Result<()> {
        let txn = self.txn.as_mut().expect("a transaction is open");
        if txn.copy.is_some() {
            return Ok(());
        }
        let upsert = s.mode == WriteMode::Upsert;
        if upsert && !txn.staged {
            merge::create_stage(&self.client, &self.load).await?;
            txn.staged = true;
        }
        let layout = self.layout.as_ref().expect("encoded with a layout");
        let into = if upsert {
            STAGE.to_owned()
        } else {
            self.load.to_string()
        };
        let sql = format!(
            "COPY {into} ({}) FROM STDIN (FORMAT binary)",
            list("", layout.columns.iter().map(|c| &c.name))
        );
        let doing = || format!("starting COPY into {}", self.load);
        let mut copy = Box::pin(
            self.client
                .copy_in::<_, Bytes>(&sql)
                .await
                .map_err(|e| pg_error(&doing(), e))?,
        );
        copy.send(Bytes::from_static(COPY_HEADER))
            .await
            .map_err(|e| pg_error(&doing(), e))?;
        txn.copy = Some(copy);
        Ok(())
    }

    async fn finish_copy(&mut self) -> Result<()> {
        let Some(mut copy) = self.txn.as_mut().and_then(|t| t.copy.take()) else {
            return Ok(());
        };
        let doing = || format!("finishing COPY into {}", self.load);
        copy.send(Bytes::from_static(COPY_TRAILER))
            .await
            .map_err(|e| pg_error(&doing(), e))?;
        copy.as_mut()
            .finish()
            .await
            .map_err(|e| pg_error(&doing(), e))?;
        Ok(())
    }

    /// Commits the open transaction: rows, merge, rejected records and the
    /// latest checkpoint together.
    pub(crate) async fn commit(&mut self, s: &Settings) -> Result<()> {
        if self.txn.is_none() {
            return Ok(());
        }
        self.finish_copy().await?;
        let txn = self.txn.take().expect("checked above");
        if txn.staged {
            self.ensure_layout(s)?;
            let layout = self.layout.as_ref().expect("just built");
            let metadata: Vec<Ident> = s
                .loaded_at_column
                .iter()
                .chain(&s.run_id_column)
                .cloned()
                .collect();
            let plan = merge::MergePlan {
                key: &s.key,
                metadata: &metadata,
                dedupe: txn.staging.duplicates,
                deletes: txn.staging.deletes > 0,
                on_conflict: catalog::has_unique_index(&self.client, &self.load, &s.key).await?,
            };
            merge::merge(&self.client, &self.load, layout, &plan).await?;
        }
        if !txn.dead.is_empty() {
            let table = QualifiedName::new(&s.schema, &s.dead_letter_table);
            tracing::warn!(table = %table, records = txn.dead.len(), "Records rejected");
            catalog::insert_dead_letters(&self.client, &table, &self.pipeline, &txn.dead).await?;
        }
        if let Some(checkpoint) = &txn.checkpoint {
            catalog::save_checkpoint(&self.client, &self.state, &self.pipeline, checkpoint).await?;
        }
        self.client
            .batch_execute("COMMIT")
            .await
            .map_err(|e| pg_error(&format!("committing rows into {}", self.load), e))?;
        tracing::debug!(table = %self.load, rows = txn.rows, "Committed");
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
