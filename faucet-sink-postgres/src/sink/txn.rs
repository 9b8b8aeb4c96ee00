//! A connection's open transaction: encoding a page (changing the table
//! first when it needs it) and streaming it into `COPY`. Every action
//! that changes server state is logged, so that `replay.rs` can redo the
//! transaction on a new connection.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use faucet_core::{Checkpoint, FaucetError, Record, Result};
use futures::SinkExt;
use tokio_postgres::CopyInSink;

use super::catalog;
use super::connect::{pg_error, pg_error_granting};
use super::grants;
use super::merge::{self, STAGE};
use super::session::Session;
use super::table::Table;
use crate::config::{Settings, WriteMode};
use crate::encode::{
    COPY_HEADER, COPY_TRAILER, DeadLetter, Encoded, Staging, check_objects, column_of,
    required_columns,
};
use crate::schema::plan::PlanInput;
use crate::schema::plan_changes;
use crate::sql::list;

/// A connection and the transaction open on it, if any.
pub(crate) struct Lane {
    pub(crate) session: Session,
    pub(crate) txn: Option<Txn>,
}

/// The open transaction.
#[derive(Default)]
pub(crate) struct Txn {
    pub(crate) copy: Option<Pin<Box<CopyInSink<Bytes>>>>,
    pub(crate) staged: bool,
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
    pub(crate) staging: Staging,
    pub(crate) checkpoint: Option<Checkpoint>,
    /// Whether this transaction changed the table's schema.
    pub(crate) changed_schema: bool,
    /// Whether this transaction writes the table's marker.
    pub(crate) marks: bool,
    pub(crate) dead: Vec<DeadLetter>,
    /// What the transaction did on the server, in order, to replay it on a
    /// new connection after a transient failure. Row chunks are shared
    /// `Bytes`, so keeping them costs no copy; at most `batch_bytes`.
    pub(crate) log: Vec<Step>,
}

/// One replayable action of a transaction.
#[derive(Clone)]
pub(crate) enum Step {
    /// Statements run with `batch_execute` (DDL, staging table).
    Sql(String),
    /// `COPY … FROM STDIN` started (and its header sent).
    CopyStart(String),
    /// Encoded rows sent to the open `COPY`.
    Chunk(Bytes),
    /// The `COPY` finished.
    CopyEnd,
}

impl Lane {
    /// A lane on `session`, with no transaction open.
    pub(crate) fn new(session: Session) -> Self {
        Self { session, txn: None }
    }

    /// The open transaction.
    pub(crate) fn open_txn(&mut self) -> &mut Txn {
        self.txn.as_mut().expect("a transaction is open")
    }

    /// Writes one page into the open transaction (opening one if needed).
    /// `false`: the page needs a schema change and `frozen` forbids one
    /// (another connection is merging: its locks on the table would make
    /// the change wait, and a replay of that merge wait on the change);
    /// nothing of the page was sent.
    pub(crate) async fn write_page(
        &mut self,
        s: &Settings,
        table: &mut Table,
        records: &[Record],
        page: u64,
        frozen: bool,
    ) -> Result<bool> {
        if self.txn.is_none() {
            self.session
                .execute("BEGIN", "starting a transaction")
                .await?;
            self.txn = Some(Txn::default());
        }
        let Some((buf, rows, dead)) = self.encode(s, table, records, page, frozen).await? else {
            return Ok(false);
        };
        let bytes = buf.len() as u64;
        if rows > 0 {
            self.open_copy(s, table).await?;
            let chunk = buf.freeze();
            let txn = self.open_txn();
            let copy = txn.copy.as_mut().expect("a COPY is open");
            copy.send(chunk.clone())
                .await
                .map_err(|e| pg_error(&format!("streaming rows into {}", table.load), e))?;
            txn.log.push(Step::Chunk(chunk));
        }
        let txn = self.open_txn();
        txn.rows += rows;
        txn.bytes += bytes;
        txn.dead.extend(dead);
        Ok(true)
    }

    /// Encodes a page, changing the table first when the records need it
    /// (`None` when they do and `frozen`).
    async fn encode(
        &mut self,
        s: &Settings,
        table: &mut Table,
        records: &[Record],
        page: u64,
        frozen: bool,
    ) -> Result<Option<(BytesMut, u64, Vec<DeadLetter>)>> {
        if records.is_empty() {
            // Nothing to write (a page may carry only a checkpoint).
            return Ok(Some((BytesMut::new(), 0, Vec::new())));
        }
        check_objects(s, records, page).map_err(|m| {
            FaucetError::sink_error(format!("cannot load into {}: {m}", table.load))
        })?;
        if table.needs_setup(s) {
            if frozen {
                return Ok(None);
            }
            self.change_schema(s, table, records).await?;
        }
        let mut buf = BytesMut::with_capacity(records.len() * 160 + 64);
        for _attempt in 0..4 {
            let layout = table.layout(s)?;
            let txn = self.txn.as_mut().expect("a transaction is open");
            buf.clear();
            match layout.encode(records, page, &mut txn.staging, &mut buf) {
                Err(message) => return Err(FaucetError::sink_error(message)),
                Ok(Encoded::Rows { rows, dead }) => return Ok(Some((buf, rows, dead))),
                Ok(Encoded::NeedsSchemaChange) if frozen => return Ok(None),
                Ok(Encoded::NeedsSchemaChange) => self.change_schema(s, table, records).await?,
            }
        }
        Err(FaucetError::sink_error(format!(
            "page {page} still does not fit {} after changing its schema",
            table.load
        )))
    }

