//! Inside the open transaction: encoding a page (changing the table first
//! when it needs it), streaming it into `COPY`, and the commit. Every
//! action that changes server state is logged for replay.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use faucet_core::{FaucetError, Record, Result};
use futures::SinkExt;
use tokio_postgres::CopyInSink;

use super::connect::{pg_error, pg_error_granting};
use super::grants;
use super::merge::{self, STAGE};
use super::session::{Session, Step, Txn};
use super::{catalog, marker};
use crate::config::{Settings, WriteMode};
use crate::encode::{
    COPY_HEADER, COPY_TRAILER, DeadLetter, Encoded, build_layout, check_objects, column_of,
    required_columns,
};
use crate::schema::plan::PlanInput;
use crate::schema::plan_changes;
use crate::sql::{Ident, QualifiedName, list};

/// How a commit failed.
pub(super) enum CommitFailure {
    /// Before `COMMIT` was sent: the transaction is certainly not committed.
    Before(FaucetError),
    /// `COMMIT` itself failed. `rejected`: the server answered with an
    /// error, so nothing was committed; otherwise the outcome is unknown.
    AtCommit { err: FaucetError, rejected: bool },
}

impl Session {
    /// Writes one page into the open transaction (opening one if needed).
    pub(super) async fn write_page(
        &mut self,
        s: &Settings,
        records: &[Record],
        page: u64,
    ) -> Result<()> {
        if self.txn.is_none() {
            self.client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| pg_error("starting a transaction", e))?;
            self.txn = Some(Txn::default());
        }
        let (buf, rows, dead) = self.encode(s, records, page).await?;
        let bytes = buf.len() as u64;
        if rows > 0 {
            self.open_copy(s).await?;
            let chunk = buf.freeze();
            let txn = self.txn.as_mut().expect("a transaction is open");
            let copy = txn.copy.as_mut().expect("a COPY is open");
            copy.send(chunk.clone())
                .await
                .map_err(|e| pg_error(&format!("streaming rows into {}", self.load), e))?;
            txn.log.push(Step::Chunk(chunk));
        }
        let txn = self.txn.as_mut().expect("a transaction is open");
        txn.rows += rows;
        txn.bytes += bytes;
        txn.dead.extend(dead);
        Ok(())
    }

    /// Encodes a page, changing the table first when the records need it.
    async fn encode(
        &mut self,
        s: &Settings,
        records: &[Record],
        page: u64,
    ) -> Result<(BytesMut, u64, Vec<DeadLetter>)> {
        if records.is_empty() {
            // Nothing to write (a page may carry only a checkpoint).
            return Ok((BytesMut::new(), 0, Vec::new()));
        }
        check_objects(s, records, page)
            .map_err(|m| FaucetError::sink_error(format!("cannot load into {}: {m}", self.load)))?;
        if self.needs_setup(s) {
            self.change_schema(s, records).await?;
        }
        let mut buf = BytesMut::with_capacity(records.len() * 160 + 64);
        for _attempt in 0..4 {
            self.ensure_layout(s)?;
            let layout = self.layout.as_ref().expect("just built");
            let txn = self.txn.as_mut().expect("a transaction is open");
            buf.clear();
            match layout.encode(records, page, &mut txn.staging, &mut buf) {
                Err(message) => return Err(FaucetError::sink_error(message)),
                Ok(Encoded::Rows { rows, dead }) => return Ok((buf, rows, dead)),
                Ok(Encoded::NeedsSchemaChange) => self.change_schema(s, records).await?,
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

    pub(super) fn ensure_layout(&mut self, s: &Settings) -> Result<()> {
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
    async fn change_schema(&mut self, s: &Settings, records: &[Record]) -> Result<()> {
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
        let (sql, grant) = if exists {
            (
                catalog::alter_sql(&self.load, &changes),
                grants::alter_table(s, &self.load),
            )
        } else {
            let schema_exists = catalog::schema_exists(&self.client, &self.load.schema).await?;
            let create = catalog::change_sql(&self.load, false, &changes, &s.key)?;
            let sql = catalog::create_schema_sql(&self.load.schema, schema_exists) + &create;
            (sql, grants::create_table(s, &self.load, schema_exists))
        };
        tracing::info!(table = %self.load, statement = %sql, "Changing the table's schema");
        self.exec_logged(
            sql,
            &format!("changing the schema of {}", self.load),
            &grant,
        )
        .await?;
        if self.txn.as_ref().is_some_and(|t| t.staged) {
            let sql = catalog::alter_sql(&STAGE, &changes);
            self.exec_logged(sql, "changing the staging table", "")
                .await?;
        }
        self.columns = catalog::read_columns(&self.client, &self.load).await?;
        self.layout = None;
        Ok(())
    }

    /// Runs statements in the open transaction and logs them for replay.
    async fn exec_logged(&mut self, sql: String, doing: &str, grant: &str) -> Result<()> {
        self.client
            .batch_execute(&sql)
            .await
            .map_err(|e| pg_error_granting(doing, e, grant))?;
        self.txn
            .as_mut()
            .expect("a transaction is open")
            .log
            .push(Step::Sql(sql));
        Ok(())
    }

    async fn open_copy(&mut self, s: &Settings) -> Result<()> {
        if self.txn.as_ref().is_some_and(|t| t.copy.is_some()) {
            return Ok(());
        }
        let upsert = s.mode == WriteMode::Upsert;
        if upsert && !self.txn.as_ref().is_some_and(|t| t.staged) {
            self.exec_logged(
                merge::create_stage_sql(&self.load),
                "creating the staging table",
                &grants::stage(s, &self.load),
            )
            .await?;
            self.txn.as_mut().expect("a transaction is open").staged = true;
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
        self.start_copy(&sql, &grants::write_rows(s, &self.load))
            .await?;
        self.txn
            .as_mut()
            .expect("a transaction is open")
            .log
            .push(Step::CopyStart(sql));
        Ok(())
    }

    /// Starts `COPY … FROM STDIN` and sends the binary header.
    pub(super) async fn start_copy(&mut self, sql: &str, grant: &str) -> Result<()> {
        let doing = || format!("starting COPY into {}", self.load);
        let copy = self
            .client
            .copy_in::<_, Bytes>(sql)
            .await
            .map_err(|e| pg_error_granting(&doing(), e, grant))?;
        let mut copy = Box::pin(copy);
        copy.send(Bytes::from_static(COPY_HEADER))
            .await
            .map_err(|e| pg_error(&doing(), e))?;
        self.txn.as_mut().expect("a transaction is open").copy = Some(copy);
        Ok(())
    }

    /// Ends the `COPY` in progress, if any.
    pub(super) async fn finish_copy(&mut self) -> Result<()> {
        let Some(copy) = self.txn.as_mut().and_then(|t| t.copy.take()) else {
            return Ok(());
        };
        end_copy(copy, &format!("finishing COPY into {}", self.load)).await?;
        self.txn
            .as_mut()
            .expect("a transaction is open")
            .log
            .push(Step::CopyEnd);
        Ok(())
    }

    /// One attempt at committing the open transaction.
    pub(super) async fn try_commit(&mut self, s: &Settings) -> Result<(), CommitFailure> {
        self.before_commit(s).await.map_err(CommitFailure::Before)?;
        if let Err(e) = self.client.batch_execute("COMMIT").await {
            let rejected = e.as_db_error().is_some();
            let err = pg_error(&format!("committing rows into {}", self.load), e);
            return Err(CommitFailure::AtCommit { err, rejected });
        }
        let txn = self.txn.take().expect("a transaction is open");
        if txn.marks {
            self.marker = Some(self.pipeline.clone());
        }
        if txn.checkpoint.is_some() {
            self.committed = txn.checkpoint;
        }
        tracing::debug!(table = %self.load, rows = txn.rows, "Committed");
        Ok(())
    }

    /// Everything the commit does before `COMMIT`: end the `COPY`, merge,
    /// rejected records, checkpoint.
    async fn before_commit(&mut self, s: &Settings) -> Result<()> {
        self.finish_copy().await?;
        self.ensure_layout(s)?;
        let txn = self.txn.as_ref().expect("a transaction is open");
        if txn.staged {
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
            let grant = grants::write_rows(s, &self.load);
            merge::merge(&self.client, &self.load, layout, &plan, &grant).await?;
        }
        if !txn.dead.is_empty() {
            let table = QualifiedName::new(&s.schema, &s.dead_letter_table);
            tracing::warn!(table = %table, records = txn.dead.len(), "Records rejected");
            catalog::insert_dead_letters(&self.client, &table, &self.pipeline, &txn.dead).await?;
        }
        let marks = self.locked && txn.rows > 0 && self.marker.as_ref() != Some(&self.pipeline);
        if marks {
            let (state, target) = (&self.state, &self.target);
            marker::write(
                &self.client,
                state,
                target,
                &self.pipeline,
                &self.state_grant,
            )
            .await?;
        }
        self.txn.as_mut().expect("a transaction is open").marks = marks;
        let txn = self.txn.as_ref().expect("a transaction is open");
        if let Some(checkpoint) = &txn.checkpoint {
            catalog::save_checkpoint(
                &self.client,
                &self.state,
                &self.pipeline,
                checkpoint,
                &self.state_grant,
            )
            .await?;
        }
        Ok(())
    }
}

/// Sends the binary COPY trailer and waits for the server to take the rows.
pub(super) async fn end_copy(mut copy: Pin<Box<CopyInSink<Bytes>>>, doing: &str) -> Result<()> {
    copy.send(Bytes::from_static(COPY_TRAILER))
        .await
        .map_err(|e| pg_error(doing, e))?;
    copy.as_mut()
        .finish()
        .await
        .map(drop)
        .map_err(|e| pg_error(doing, e))
}
