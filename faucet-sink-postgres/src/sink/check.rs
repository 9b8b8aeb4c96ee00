//! `check()`: reachable, authorised, schema writable, table writable (the
//! sink's one table, and each table named under `streams`), state table
//! writable — each a named line of the checklist, each exercised as the
//! run would (DDL and writes in a rolled-back transaction), not inferred
//! from privilege tables. With a `{stream}` table, the tables of streams
//! not named under `streams` are known only when pages come: the check
//! proves the schema takes new tables.

use faucet_core::{CheckReport, Checkpoint, FaucetError};
use tokio_postgres::Client;

use super::connect::{connect, pg_error, pg_error_granting};
use super::{catalog, grants};
use crate::config::{Settings, StreamRules, WriteMode};
use crate::sql::{Ident, QualifiedName, literal};

/// A table the check can know, with the name of its line.
struct Known<'a> {
    item: String,
    table: QualifiedName,
    s: &'a Settings,
}

pub(super) async fn run(s: &Settings, rules: &StreamRules) -> CheckReport {
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
    let mut known: Vec<Known<'_>> = Vec::new();
    if !rules.is_template() {
        let table = QualifiedName::new(&s.schema, &s.table);
        known.push(Known {
            item: "table writable".to_owned(),
            table,
            s,
        });
    }
    for (stream, settings) in rules.mapped() {
        known.push(Known {
            item: format!("table writable (stream {stream})"),
            table: QualifiedName::new(&settings.schema, &settings.table),
            s: settings,
        });
    }
    let schema = schema_writable(&client, s, rules, &known).await;
    item(&mut report, "schema writable", schema);
    for k in &known {
        let privileges = match k.s.mode {
            WriteMode::Upsert => "INSERT, UPDATE",
            WriteMode::Append => "INSERT",
            WriteMode::Replace => "INSERT",
        };
        let table_ok = table_privilege(&client, &k.table, privileges).await;
        item(&mut report, &k.item, table_ok);
    }
    let state = QualifiedName::new(&s.state_schema, &s.state_table);
    let state_ok = rolled_back(&client, write_state(&client, s, &state)).await;
    item(&mut report, "state table writable", state_ok);
    report
}

/// The schema takes the tables the run would create: the missing known
/// ones, or any (a probe table) when `table` names one per stream.
async fn schema_writable(
    client: &Client,
    s: &Settings,
    rules: &StreamRules,
    known: &[Known<'_>],
) -> Result<(), String> {
    for k in known {
        match catalog::table_exists(client, &k.table).await {
            Ok(true) => {}
            Ok(false) => return rolled_back(client, create_probe(client, s, &k.table)).await,
            Err(err) => return Err(err.to_string()),
        }
    }
    if !rules.is_template() {
        return Ok(());
    }
    let probe = Ident::new("faucet_check_probe")?;
    let table = QualifiedName::new(&s.schema, &probe);
    rolled_back(client, create_probe(client, s, &table)).await
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
