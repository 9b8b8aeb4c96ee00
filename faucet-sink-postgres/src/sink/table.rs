//! What a run knows of its table, shared by its connections: the names,
//! the columns as last read, the encoding layout built from them, the
//! last checkpoint known stored and the table's marker.

use faucet_core::{Checkpoint, FaucetError, Result};

use crate::config::Settings;
use crate::encode::{Layout, build_layout, required_columns};
use crate::schema::plan::Column;
use crate::sql::QualifiedName;

/// A run's knowledge of its table.
#[derive(Clone)]
pub(crate) struct Table {
    pub(crate) run_id: String,
    /// The table rows are loaded into (in replace mode, the new one).
    pub(crate) load: QualifiedName,
    /// The target table (in replace mode, the one swapped out).
    pub(crate) target: QualifiedName,
    /// The load table's columns; `None` while it does not exist.
    pub(crate) columns: Option<Vec<Column>>,
    pub(crate) layout: Option<Layout>,
    /// The last checkpoint known to be stored.
    pub(crate) committed: Option<Checkpoint>,
    /// The pipeline the target's marker names, as last read or written.
    pub(crate) marker: Option<String>,
}

impl Table {
    /// The table of `s`, not yet read.
    pub(crate) fn new(s: &Settings) -> Self {
        Self {
            run_id: run_id(),
            load: QualifiedName::new(&s.schema, &s.load_table()),
            target: QualifiedName::new(&s.schema, &s.table),
            columns: None,
            layout: None,
            committed: None,
            marker: None,
        }
    }

    /// Whether the table is missing or lacks a column the sink adds.
    pub(crate) fn needs_setup(&self, s: &Settings) -> bool {
        match &self.columns {
            None => true,
            Some(cols) => required_columns(s)
                .iter()
                .any(|(name, ..)| !cols.iter().any(|c| &c.name == name)),
        }
    }

    /// The layout for the columns as known, built when missing.
    pub(crate) fn layout(&mut self, s: &Settings) -> Result<&Layout> {
        if self.layout.is_none() {
            let columns = self.columns.as_deref().unwrap_or_default();
            let layout = build_layout(s, &self.load.to_string(), columns, &self.run_id)
                .map_err(FaucetError::sink_error)?;
            self.layout = Some(layout);
        }
        Ok(self.layout.as_ref().expect("just built"))
    }
}

/// A random-enough id for this run: time and process.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}
