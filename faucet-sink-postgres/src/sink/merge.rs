//! Upsert mode: rows are copied into a temporary staging table, then
//! deduplicated by key (last wins) and merged into the target with plain
//! `DELETE`/`UPDATE`/`INSERT`, which needs no unique constraint on the key
//! and skips rows whose values did not change.

use faucet_core::Result;
use tokio_postgres::Client;

use super::connect::pg_error_granting;
use crate::encode::{Layout, Slot};
use crate::sql::{Ident, QualifiedName, list};

/// The staging table of the `n`th table a run writes (`pg_temp.…`),
/// private to the session and dropped at commit. The unqualified name is
/// `faucet_stage` for the first table, `faucet_stage_<n>` after.
pub(crate) fn stage_name(n: usize) -> String {
    match n {
        0 => "faucet_stage".to_owned(),
        n => format!("faucet_stage_{n}"),
    }
}
/// Staging column numbering rows in arrival order.
pub(crate) const SEQ_COLUMN: &str = "_faucet_seq";
/// Staging column saying the row is a delete.
pub(crate) const DELETE_COLUMN: &str = "_faucet_delete";

/// SQL creating the staging table `name` (see [`stage_name`]) shaped
/// like `target`.
pub(crate) fn create_stage_sql(target: &QualifiedName, name: &str) -> String {
    format!(
        "CREATE TEMP TABLE {name} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; \
         ALTER TABLE pg_temp.{name} ADD COLUMN {SEQ_COLUMN} bigint, \
         ADD COLUMN {DELETE_COLUMN} boolean NOT NULL DEFAULT false"
    )
}

/// How to merge one transaction's staged rows.
pub(crate) struct MergePlan<'a> {
    /// The staging table, qualified (`pg_temp.…`).
    pub(crate) stage: &'a str,
    pub(crate) key: &'a [Ident],
    /// Metadata columns: written, but not compared to decide whether a row
    /// changed.
    pub(crate) metadata: &'a [Ident],
    /// Two staged rows may share a key: keep the last of each.
    pub(crate) dedupe: bool,
    /// Some staged rows are deletes.
    pub(crate) deletes: bool,
    /// The key has a unique index: one `INSERT … ON CONFLICT` (an index
    /// probe per row) instead of `UPDATE` + `INSERT … WHERE NOT EXISTS`
    /// (two joins).
    pub(crate) on_conflict: bool,
}

/// Merges the staged rows into `target`.
pub(crate) async fn merge(
    client: &Client,
    target: &QualifiedName,
    layout: &Layout,
    plan: &MergePlan<'_>,
    grant: &str,
) -> Result<()> {
    let sql = merge_sql(target, layout, plan);
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| pg_error_granting(&format!("merging staged rows into {target}"), e, grant))
}

fn merge_sql(target: &QualifiedName, layout: &Layout, plan: &MergePlan<'_>) -> String {
    let (key, stage) = (plan.key, plan.stage);
    let data: Vec<&Ident> = layout
        .columns
        .iter()
        .filter(|c| !matches!(c.slot, Slot::Seq | Slot::Delete(_)))
        .map(|c| &c.name)
        .chain(
            plan.metadata
                .iter()
                .filter(|m| !layout.columns.iter().any(|c| &c.name == *m)),
        )
        .collect();
    let non_key: Vec<&Ident> = data.iter().copied().filter(|c| !key.contains(c)).collect();
    let compared: Vec<&Ident> = non_key
        .iter()
        .copied()
        .filter(|c| !plan.metadata.contains(c))
        .collect();
    let key_match = format!("({}) = ({})", list("t.", key), list("s.", key));
    let mut sql = String::new();
    if plan.dedupe {
        sql.push_str(&format!(
            "DELETE FROM {stage} s USING {stage} d WHERE ({}) = ({}) AND s.{SEQ_COLUMN} < d.{SEQ_COLUMN};",
            list("s.", key),
            list("d.", key)
        ));
    }
    if plan.deletes {
        sql.push_str(&format!(
            "DELETE FROM {target} t USING {stage} s WHERE {key_match} AND s.{DELETE_COLUMN};"
        ));
    }
    let changed = |new: &str| {
        if compared.is_empty() {
            "false".to_owned()
        } else {
            let new_prefix = format!("{new}.");
            format!(
                "({}) IS DISTINCT FROM ({})",
                list("t.", compared.iter().copied()),
                list(&new_prefix, compared.iter().copied())
            )
        }
    };
    let insert = format!(
        "INSERT INTO {target} AS t ({}) SELECT {} FROM {stage} s WHERE NOT s.{DELETE_COLUMN}",
        list("", data.iter().copied()),
        list("s.", data.iter().copied())
    );
    if plan.on_conflict {
        let action = if non_key.is_empty() {
            "NOTHING".to_owned()
        } else {
            let set: Vec<String> = non_key
                .iter()
                .map(|c| format!("{c} = EXCLUDED.{c}"))
                .collect();
            format!(
                "UPDATE SET {} WHERE {}",
                set.join(", "),
                changed("EXCLUDED")
            )
        };
        sql.push_str(&format!(
            "{insert} ON CONFLICT ({}) DO {action};",
            list("", key)
        ));
        return sql;
    }
    if !non_key.is_empty() {
        let set: Vec<String> = non_key.iter().map(|c| format!("{c} = s.{c}")).collect();
        sql.push_str(&format!(
            "UPDATE {target} t SET {} FROM {stage} s WHERE {key_match} AND NOT s.{DELETE_COLUMN} AND {};",
            set.join(", "),
            changed("s")
        ));
    }
    sql.push_str(&format!(
        "{insert} AND NOT EXISTS (SELECT 1 FROM {target} t WHERE {key_match});"
    ));
    sql
}
