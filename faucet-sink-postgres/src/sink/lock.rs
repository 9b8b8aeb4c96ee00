//! One run per pipeline: session-level advisory locks keyed by the
//! pipeline's name, held by the sink's connections for the run (released
//! when a connection closes, so a killed run never leaves them behind).
//!
//! A run holds two keys: `first` on its main connection and `second` on
//! the connection that streams the next batch while the main one merges
//! (upsert mode). A run starts by taking both on its main connection, and
//! hands `second` over when it opens the other connection. So another run
//! can only start while neither key is held by this one; and a connection
//! that holds only `second` checks, whenever it (re)connects, that `first`
//! is held by its own run's main connection or by nobody, so a connection
//! left over from a run whose connections all died cannot commit beside
//! the run that took over (which holds `first` from its start on).

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use faucet_core::{FaucetError, Result};
use tokio_postgres::Client;

use super::connect::pg_error;
use crate::sql::QualifiedName;

/// How long a held lock is asked for again before the run fails.
const GRACE: Duration = Duration::from_secs(1);
const GRACE_TRIES: u32 = 10;

/// Which of the run's keys a connection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// No lock (a sink used without `load_checkpoint`).
    None,
    /// Both keys: the main connection before a second one exists.
    Both,
    /// The main connection, once the second key is handed over.
    First,
    /// The second connection.
    Second,
}

/// The two lock keys of a pipeline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    first: i64,
    second: i64,
}

impl Keys {
    /// The keys of `pipeline`. They belong to the pipeline's row in its
    /// state table: two pipelines of one name with different state
    /// tables do not conflict.
    pub(crate) async fn of(client: &Client, state: &QualifiedName, pipeline: &str) -> Result<Self> {
        let name = format!("faucet pipeline {state} {pipeline}");
        let row = client
            .query_one(
                "SELECT hashtextextended($1, 0), hashtextextended($1 || ' second', 0)",
                &[&name],
            )
            .await
            .map_err(|e| pg_error(&format!("locking pipeline `{pipeline}`"), e))?;
        Ok(Self {
            first: row.get(0),
            second: row.get(1),
        })
    }
}

/// Takes the keys `role` names, or fails at once with
/// [`FaucetError::AlreadyRunning`] naming who holds them.
///
/// `Role::Second` also checks that `main_pid` (the run's main connection,
/// read again for a second while it may be reconnecting) holds the first
/// key. If no connection holds it (the main one died
/// too), this run still owns the pipeline, since it holds the second
/// key: `Ok(true)` tells the caller to check that the stored checkpoint
/// did not move while neither key was held.
pub(crate) async fn acquire(
    client: &Client,
    keys: Keys,
    role: Role,
    pipeline: &str,
    main_pid: &AtomicI32,
) -> Result<bool> {
    match role {
        Role::None => {}
        Role::Both => {
            take(client, keys.first, pipeline).await?;
            take(client, keys.second, pipeline).await?;
        }
        Role::First => take(client, keys.first, pipeline).await?,
        Role::Second => {
            take(client, keys.second, pipeline).await?;
            // The main connection may be reconnecting at the same moment
            // (a server restart drops both): its process id is read again
            // until it holds the first key or nobody does.
            for attempt in 0..=GRACE_TRIES {
                let main = main_pid.load(Ordering::SeqCst);
                if holds(client, keys.first, main, pipeline).await? {
                    return Ok(false);
                }
                if try_lock(client, keys.first, pipeline).await? {
                    let sql = "SELECT pg_advisory_unlock($1)";
                    client
                        .query_one(sql, &[&keys.first])
                        .await
                        .map_err(|e| pg_error(&format!("locking pipeline `{pipeline}`"), e))?;
                    return Ok(true);
                }
                if attempt < GRACE_TRIES {
                    tokio::time::sleep(GRACE / GRACE_TRIES).await;
                }
            }
            return Err(FaucetError::AlreadyRunning {
                pipeline: pipeline.to_owned(),
                holder: holder(client, keys.first).await,
            });
        }
    }
    Ok(false)
}

/// Lets the main connection's second key go, for the second connection.
pub(crate) async fn hand_over(client: &Client, keys: Keys, pipeline: &str) -> Result<()> {
    client
        .query_one("SELECT pg_advisory_unlock($1)", &[&keys.second])
        .await
        .map(drop)
        .map_err(|e| pg_error(&format!("handing over the lock of `{pipeline}`"), e))
}

async fn take(client: &Client, key: i64, pipeline: &str) -> Result<()> {
    // A run that was just killed holds the lock until its server process
    // notices the closed connection (milliseconds): ask a few times within
    // GRACE before calling the pipeline busy.
    for attempt in 0..=GRACE_TRIES {
        if try_lock(client, key, pipeline).await? {
            return Ok(());
        }
        if attempt < GRACE_TRIES {
            tokio::time::sleep(GRACE / GRACE_TRIES).await;
        }
    }
    Err(FaucetError::AlreadyRunning {
        pipeline: pipeline.to_owned(),
        holder: holder(client, key).await,
    })
}

async fn try_lock(client: &Client, key: i64, pipeline: &str) -> Result<bool> {
    client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
        .await
        .map(|row| row.get(0))
        .map_err(|e| pg_error(&format!("locking pipeline `{pipeline}`"), e))
}

/// The catalog condition matching the advisory lock `$1`.
const LOCK_OF_KEY: &str = "l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
     AND l.classid = (($1::bigint >> 32) & 4294967295)::oid \
     AND l.objid = ($1::bigint & 4294967295)::oid";

/// Whether server process `pid` holds the lock `key`.
async fn holds(client: &Client, key: i64, pid: i32, pipeline: &str) -> Result<bool> {
    let sql =
        format!("SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE {LOCK_OF_KEY} AND l.pid = $2)");
    client
        .query_one(&sql, &[&key, &pid])
        .await
        .map(|row| row.get(0))
        .map_err(|e| pg_error(&format!("checking the lock of `{pipeline}`"), e))
}

/// Who holds the lock `key`, as far as this role may see: process id,
/// client address, application and since when it is connected.
async fn holder(client: &Client, key: i64) -> String {
    let sql = format!(
        "SELECT l.pid, coalesce(host(a.client_addr), 'local socket'), \
         coalesce(nullif(a.application_name, ''), 'unknown application'), \
         coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', \
         'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'unknown') \
         FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE {LOCK_OF_KEY} LIMIT 1"
    );
    match client.query_opt(&sql, &[&key]).await {
        Ok(Some(row)) => format!(
            "server process {}, client {}, {}, connected since {}",
            row.get::<_, i32>(0),
            row.get::<_, String>(1),
            row.get::<_, String>(2),
            row.get::<_, String>(3),
        ),
        Ok(None) => "another connection, which has since released it".to_owned(),
        Err(err) => {
            tracing::debug!(error = %err, "Cannot read who holds the pipeline lock");
            "another connection (its details are not readable)".to_owned()
        }
    }
}
