//! One run per pipeline: a session-level advisory lock keyed by the
//! pipeline's name, held by the sink's connection for the run (released
//! when the connection closes, so a killed run never leaves it behind).

use std::time::Duration;

use faucet_core::{FaucetError, Result};
use tokio_postgres::Client;

use super::connect::pg_error;
use crate::sql::QualifiedName;

/// How long a held lock is asked for again before the run fails.
const GRACE: Duration = Duration::from_secs(1);
const GRACE_TRIES: u32 = 10;

/// Takes the pipeline's lock, or fails at once with
/// [`FaucetError::AlreadyRunning`] naming who holds it.
/// The lock belongs to the pipeline's row in its state table: two
/// pipelines of one name with different state tables do not conflict.
pub(crate) async fn acquire(client: &Client, state: &QualifiedName, pipeline: &str) -> Result<()> {
    let doing = format!("locking pipeline `{pipeline}`");
    let name = format!("faucet pipeline {state} {pipeline}");
    let key: i64 = client
        .query_one("SELECT hashtextextended($1, 0)", &[&name])
        .await
        .map_err(|e| pg_error(&doing, e))?
        .get(0);
    // A run that was just killed holds the lock until its server process
    // notices the closed connection (milliseconds): ask a few times within
    // GRACE before calling the pipeline busy.
    for attempt in 0..=GRACE_TRIES {
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(|e| pg_error(&doing, e))?
            .get(0);
        if locked {
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

/// Who holds the lock `key`, as far as this role may see: process id,
/// client address, application and since when it is connected.
async fn holder(client: &Client, key: i64) -> String {
    let sql = "SELECT l.pid, coalesce(host(a.client_addr), 'local socket'), \
               coalesce(nullif(a.application_name, ''), 'unknown application'), \
               coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', \
               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'unknown') \
               FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
               WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.classid = (($1::bigint >> 32) & 4294967295)::oid \
               AND l.objid = ($1::bigint & 4294967295)::oid LIMIT 1";
    match client.query_opt(sql, &[&key]).await {
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
