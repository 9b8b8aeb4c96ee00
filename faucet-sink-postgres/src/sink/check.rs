//! `check()`: reachable, authorised, schema writable, table writable,
//! state table writable — each a named line of the checklist.

use faucet_core::{CheckReport, FaucetError};
use tokio_postgres::Client;

use super::connect::{connect, pg_error};
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
    let schema = schema_privilege(&client, s.schema.name()).await;
    item(&mut report, "schema writable", schema);
    let table = QualifiedName::new(&s.schema, &s.table);
    let privileges = match s.mode {
        WriteMode::Upsert => "INSERT, UPDATE, DELETE",
        WriteMode::Append => "INSERT",
        WriteMode::Replace => "INSERT",
    };
    let table_ok = table_privilege(&client, &table, privileges).await;
    item(&mut report, "table writable", table_ok);
    let state = QualifiedName::new(&s.state_schema, &s.state_table);
    let state_ok = match schema_privilege(&client, s.state_schema.name()).await {
        Ok(()) => Ok(()),
        Err(_) => table_privilege(&client, &state, "SELECT, INSERT, UPDATE").await,
    };
    item(&mut report, "state table writable", state_ok);
    report
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

/// The role can create tables in `schema`, or create the schema.
async fn schema_privilege(client: &Client, schema: &str) -> Result<(), String> {
    let sql = format!(
        "SELECT CASE WHEN to_regnamespace({0}) IS NULL \
         THEN has_database_privilege(current_database(), 'CREATE') \
         ELSE has_schema_privilege(to_regnamespace({0}), 'CREATE') END",
        literal(
            &crate::sql::Ident::new(schema)
                .map(|i| i.to_string())
                .unwrap_or_default()
        )
    );
    match client.query_one(&sql, &[]).await {
        Ok(row) if row.get::<_, bool>(0) => Ok(()),
        Ok(_) => Err(format!(
            "the role cannot create tables in schema {schema} (or create it)"
        )),
        Err(err) => Err(pg_error("checking privileges", err).to_string()),
    }
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
