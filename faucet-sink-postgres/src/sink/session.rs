//! One connection of a run: connecting (and reconnecting) with the run's
//! lock, and the pipeline's row in the state table. The bottom layer:
//! it knows nothing of transactions (`txn.rs`) or of retries
//! (`replay.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use faucet_core::{Checkpoint, Result};
use tokio_postgres::Client;

use super::catalog;
use super::connect::{connect, pg_error};
use super::lock::{self, Keys, Role};
use crate::config::Settings;
use crate::sql::QualifiedName;

/// A connection with the run's identity.
pub(crate) struct Session {
    pub(super) client: Client,
    pub(super) pipeline: String,
    pub(super) state: QualifiedName,
    /// What to GRANT when the state table refuses a read or write.
    pub(super) state_grant: String,
    /// Which of the run's lock keys this connection holds (taken again on
    /// every new connection).
    role: Role,
    keys: Option<Keys>,
    /// The server process of the run's main connection (updated when it
    /// reconnects), which a second connection checks holds the lock.
    main_pid: Arc<AtomicI32>,
}

impl Session {
    /// Connects the run's main connection, taking the pipeline's lock when
    /// `lock`, and creates the state table if missing.
    pub(crate) async fn open(s: &Settings, pipeline: &str, lock: bool) -> Result<Self> {
        let client = open_connection(s).await?;
        let state = QualifiedName::new(&s.state_schema, &s.state_table);
        let keys = match lock {
            true => Some(Keys::of(&client, &state, pipeline).await?),
            false => None,
        };
        let mut session = Self {
            client,
            pipeline: pipeline.to_owned(),
            state_grant: super::grants::state_table(s, &state),
            state,
            role: if lock { Role::Both } else { Role::None },
            keys,
            main_pid: Arc::new(AtomicI32::new(0)),
        };
        session.take_lock().await?;
        catalog::ensure_state_table(&session.client, s, &session.state).await?;
        Ok(session)
    }

    /// Opens a second connection of the same run, handing it this one's
    /// second lock key.
    pub(crate) async fn second(&mut self, s: &Settings) -> Result<Self> {
        let mut other = Self {
            client: open_connection(s).await?,
            pipeline: self.pipeline.clone(),
            state: self.state.clone(),
            state_grant: self.state_grant.clone(),
            role: Role::None,
            keys: self.keys,
            main_pid: self.main_pid.clone(),
        };
        if let (Role::Both, Some(keys)) = (self.role, self.keys) {
            lock::hand_over(&self.client, keys, &self.pipeline).await?;
            self.role = Role::First;
            other.role = Role::Second;
            other.take_lock().await?;
        }
        Ok(other)
    }

    /// Replaces the connection after a failure, taking the lock again.
    /// `Ok(true)`: the run held no lock key for a moment (every connection
    /// of it was lost), so the caller checks that the stored checkpoint
    /// is still the one it knows.
    pub(crate) async fn reconnect(&mut self, s: &Settings) -> Result<bool> {
        self.client = open_connection(s).await?;
        self.take_lock().await
    }

    async fn take_lock(&mut self) -> Result<bool> {
        let Some(keys) = self.keys else {
            return Ok(false);
        };
        if matches!(self.role, Role::Both | Role::First) {
            let pid: i32 = self
                .client
                .query_one("SELECT pg_backend_pid()", &[])
                .await
                .map_err(|e| pg_error("reading the server process id", e))?
                .get(0);
            self.main_pid.store(pid, Ordering::SeqCst);
        }
        lock::acquire(
            &self.client,
            keys,
            self.role,
            &self.pipeline,
            &self.main_pid,
        )
        .await
    }

    /// Whether this connection holds the pipeline's lock.
    pub(crate) fn locked(&self) -> bool {
        self.role != Role::None
    }

    /// Runs `sql` (statements without results).
    pub(crate) async fn execute(&self, sql: &str, doing: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| pg_error(doing, e))
    }

    /// Releases the pipeline lock (and closes the connection).
    pub(crate) async fn release(self) {
        if self.locked() {
            let _ = self
                .client
                .batch_execute("SELECT pg_advisory_unlock_all()")
                .await;
        }
    }

    /// The pipeline's stored checkpoint.
    pub(crate) async fn load_checkpoint(&self) -> Result<Option<Checkpoint>> {
        catalog::load_checkpoint(&self.client, &self.state, &self.pipeline, &self.state_grant).await
    }

    /// Deletes the pipeline's stored checkpoint.
    pub(crate) async fn clear_checkpoint(&self) -> Result<()> {
        catalog::clear_checkpoint(&self.client, &self.state, &self.pipeline, &self.state_grant)
            .await
    }
}

/// Connects. When some table upserts, the session's temporary buffers are made
/// big enough for a batch's staging table (PostgreSQL's 8 MB default
/// would write most of it to disk); they are taken only as used.
async fn open_connection(s: &Settings) -> Result<Client> {
    let client = connect(s).await?;
    if s.upserts {
        let kib = (s.batch_bytes.saturating_mul(2) / 1024).clamp(8 * 1024, 1024 * 1024);
        let sql = format!("SET temp_buffers = '{kib}kB'");
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| pg_error("sizing the staging table's buffers", e))?;
    }
    Ok(client)
}
