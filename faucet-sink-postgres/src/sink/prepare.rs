//! Getting a table ready at its first records in a run: its marker and
//! columns read, and in replace mode its load table made ready; and
//! replace mode's ends: leftover load tables dropped when a run starts
//! over, every loaded table swapped in when a run completes.

use faucet_core::Result;
use tokio_postgres::Client;

use super::session::Session;
use super::table::{Table, Tables};
use super::txn::Lane;
use super::{catalog, marker};
use crate::config::{Settings, WriteMode};
use crate::sql::QualifiedName;

impl Lane {
    /// Reads what the run needs of `table` (its marker, warning when
    /// another pipeline wrote it, and its columns) and prepares its load
    /// table (replace mode), in the open transaction: the preparation is
    /// logged, so a replay redoes it. No `COPY` may be in progress.
    pub(crate) async fn learn(&mut self, table: &mut Table, resumes: bool) -> Result<()> {
        if !table.known {
            read_marker(&self.session, table, true).await?;
            table.columns = catalog::read_columns(&self.session.client, &table.load).await?;
            table.known = true;
        }
        if table.unprepared {
            let sql = prepare_sql(&self.session.client, table, resumes).await?;
            if !sql.is_empty() {
                let doing = format!("preparing {} to replace {}", table.load, table.target);
                self.exec_logged(sql, &doing, "").await?;
                // New tables are seen by the other connection only once
                // committed: this batch commits in the foreground.
                self.open_txn().changed_schema = true;
                table.columns = catalog::read_columns(&self.session.client, &table.load).await?;
                table.layout = None;
            }
            table.unprepared = false;
        }
        Ok(())
    }
}

/// Reads `table`'s marker and warns when another pipeline wrote it
/// (connections holding the run's lock only; `in_txn`: inside the open
/// transaction).
pub(crate) async fn read_marker(session: &Session, table: &mut Table, in_txn: bool) -> Result<()> {
    if !session.locked() {
        return Ok(());
    }
    let (client, state) = (&session.client, &session.state);
    table.marker = marker::read(client, state, &table.target, &session.state_grant).await?;
    let owner = table.marker.as_deref();
    marker::warn_if_foreign(client, &table.target, owner, &session.pipeline, in_txn).await;
    Ok(())
}

/// Replace mode: what makes `table`'s load table ready. A run that does
/// not resume starts a fresh one (shaped like the target, if it exists);
/// a resumed run goes on filling the one its checkpoint belongs to.
pub(crate) async fn prepare_sql(client: &Client, table: &Table, resumes: bool) -> Result<String> {
    let (load, target) = (&table.load, &table.target);
    if resumes && catalog::table_exists(client, load).await? {
        return Ok(String::new());
    }
    let mut sql = format!("DROP TABLE IF EXISTS {load};");
    if catalog::table_exists(client, target).await? {
        sql.push_str(&format!(
            "CREATE TABLE {load} (LIKE {target} INCLUDING ALL);"
        ));
    }
    Ok(sql)
}

/// Whether some table of the sink is in replace mode.
pub(crate) fn replaces(s: &Settings, tables: &Tables) -> bool {
    s.mode == WriteMode::Replace
        || tables
            .rules()
            .mapped()
            .any(|(_, m)| m.mode == WriteMode::Replace)
}

/// The load tables of the tables this pipeline's markers name (streams
/// of earlier runs), besides the run's own tables.
async fn marked_loads(
    session: &Session,
    s: &Settings,
    tables: &Tables,
) -> Result<Vec<(QualifiedName, QualifiedName)>> {
    let marked = marker::tables_of(
        &session.client,
        &session.state,
        &s.schema,
        &session.pipeline,
        &session.state_grant,
    )
    .await?;
    Ok(marked
        .into_iter()
        .filter(|t| !tables.list.iter().any(|own| &own.target == t))
        .map(|t| {
            (
                QualifiedName::new(&t.schema, &t.table.suffixed("__faucet_new")),
                t,
            )
        })
        .collect())
}

/// A run of a replace-mode sink that does not resume: drops the load
/// tables earlier runs of the pipeline left (of streams this run may not
/// see again), so that none is swapped in with old rows.
pub(crate) async fn drop_leftovers(session: &Session, s: &Settings, tables: &Tables) -> Result<()> {
    for (load, target) in marked_loads(session, s, tables).await? {
        let doing = format!("dropping {load}, left by an earlier run to replace {target}");
        session
            .execute(&format!("DROP TABLE IF EXISTS {load}"), &doing)
            .await?;
    }
    Ok(())
}

/// A completed run: swaps every loaded table in (the run's tables in
/// replace mode, and those earlier runs of a resumed one loaded).
pub(crate) async fn swap_all(session: &Session, s: &Settings, tables: &mut Tables) -> Result<()> {
    let client = &session.client;
    for table in &mut tables.list {
        if table.s.mode != WriteMode::Replace || !catalog::table_exists(client, &table.load).await?
        {
            continue;
        }
        catalog::swap(client, &table.load, &table.target).await?;
        table.columns = None;
        table.layout = None;
    }
    if session.locked() {
        for (load, target) in marked_loads(session, s, tables).await? {
            if catalog::table_exists(client, &load).await? {
                catalog::swap(client, &load, &target).await?;
            }
        }
    }
    Ok(())
}
