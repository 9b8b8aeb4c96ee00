//! Reading table definitions and running DDL: create, add column, widen,
//! the state and dead-letter tables, and the replace-mode swap. DDL runs
//! on the caller's connection, inside its open transaction when there is
//! one.

use faucet_core::{Checkpoint, FaucetError, Result};
use serde_json::Value;
use tokio_postgres::Client;

use super::connect::{pg_error, pg_error_granting};
use super::grants;
use crate::config::Settings;
use crate::encode::DeadLetter;
use crate::schema::plan::Column;
use crate::schema::{Change, PgType};
use crate::sql::{Ident, QualifiedName, list, literal, state_table_sql};

/// A table's columns as the catalog has them; `None` if it does not exist.
pub(crate) async fn read_columns(
    client: &Client,
    table: &QualifiedName,
) -> Result<Option<Vec<Column>>> {
    let sql = format!(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) \
         FROM pg_attribute a WHERE a.attrelid = to_regclass({}) \
         AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        literal(&table.to_string())
    );
    if !table_exists(client, table).await? {
        return Ok(None);
    }
    let doing = || format!("reading the columns of {table}");
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(|e| pg_error(&doing(), e))?;
    let columns = rows
        .iter()
        .map(|row| {
            let name: String = row.get(0);
            let catalog_type: String = row.get(1);
            Ok(Column {
                name: Ident::new(&name).map_err(|m| {
                    FaucetError::sink_error(format!("column {name} of {table}: {m}"))
                })?,
                ty: PgType::from_catalog(&catalog_type),
                catalog_type,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(columns))
}

/// Whether `table` exists (a catalog lookup: no privilege needed).
pub(crate) async fn table_exists(client: &Client, table: &QualifiedName) -> Result<bool> {
    // Not `to_regclass`: it needs USAGE on the schema.
    let sql = "SELECT EXISTS (SELECT 1 FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname = $1 AND c.relname = $2)";
    client
        .query_one(sql, &[&table.schema.name(), &table.table.name()])
        .await
        .map(|row| row.get(0))
        .map_err(|e| pg_error(&format!("looking up {table}"), e))
}

/// Whether `schema` exists (a catalog lookup: no privilege needed).
pub(crate) async fn schema_exists(client: &Client, schema: &Ident) -> Result<bool> {
    client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[&schema.name()],
        )
        .await
        .map(|row| row.get(0))
        .map_err(|e| pg_error(&format!("looking up schema {schema}"), e))
}

/// `CREATE SCHEMA` for `schema`, only when it is missing: `IF NOT
/// EXISTS` alone still needs `CREATE` on the database.
pub(crate) fn create_schema_sql(schema: &Ident, exists: bool) -> String {
    if exists {
        String::new()
    } else {
        format!("CREATE SCHEMA IF NOT EXISTS {schema}; ")
    }
}

/// Whether `table` has a unique index (without predicate or expressions)
/// on exactly the `key` columns.
pub(crate) async fn has_unique_index(
    client: &Client,
    table: &QualifiedName,
    key: &[Ident],
) -> Result<bool> {
    let sql = format!(
        "SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_index i \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = to_regclass({}) AND i.indisunique AND i.indpred IS NULL \
         AND i.indexprs IS NULL GROUP BY i.indexrelid",
        literal(&table.to_string())
    );
    let rows = client
        .query(&sql, &[])
        .await
        .map_err(|e| pg_error(&format!("reading the indexes of {table}"), e))?;
    let mut wanted: Vec<&str> = key.iter().map(Ident::name).collect();
    wanted.sort_unstable();
    Ok(rows
        .iter()
        .any(|row| row.get::<_, Vec<String>>(0) == wanted))
}

/// The DDL creating `table` with the `changes` as its columns (and `key`
/// as its primary key), or altering it.
pub(crate) fn change_sql(
    table: &QualifiedName,
    exists: bool,
    changes: &[Change],
    key: &[Ident],
) -> Result<String> {
    if exists {
        Ok(alter_sql(table, changes))
    } else {
        create_sql(table, changes, key)
    }
}

fn create_sql(table: &QualifiedName, changes: &[Change], key: &[Ident]) -> Result<String> {
    for k in key {
        if !changes.iter().any(|c| &c.column == k) {
            return Err(FaucetError::sink_error(format!(
                "cannot create {table}: key column {k} has no non-null value in the first records"
            )));
        }
    }
    let mut defs: Vec<String> = changes.iter().map(column_def).collect();
    if !key.is_empty() {
        defs.push(format!("PRIMARY KEY ({})", list("", key)));
    }
    Ok(format!("CREATE TABLE {table} ({})", defs.join(", ")))
}

fn column_def(change: &Change) -> String {
    match change.default {
        Some(default) => format!(
            "{} {} NOT NULL DEFAULT {default}",
            change.column,
            change.to.sql()
        ),
        None => format!("{} {}", change.column, change.to.sql()),
    }
}

/// `ALTER TABLE` adding and widening columns; also used on the staging
/// table.
pub(crate) fn alter_sql(table: &impl std::fmt::Display, changes: &[Change]) -> String {
    let steps: Vec<String> = changes
        .iter()
        .map(|c| match c.from {
            None => format!("ADD COLUMN {}", column_def(c)),
            Some(_) if c.to == PgType::Jsonb => {
                format!("ALTER COLUMN {0} TYPE jsonb USING to_jsonb({0})", c.column)
            }
            Some(_) => format!(
                "ALTER COLUMN {0} TYPE {1} USING {0}::{1}",
                c.column,
                c.to.sql()
            ),
        })
        .collect();
    if steps.is_empty() {
        String::new()
    } else {
        format!("ALTER TABLE {table} {}", steps.join(", "))
    }
}

/// Creates the state table (and its schema) when missing. An existing one
/// is used as it is, so a role that may only write it needs no `CREATE`.
pub(crate) async fn ensure_state_table(
    client: &Client,
    s: &Settings,
    state: &QualifiedName,
) -> Result<()> {
    if table_exists(client, state).await? {
        return Ok(());
    }
    let schema_exists = schema_exists(client, &state.schema).await?;
    let sql = create_schema_sql(&state.schema, schema_exists) + &state_table_sql(state);
    let grant = grants::create_state_table(s, state, schema_exists);
    match client.batch_execute(&sql).await {
        Ok(()) => Ok(()),
        // Another run created it at the same moment.
        Err(_) if table_exists(client, state).await.unwrap_or(false) => Ok(()),
        Err(e) => Err(pg_error_granting(
            &format!("creating the state table {state}"),
            e,
            &grant,
        )),
    }
}

/// The stored checkpoint of `pipeline` (a stored JSON `null` is
/// `Some(Checkpoint(null))`: "start over").
pub(crate) async fn load_checkpoint(
    client: &Client,
    state: &QualifiedName,
    pipeline: &str,
    grant: &str,
) -> Result<Option<Checkpoint>> {
    let sql = format!("SELECT checkpoint FROM {state} WHERE pipeline = $1");
    let row = client.query_opt(&sql, &[&pipeline]).await.map_err(|e| {
        pg_error_granting(&format!("reading the checkpoint from {state}"), e, grant)
    })?;
    Ok(row.map(|r| Checkpoint::new(r.get::<_, Option<Value>>(0).unwrap_or(Value::Null))))
}

/// Stores `checkpoint` for `pipeline` (in the caller's transaction).
pub(crate) async fn save_checkpoint(
    client: &Client,
    state: &QualifiedName,
    pipeline: &str,
    checkpoint: &Checkpoint,
    grant: &str,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {state} (pipeline, checkpoint, updated_at) VALUES ($1, $2, now()) \
         ON CONFLICT (pipeline) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()"
    );
    client
        .execute(&sql, &[&pipeline, checkpoint.as_value()])
        .await
        .map(drop)
        .map_err(|e| pg_error_granting(&format!("storing the checkpoint in {state}"), e, grant))
}