    /// Adds and widens columns for `records`, inside the open transaction
    /// (the `COPY` in progress is finished first; the next page starts a
    /// new one with the new columns).
    async fn change_schema(
        &mut self,
        s: &Settings,
        table: &mut Table,
        records: &[Record],
    ) -> Result<()> {
        self.finish_copy(table).await?;
        let load = table.load.clone();
        let exists = table.columns.is_some();
        let columns = table.columns.clone().unwrap_or_default();
        let required = required_columns(s);
        let input = PlanInput {
            table: &columns,
            required: &required,
            timestamps: s.timestamps,
            policy: s.type_conflict,
        };
        let changes = plan_changes(&input, records, &|field| column_of(s, field))
            .map_err(|m| FaucetError::sink_error(format!("table {load}: {m}")))?;
        if changes.is_empty() && exists {
            return Ok(());
        }
        let (sql, grant) = if exists {
            (
                catalog::alter_sql(&load, &changes),
                grants::alter_table(s, &load),
            )
        } else {
            let client = &self.session.client;
            let schema_exists = catalog::schema_exists(client, &load.schema).await?;
            let create = catalog::change_sql(&load, false, &changes, &s.key)?;
            let sql = catalog::create_schema_sql(&load.schema, schema_exists) + &create;
            (sql, grants::create_table(s, &load, schema_exists))
        };
        tracing::info!(table = %load, statement = %sql, "Changing the table's schema");
        let doing = format!("changing the schema of {load}");
        self.exec_logged(sql, &doing, &grant).await?;
        if self.txn.as_ref().is_some_and(|t| t.staged) {
            let sql = catalog::alter_sql(&STAGE, &changes);
            self.exec_logged(sql, "changing the staging table", "")
                .await?;
        }
        self.open_txn().changed_schema = true;
        table.columns = catalog::read_columns(&self.session.client, &load).await?;
        table.layout = None;
        Ok(())
    }

    /// Runs statements in the open transaction and logs them for replay.
    async fn exec_logged(&mut self, sql: String, doing: &str, grant: &str) -> Result<()> {
        self.session
            .client
            .batch_execute(&sql)
            .await
            .map_err(|e| pg_error_granting(doing, e, grant))?;
        self.open_txn().log.push(Step::Sql(sql));
        Ok(())
    }

    async fn open_copy(&mut self, s: &Settings, table: &mut Table) -> Result<()> {
        if self.txn.as_ref().is_some_and(|t| t.copy.is_some()) {
            return Ok(());
        }
        let upsert = s.mode == WriteMode::Upsert;
        if upsert && !self.txn.as_ref().is_some_and(|t| t.staged) {
            self.exec_logged(
                merge::create_stage_sql(&table.load),
                "creating the staging table",
                &grants::stage(s, &table.load),
            )
            .await?;
            self.open_txn().staged = true;
        }
        let into = if upsert {
            STAGE.to_owned()
        } else {
            table.load.to_string()
        };
        let layout = table.layout(s)?;
        let sql = format!(
            "COPY {into} ({}) FROM STDIN (FORMAT binary)",
            list("", layout.columns.iter().map(|c| &c.name))
        );
        let grant = grants::write_rows(s, &table.load);
        self.start_copy(&sql, table, &grant).await?;
        self.open_txn().log.push(Step::CopyStart(sql));
        Ok(())
    }

    /// Starts `COPY … FROM STDIN` and sends the binary header.
    pub(crate) async fn start_copy(&mut self, sql: &str, table: &Table, grant: &str) -> Result<()> {
        let doing = || format!("starting COPY into {}", table.load);
        let copy = self
            .session
            .client
            .copy_in::<_, Bytes>(sql)
            .await
            .map_err(|e| pg_error_granting(&doing(), e, grant))?;
        let mut copy = Box::pin(copy);
        copy.send(Bytes::from_static(COPY_HEADER))
            .await
            .map_err(|e| pg_error(&doing(), e))?;
        self.open_txn().copy = Some(copy);
        Ok(())
    }

    /// Ends the `COPY` in progress, if any.
    pub(crate) async fn finish_copy(&mut self, table: &Table) -> Result<()> {
        let Some(copy) = self.txn.as_mut().and_then(|t| t.copy.take()) else {
            return Ok(());
        };
        end_copy(copy, &format!("finishing COPY into {}", table.load)).await?;
        self.open_txn().log.push(Step::CopyEnd);
        Ok(())
    }

    /// Rolls back what is open (the run failed or was abandoned).
    pub(crate) async fn rollback(&mut self) {
        if self.txn.take().is_some() {
            let _ = self.session.client.batch_execute("ROLLBACK").await;
        }
    }
}

/// Sends the binary COPY trailer and waits for the server to take the rows.
pub(crate) async fn end_copy(mut copy: Pin<Box<CopyInSink<Bytes>>>, doing: &str) -> Result<()> {
    copy.send(Bytes::from_static(COPY_TRAILER))
        .await
        .map_err(|e| pg_error(doing, e))?;
    copy.as_mut()
        .finish()
        .await
        .map(drop)
        .map_err(|e| pg_error(doing, e))
}
