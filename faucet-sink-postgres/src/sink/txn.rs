//! A connection's open transaction: encoding a page (changing the table
//! first when it needs it) and streaming it into `COPY`. Every action
//! that changes server state is logged, so that `replay.rs` can redo the
//! transaction on a new connection.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use faucet_core::{Checkpoint, FaucetError, Record, Result};
use futures::SinkExt;
use tokio_postgres::CopyInSink;

use super::connect::{pg_error, pg_error_granting};
use super::merge;
use super::session::Session;
use super::table::{Table, Tables};
use super::{catalog, grants};
use crate::config::WriteMode;
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
    /// The `COPY` in progress and the table (index in [`Tables::list`])
    /// it writes: one at a time per connection.
    pub(crate) copy: Option<(usize, Pin<Box<CopyInSink<Bytes>>>)>,
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
    pub(crate) checkpoint: Option<Checkpoint>,
    /// Whether this transaction changed a table's schema.
    pub(crate) changed_schema: bool,
    /// What the transaction holds per table, by index in
    /// [`Tables::list`].
    pub(crate) parts: Vec<Part>,
    /// What the transaction did on the server, in order, to replay it on a
    /// new connection after a transient failure. Row chunks are shared
    /// `Bytes`, so keeping them costs no copy; at most `batch_bytes`.
    pub(crate) log: Vec<Step>,
}

/// What an open transaction holds for one table.
#[derive(Default)]
pub(crate) struct Part {
    /// Rows go through the table's staging table (upsert).
    pub(crate) staged: bool,
    pub(crate) staging: Staging,
    pub(crate) rows: u64,
    /// Whether this transaction writes the table's marker.
    pub(crate) marks: bool,
    pub(crate) dead: Vec<DeadLetter>,
}

impl Txn {
    /// The part of table `n`, added if missing.
    pub(crate) fn part(&mut self, n: usize) -> &mut Part {
        if self.parts.len() <= n {
            self.parts.resize_with(n + 1, Part::default);
        }
        &mut self.parts[n]
    }

    /// Whether rows of some table go through staging (upsert).
    pub(crate) fn staged(&self) -> bool {
        self.parts.iter().any(|p| p.staged)
    }
}

/// One replayable action of a transaction.
#[derive(Clone)]
pub(crate) enum Step {
    /// Statements run with `batch_execute` (DDL, staging table).
    Sql(String),
    /// `COPY … FROM STDIN` into table `n` started (and its header sent).
    CopyStart(usize, String),
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

    /// Opens a transaction, if none is open.
    pub(crate) async fn begin(&mut self) -> Result<()> {
        if self.txn.is_none() {
            self.session
                .execute("BEGIN", "starting a transaction")
                .await?;
            self.txn = Some(Txn::default());
        }
        Ok(())
    }

    /// Writes one page of table `n` into the open transaction (opening
    /// one if needed). `false`: the page needs a schema change and
    /// `frozen` forbids one (another connection is merging: its locks on
    /// the table would make the change wait, and a replay of that merge
    /// wait on the change); nothing of the page was sent.
    pub(crate) async fn write_page(
        &mut self,
        tables: &mut Tables,
        n: usize,
        records: &[Record],
        page: u64,
        frozen: bool,
    ) -> Result<bool> {
        self.begin().await?;
        if records.is_empty() {
            // Nothing to write (a page may carry only a checkpoint).
            return Ok(true);
        }
        let Some((buf, rows, dead)) = self.encode(tables, n, records, page, frozen).await? else {
            return Ok(false);
        };
        let bytes = buf.len() as u64;
        if rows > 0 {
            let table = &mut tables.list[n];
            self.open_copy(table, n).await?;
            let chunk = buf.freeze();
            let txn = self.open_txn();
            let (_, copy) = txn.copy.as_mut().expect("a COPY is open");
            copy.send(chunk.clone())
                .await
                .map_err(|e| pg_error(&format!("streaming rows into {}", table.load), e))?;
            txn.log.push(Step::Chunk(chunk));
        }
        let txn = self.open_txn();
        txn.rows += rows;
        txn.bytes += bytes;
        let part = txn.part(n);
        part.rows += rows;
        part.dead.extend(dead);
        Ok(true)
    }

    /// Encodes a page, changing the table first when the records need it
    /// (`None` when they do and `frozen`).
    async fn encode(
        &mut self,
        tables: &mut Tables,
        n: usize,
        records: &[Record],
        page: u64,
        frozen: bool,
    ) -> Result<Option<(BytesMut, u64, Vec<DeadLetter>)>> {
        let resumes = tables.resumes;
        let table = &mut tables.list[n];
        check_objects(&table.s, records, page).map_err(|m| {
            FaucetError::sink_error(format!("cannot load into {}: {m}", table.load))
        })?;
        if !table.known || table.unprepared {
            if frozen && table.unprepared {
                return Ok(None);
            }
            self.finish_copy(&tables.list).await?;
            self.learn(&mut tables.list[n], resumes).await?;
        }
        let table = &mut tables.list[n];
        if table.needs_setup() {
            if frozen {
                return Ok(None);
            }
            self.change_schema(table, n, records).await?;
        }
        let mut buf = BytesMut::with_capacity(records.len() * 160 + 64);
        for _attempt in 0..4 {
            let layout = table.layout()?;
            let txn = self.txn.as_mut().expect("a transaction is open");
            buf.clear();
            let staging = &mut txn.part(n).staging;
            match layout.encode(records, page, staging, &mut buf) {
                Err(message) => return Err(FaucetError::sink_error(message)),
                Ok(Encoded::Rows { rows, dead }) => return Ok(Some((buf, rows, dead))),
                Ok(Encoded::NeedsSchemaChange) if frozen => return Ok(None),
                Ok(Encoded::NeedsSchemaChange) => self.change_schema(table, n, records).await?,
            }
        }
        Err(FaucetError::sink_error(format!(
            "page {page} still does not fit {} after changing its schema",
            table.load
        )))
    }

