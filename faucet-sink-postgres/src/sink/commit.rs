//! Committing a lane's open transaction: end the `COPY`, merge the staged
//! rows (upsert) of every table, store rejected records, the tables'
//! markers and the checkpoint, then `COMMIT`, all or nothing.

use faucet_core::{FaucetError, Result};

use super::connect::pg_error;
use super::table::{Table, Tables};
use super::txn::{Lane, Part};
use super::{catalog, grants, marker, merge};
use crate::sql::{Ident, QualifiedName};

/// How a commit failed.
pub(crate) enum CommitFailure {
    /// Before `COMMIT` was sent: the transaction is certainly not committed.
    Before(FaucetError),
    /// `COMMIT` itself failed. `rejected`: the server answered with an
    /// error, so nothing was committed; otherwise the outcome is unknown.
    AtCommit { err: FaucetError, rejected: bool },
}

impl Lane {
    /// One attempt at committing the open transaction; on success
    /// `tables` knows the stored checkpoint and markers.
    pub(crate) async fn try_commit(&mut self, tables: &mut Tables) -> Result<(), CommitFailure> {
        self.before_commit(tables)
            .await
            .map_err(CommitFailure::Before)?;
        if let Err(e) = self.session.client.batch_execute("COMMIT").await {
            let rejected = e.as_db_error().is_some();
            let err = pg_error("committing rows", e);
            return Err(CommitFailure::AtCommit { err, rejected });
        }
        let txn = self.txn.take().expect("a transaction is open");
        for (part, table) in txn.parts.iter().zip(&mut tables.list) {
            if part.marks {
                table.marker = Some(self.session.pipeline.clone());
            }
        }
        if txn.checkpoint.is_some() {
            tables.committed = txn.checkpoint;
        }
        tracing::debug!(rows = txn.rows, tables = txn.parts.len(), "Committed");
        Ok(())
    }

    /// Everything the commit does before `COMMIT`.
    async fn before_commit(&mut self, tables: &mut Tables) -> Result<()> {
        self.finish_copy(&tables.list).await?;
        let parts = self.txn.as_ref().map_or(0, |t| t.parts.len());
        for n in 0..parts {
            self.commit_part(&mut tables.list[n], n).await?;
        }
        let session = &self.session;
        let txn = self.txn.as_ref().expect("a transaction is open");
        if let Some(checkpoint) = &txn.checkpoint {
            let (client, state, grant) = (&session.client, &session.state, &session.state_grant);
            catalog::save_checkpoint(client, state, &session.pipeline, checkpoint, grant).await?;
        }
        Ok(())
    }

    /// Table `n`'s share of the commit: merge, rejected records, marker.
    async fn commit_part(&mut self, table: &mut Table, n: usize) -> Result<()> {
        self.merge(table, n).await?;
        let session = &self.session;
        let part: &Part = &self.txn.as_ref().expect("a transaction is open").parts[n];
        if !part.dead.is_empty() {
            let dead = QualifiedName::new(&table.s.schema, &table.s.dead_letter_table);
            tracing::warn!(table = %dead, records = part.dead.len(), "Records rejected");
            catalog::insert_dead_letters(&session.client, &dead, &session.pipeline, &part.dead)
                .await?;
        }
        let marks =
            session.locked() && part.rows > 0 && table.marker.as_ref() != Some(&session.pipeline);
        if marks {
            let (client, state, grant) = (&session.client, &session.state, &session.state_grant);
            marker::write(client, state, &table.target, &session.pipeline, grant).await?;
        }
        self.open_txn().part(n).marks = marks;
        Ok(())
    }

    /// Upsert: merges table `n`'s staged rows into its load table.
    async fn merge(&mut self, table: &mut Table, n: usize) -> Result<()> {
        let part = &self.open_txn().parts[n];
        if !part.staged {
            return Ok(());
        }
        let (duplicates, deletes) = (part.staging.duplicates, part.staging.deletes > 0);
        let client = &self.session.client;
        let s = table.s.clone();
        let metadata: Vec<Ident> = s
            .loaded_at_column
            .iter()
            .chain(&s.run_id_column)
            .cloned()
            .collect();
        let stage = table.stage_qualified();
        let plan = merge::MergePlan {
            stage: &stage,
            key: &s.key,
            metadata: &metadata,
            dedupe: duplicates,
            deletes,
            on_conflict: catalog::has_unique_index(client, &table.load, &s.key).await?,
        };
        let grant = grants::write_rows(&s, &table.load);
        let load = table.load.clone();
        let layout = table.layout()?;
        merge::merge(client, &load, layout, &plan, &grant).await
    }
}
