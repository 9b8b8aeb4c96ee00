//! Which pipeline writes which table: a marker row per target table in the
//! state table (`pipeline` = `faucet table "schema"."table"`, checkpoint
//! `{"table_of_pipeline": name, "schema": …, "table": …}`), written with
//! the first committed rows. Replace mode finds a pipeline's tables by
//! their markers.
//! A run warns when its table already holds rows from another pipeline
//! name, or from no pipeline: the state key is the pipeline's name, so a
//! renamed or second pipeline would otherwise start over silently.

use faucet_core::{Checkpoint, Result};
use serde_json::json;
use tokio_postgres::Client;

use super::catalog;
use crate::sql::{Ident, QualifiedName};

const FIELD: &str = "table_of_pipeline";

/// The state-table key of `table`'s marker.
pub(crate) fn key(table: &QualifiedName) -> String {
    format!("faucet table {table}")
}

/// The pipeline the marker of `table` names, if any.
pub(crate) async fn read(
    client: &Client,
    state: &QualifiedName,
    table: &QualifiedName,
    grant: &str,
) -> Result<Option<String>> {
    let stored = catalog::load_checkpoint(client, state, &key(table), grant).await?;
    Ok(stored.and_then(|c| c.as_value()[FIELD].as_str().map(str::to_owned)))
}

/// Marks `table` as written by `pipeline` (in the caller's transaction).
pub(crate) async fn write(
    client: &Client,
    state: &QualifiedName,
    table: &QualifiedName,
    pipeline: &str,
    grant: &str,
) -> Result<()> {
    let marker = Checkpoint::new(json!({
        FIELD: pipeline,
        "schema": table.schema.name(),
        "table": table.table.name(),
    }));
    catalog::save_checkpoint(client, state, &key(table), &marker, grant).await
}

/// The tables in `schema` whose markers name `pipeline` (markers written
/// before they held the table's name are not found).
pub(crate) async fn tables_of(
    client: &Client,
    state: &QualifiedName,
    schema: &Ident,
    pipeline: &str,
    grant: &str,
) -> Result<Vec<QualifiedName>> {
    let sql = format!(
        "SELECT checkpoint->>'table' FROM {state} WHERE checkpoint->>'{FIELD}' = $1 \
         AND checkpoint->>'schema' = $2 AND checkpoint ? 'table'"
    );
    let rows = client
        .query(&sql, &[&pipeline, &schema.name()])
        .await
        .map_err(|e| {
            super::connect::pg_error_granting(
                &format!("reading the table markers in {state}"),
                e,
                grant,
            )
        })?;
    Ok(rows
        .iter()
        .filter_map(|r| Ident::new(&r.get::<_, String>(0)).ok())
        .map(|t| QualifiedName::new(schema, &t))
        .collect())
}

/// Warns when `table` holds rows and its marker names another pipeline
/// (or none). Tables the role may not read are not judged. `in_txn`: a
/// transaction is open, which a failed probe must not abort (it runs in
/// a savepoint).
pub(crate) async fn warn_if_foreign(
    client: &Client,
    table: &QualifiedName,
    owner: Option<&str>,
    pipeline: &str,
    in_txn: bool,
) {
    if owner == Some(pipeline) || !catalog::table_exists(client, table).await.unwrap_or(false) {
        return;
    }
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
    if in_txn
        && client
            .batch_execute("SAVEPOINT faucet_probe")
            .await
            .is_err()
    {
        return;
    }
    let probe = client.query_one(&sql, &[]).await;
    if in_txn {
        let end = match probe {
            Ok(_) => "RELEASE SAVEPOINT faucet_probe",
            Err(_) => "ROLLBACK TO SAVEPOINT faucet_probe",
        };
        let _ = client.batch_execute(end).await;
    }
    let has_rows = match probe {
        Ok(row) => row.get::<_, bool>(0),
        Err(err) => {
            tracing::debug!(table = %table, error = %err, "Cannot tell whether the table holds rows");
            return;
        }
    };
    if !has_rows {
        return;
    }
    match owner {
        Some(other) => tracing::warn!(
            table = %table,
            pipeline,
            written_by = other,
            "The table holds rows written by pipeline `{other}`, not `{pipeline}`; this run does not resume that pipeline's checkpoint and may load its records again"
        ),
        None => tracing::warn!(
            table = %table,
            pipeline,
            "The table holds rows written by no faucet pipeline (or before pipelines were recorded); this run may load records it already holds"
        ),
    }
}