    /// Adds and widens columns of table `n` for `records`, inside the
    /// open transaction (the `COPY` in progress is finished first; the
    /// next page starts a new one with the new columns).
    async fn change_schema(
        &mut self,
        table: &mut Table,
        n: usize,
        records: &[Record],
    ) -> Result<()> {
        self.end_copy_of(table).await?;
        let s = table.s.clone();
        let load = table.load.clone();
        let exists = table.columns.is_some();
        let columns = table.columns.clone().unwrap_or_default();
        let required = required_columns(&s);
        let input = PlanInput {
            table: &columns,
            required: &required,
            timestamps: s.timestamps,
            policy: s.type_conflict,
            declared: table.declared.as_deref(),
        };
        let changes = plan_changes(&input, records, &|field| column_of(&s, field))
            .map_err(|m| FaucetError::sink_error(format!("table {load}: {m}")))?;
        if changes.is_empty() && exists {
            return Ok(());
        }
        let (sql, grant) = if exists {
            (
                catalog::alter_sql(&load, &changes),
                grants::alter_table(&s, &load),
            )
        } else {
            let client = &self.session.client;
            let schema_exists = catalog::schema_exists(client, &load.schema).await?;
            let create = catalog::change_sql(&load, false, &changes, &s.key)?;
            let sql = catalog::create_schema_sql(&load.schema, schema_exists) + &create;
            (sql, grants::create_table(&s, &load, schema_exists))
        };
        tracing::info!(table = %load, statement = %sql, "Changing the table's schema");
        let doing = format!("changing the schema of {load}");
        self.exec_logged(sql, &doing, &grant).await?;
        if self.open_txn().part(n).staged {
            let sql = catalog::alter_sql(&table.stage_qualified(), &changes);
            self.exec_logged(sql, "changing the staging table", "")
                .await?;
        }
        self.open_txn().changed_schema = true;
        table.columns = catalog::read_columns(&self.session.client, &load).await?;
        table.layout = None;
        Ok(())
    }

    /// Runs statements in the open transaction and logs them for replay.
    pub(crate) async fn exec_logged(
        &mut self,
        sql: String,
        doing: &str,
        grant: &str,
    ) -> Result<()> {
        self.session
            .client
            .batch_execute(&sql)
            .await
            .map_err(|e| pg_error_granting(doing, e, grant))?;
        self.open_txn().log.push(Step::Sql(sql));
        Ok(())
    }

    /// Opens a `COPY` into table `n`, ending one into another table first.
    async fn open_copy(&mut self, table: &mut Table, n: usize) -> Result<()> {
        match self.txn.as_ref().and_then(|t| t.copy.as_ref()) {
            Some((open, _)) if *open == n => return Ok(()),
            Some(_) => self.end_copy_of(table).await?,
            None => {}
        }
        let s = table.s.clone();
        let upsert = s.mode == WriteMode::Upsert;
        if upsert && !self.open_txn().part(n).staged {
            self.exec_logged(
                merge::create_stage_sql(&table.load, &table.stage),
                "creating the staging table",
                &grants::stage(&s, &table.load),
            )
            .await?;
            self.open_txn().part(n).staged = true;
        }
        let into = if upsert {
            table.stage_qualified()
        } else {
            table.load.to_string()
        };
        let layout = table.layout()?;
        let sql = format!(
            "COPY {into} ({}) FROM STDIN (FORMAT binary)",
            list("", layout.columns.iter().map(|c| &c.name))
        );
        let grant = grants::write_rows(&s, &table.load);
        self.start_copy(n, &sql, &table.load.to_string(), &grant)
            .await?;
        self.open_txn().log.push(Step::CopyStart(n, sql));
        Ok(())
    }

    /// Starts `COPY … FROM STDIN` into table `n` (named `load` in
    /// messages) and sends the binary header.
    pub(crate) async fn start_copy(
        &mut self,
        n: usize,
        sql: &str,
        load: &str,
        grant: &str,
    ) -> Result<()> {
        let doing = || format!("starting COPY into {load}");
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
        self.open_txn().copy = Some((n, copy));
        Ok(())
    }

    /// Ends the `COPY` in progress, if any (`tables` names it).
    pub(crate) async fn finish_copy(&mut self, tables: &[Table]) -> Result<()> {
        let Some((n, copy)) = self.txn.as_mut().and_then(|t| t.copy.take()) else {
            return Ok(());
        };
        let name = tables
            .get(n)
            .map_or_else(String::new, |t| t.load.to_string());
        end_copy(copy, &format!("finishing COPY into {name}")).await?;
        self.open_txn().log.push(Step::CopyEnd);
        Ok(())
    }

    /// Ends the `COPY` in progress, if any, while `table` is borrowed
    /// apart from the others (it names the copy in messages: the copy in
    /// progress is this table's or the one before it).
    async fn end_copy_of(&mut self, table: &Table) -> Result<()> {
        let Some((_, copy)) = self.txn.as_mut().and_then(|t| t.copy.take()) else {
            return Ok(());
        };
        end_copy(
            copy,
            &format!("finishing COPY (before writing {})", table.load),
        )
        .await?;
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