/// Deletes the stored checkpoint of `pipeline`.
pub(crate) async fn clear_checkpoint(
    client: &Client,
    state: &QualifiedName,
    pipeline: &str,
    grant: &str,
) -> Result<()> {
    let sql = format!("DELETE FROM {state} WHERE pipeline = $1");
    client
        .execute(&sql, &[&pipeline])
        .await
        .map(drop)
        .map_err(|e| pg_error_granting(&format!("clearing the checkpoint in {state}"), e, grant))
}

/// Inserts rejected records, with their reasons, into `table` (created if
/// missing), in the caller's transaction.
pub(crate) async fn insert_dead_letters(
    client: &Client,
    table: &QualifiedName,
    pipeline: &str,
    dead: &[DeadLetter],
) -> Result<()> {
    let doing = format!("writing rejected records to {table}");
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {table} (pipeline text NOT NULL, position text NOT NULL, \
         reason text NOT NULL, record jsonb, rejected_at timestamptz NOT NULL DEFAULT now())"
    );
    client
        .batch_execute(&create)
        .await
        .map_err(|e| pg_error(&doing, e))?;
    let insert =
        format!("INSERT INTO {table} (pipeline, position, reason, record) VALUES ($1, $2, $3, $4)");
    let statement = client
        .prepare(&insert)
        .await
        .map_err(|e| pg_error(&doing, e))?;
    for d in dead {
        let record = d.record_jsonb();
        client
            .execute(
                &statement,
                &[&pipeline, &d.position, &d.reason.replace('\0', ""), &record],
            )
            .await
            .map_err(|e| pg_error(&doing, e))?;
    }
    Ok(())
}

/// Replace mode: drops `target` and renames `new` to it, with its
/// indexes, in one transaction.
pub(crate) async fn swap(
    client: &Client,
    new: &QualifiedName,
    target: &QualifiedName,
) -> Result<()> {
    let doing = format!("swapping {new} in as {target}");
    let indexes_sql = format!(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = to_regclass({})",
        literal(&new.to_string())
    );
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| pg_error(&doing, e))?;
    let mut sql = format!(
        "DROP TABLE IF EXISTS {target}; ALTER TABLE {new} RENAME TO {};",
        target.table
    );
    let rows = client
        .query(&indexes_sql, &[])
        .await
        .map_err(|e| pg_error(&doing, e))?;
    for row in rows {
        let index: String = row.get(0);
        if let Some(rest) = index.strip_prefix(new.table.name())
            && let Ok(renamed) = Ident::new(&format!("{}{rest}", target.table.name()))
        {
            let old = QualifiedName::new(
                &target.schema,
                &Ident::new(&index).map_err(FaucetError::sink_error)?,
            );
            sql.push_str(&format!("ALTER INDEX {old} RENAME TO {renamed};"));
        }
    }
    sql.push_str("COMMIT");
    tracing::info!(table = %target, "Swapping the loaded table in");
    if let Err(err) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(pg_error(&doing, err));
    }
    Ok(())
}
