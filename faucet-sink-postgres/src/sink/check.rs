//! `check()`: reachable, authorised, schema writable, table writable,
//! state table writable — each a named line of the checklist, each
//! exercised as the run would (DDL and writes in a rolled-back
//! transaction), not inferred from privilege tables.

use faucet_core::{CheckReport, Checkpoint, FaucetError};
use tokio_postgres::Client;

use super::connect::{connect, pg_error, pg_error_granting};
use super::{catalog, grants};
use crate::config::{Settings, WriteMode};
use crate::sql::{QualifiedName, literal};

pub(super) async fn run(s: &Settings) -> CheckReport {
    let mut report = CheckReport::new();
    let client = match connect(s).await {
        Ok(client) => {
            report.pass("reachable").pass("authorised");
            client
        }
        Err(err @ FaucetError::Auth { .. }) => {
            report.pass("reachable").fail("authorised", err.to_string());
            skip_rest(&mut report);
            return report;
        }
        Err(err) => {
            report
                .fail("reachable", err.to_string())
                .skip("authorised", "not reachable");
            skip_rest(&mut report);
            return report;
        }
    };
    let table = QualifiedName::new(&s.schema, &s.table);
    let schema = match catalog::table_exists(&client, &table).await {
        Ok(true) => Ok(()),
        Ok(false) => rolled_back(&client, create_probe(&client, s, &table)).await,
        Err(err) => Err(err.to_string()),
    };
    item(&mut report, "schema writable", schema);
    let privileges = match s.mode {
        WriteMode::Upsert => "INSERT, UPDATE",
        WriteMode::Append => "INSERT",
        WriteMode::Replace => "INSERT",
    };
    let table_ok = table_privilege(&client, &table, privileges).await;
    item(&mut report, "table writable", table_ok);
    let state = QualifiedName::new(&s.state_schema, &s.state_table);
    let state_ok = rolled_back(&client, write_state(&client, s, &state)).await;
    item(&mut report, "state table writable", state_ok);
    report
}

/// Runs `work` inside a transaction that is rolled back whatever happens.
async fn rolled_back(
    client: &Client,
    work: impl Future<Output = faucet_core::Result<()>>,
) -> Result<(), String> {
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| pg_error("starting a transaction", e).to_string())?;
    let result = work.await.map_err(|e| e.to_string());
    let _ = client.batch_execute("ROLLBACK").await;
    result
}

/// What a run does to a missing target table: create its schema if
/// missing, then the table.
async fn create_probe(
    client: &Client,
    s: &Settings,
    table: &QualifiedName,
) -> faucet_core::Result<()> {
    let schema_exists = catalog::schema_exists(client, &table.schema).await?;
    let sql = catalog::create_schema_sql(&table.schema, schema_exists)
        + &format!("CREATE TABLE {table} (faucet_check integer)");
    let grant = grants::create_table(s, table, schema_exists);
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| pg_error_granting(&format!("creating {table}"), e, &grant))
}

/// What a run does to the state table: create it if missing, then store
/// a checkpoint.
async fn write_state(
    client: &Client,
    s: &Settings,
    state: &QualifiedName,
) -> faucet_core::Result<()> {
    catalog::ensure_state_table(client, s, state).await?;
    let probe = Checkpoint::new(serde_json::json!({"faucet_check": true}));
    let grant = grants::state_table(s, state);
    catalog::save_checkpoint(client, state, "faucet check (rolled back)", &probe, &grant).await
}

fn skip_rest(report: &mut CheckReport) {
    for name in ["schema writable", "table writable", "state table writable"] {
        report.skip(name, "cannot connect");
    }
}

fn item(report: &mut CheckReport, name: &str, result: Result<(), String>) {
    match result {
        Ok(()) => report.pass(name),
        Err(reason) => report.fail(name, reason),
    };
}

/// The table is missing (it will be created: see `schema writable`) or
/// the role holds `privileges` on it.
async fn table_privilege(
    client: &Client,
    table: &QualifiedName,
    privileges: &str,
) -> Result<(), String> {
    let name = literal(&table.to_string());
    let sql = format!(
        "SELECT to_regclass({name}) IS NULL OR has_table_privilege({name}, {})",
        literal(privileges)
    );
    match client.query_one(&sql, &[]).await {
        Ok(row) if row.get::<_, bool>(0) => Ok(()),
        Ok(_) => Err(format!("the role lacks {privileges} on {table}")),
        Err(err) => Err(pg_error("checking privileges", err).to_string()),
    }
}
