//! What a run knows of its tables, shared by its connections: per table
//! (the sink's one, or one per stream) its settings, names, columns as
//! last read, the encoding layout built from them and its marker; for the
//! run, the last checkpoint known stored and which stream goes where.

use std::collections::HashMap;
use std::sync::Arc;

use faucet_core::{Checkpoint, FaucetError, Result};

use super::merge::stage_name;
use crate::config::{Route, Settings, StreamRules, WriteMode};
use crate::encode::{Layout, build_layout, required_columns};
use crate::schema::plan::Column;
use crate::sql::QualifiedName;

/// A run's knowledge of one table.
#[derive(Clone)]
pub(crate) struct Table {
    /// The settings rows of this table are written with.
    pub(crate) s: Arc<Settings>,
    pub(crate) run_id: String,
    /// The table rows are loaded into (in replace mode, the new one).
    pub(crate) load: QualifiedName,
    /// The target table (in replace mode, the one swapped out).
    pub(crate) target: QualifiedName,
    /// The upsert staging table's name (unqualified, in `pg_temp`).
    pub(crate) stage: String,
    /// The load table's columns; `None` while it does not exist.
    pub(crate) columns: Option<Vec<Column>>,
    pub(crate) layout: Option<Layout>,
    /// The pipeline the target's marker names, as last read or written.
    pub(crate) marker: Option<String>,
    /// Whether the marker and columns were read (a stream's table is
    /// read at its first records).
    pub(crate) known: bool,
    /// Replace mode: the load table is still to be made ready at the
    /// table's first records in this run.
    pub(crate) unprepared: bool,
    /// The JSON Schema last declared for the table's records
    /// (`Page::schema`), which schema changes take column types from.
    pub(crate) declared: Option<Arc<serde_json::Value>>,
}

impl Table {
    /// The `n`th table of a run, with settings `s`, not yet read.
    pub(crate) fn new(s: Arc<Settings>, n: usize, run_id: &str) -> Self {
        Self {
            run_id: run_id.to_owned(),
            load: QualifiedName::new(&s.schema, &s.load_table()),
            target: QualifiedName::new(&s.schema, &s.table),
            stage: stage_name(n),
            columns: None,
            layout: None,
            marker: None,
            known: false,
            unprepared: s.mode == WriteMode::Replace,
            declared: None,
            s,
        }
    }

    /// The staging table, qualified.
    pub(crate) fn stage_qualified(&self) -> String {
        format!("pg_temp.{}", self.stage)
    }

    /// Whether the table is missing or lacks a column the sink adds.
    pub(crate) fn needs_setup(&self) -> bool {
        match &self.columns {
            None => true,
            Some(cols) => required_columns(&self.s)
                .iter()
                .any(|(name, ..)| !cols.iter().any(|c| &c.name == name)),
        }
    }

    /// The layout for the columns as known, built when missing.
    pub(crate) fn layout(&mut self) -> Result<&Layout> {
        if self.layout.is_none() {
            let columns = self.columns.as_deref().unwrap_or_default();
            let layout = build_layout(&self.s, &self.load.to_string(), columns, &self.run_id)
                .map_err(FaucetError::sink_error)?;
            self.layout = Some(layout);
        }
        Ok(self.layout.as_ref().expect("just built"))
    }
}

/// A run's tables and which stream writes which.
#[derive(Clone)]
pub(crate) struct Tables {
    pub(crate) run_id: String,
    pub(crate) list: Vec<Table>,
    /// The last checkpoint known to be stored.
    pub(crate) committed: Option<Checkpoint>,
    /// The checkpoint the batch merging on the other connection commits,
    /// while it does: what the stored checkpoint may already be when this
    /// connection reconnects (a server restart breaks both at once).
    pub(crate) in_flight: Option<Checkpoint>,
    /// Whether this run resumes a stored checkpoint (replace mode keeps
    /// filling the load tables it belongs to).
    pub(crate) resumes: bool,
    rules: Arc<StreamRules>,
    /// Stream name → index in `list`.
    by_stream: HashMap<String, usize>,
    /// The named stream the sink's one table takes, once one came.
    plain_stream: Option<String>,
}

/// Index of the sink's one table (`table` without `{stream}`) in
/// [`Tables::list`].
pub(crate) const PLAIN: usize = 0;

impl Tables {
    /// A run's tables: the sink's one table when `table` names one.
    pub(crate) fn new(base: &Settings, rules: Arc<StreamRules>) -> Self {
        let run_id = run_id();
        let list = match rules.is_template() {
            true => Vec::new(),
            false => vec![Table::new(Arc::new(base.clone()), PLAIN, &run_id)],
        };
        Self {
            run_id,
            list,
            committed: None,
            in_flight: None,
            resumes: false,
            rules,
            by_stream: HashMap::new(),
            plain_stream: None,
        }
    }

    /// How streams map to tables.
    pub(crate) fn rules(&self) -> &StreamRules {
        &self.rules
    }

    /// The table pages of `stream` go to, added at the stream's first
    /// page. Errors: a second stream for the one table, two streams for
    /// one table name, or a stream name that is no valid table name.
    pub(crate) fn of_stream(&mut self, stream: Option<&str>) -> Result<usize> {
        let Some(name) = stream else {
            return match self.rules.is_template() {
                false => Ok(PLAIN),
                true => self.rules.route(None).map(|_| PLAIN),
            };
        };
        if let Some(&n) = self.by_stream.get(name) {
            return Ok(n);
        }
        let n = match self.rules.route(Some(name))? {
            Route::Plain => self.bind_plain(name)?,
            Route::Own(s) => self.add(name, s)?,
        };
        self.by_stream.insert(name.to_owned(), n);
        Ok(n)
    }

    fn bind_plain(&mut self, name: &str) -> Result<usize> {
        match &self.plain_stream {
            Some(other) if other != name => Err(FaucetError::config(
                "table",
                format!(
                    "`{}` is one table, but pages of streams `{other}` and `{name}` came: set \
                     `table: \"{{stream}}\"` (or a template such as `raw_{{stream}}`) for a \
                     table per stream, or name each stream's table under `streams`",
                    self.list[PLAIN].target
                ),
            )),
            _ => {
                self.plain_stream = Some(name.to_owned());
                Ok(PLAIN)
            }
        }
    }

    fn add(&mut self, name: &str, s: Arc<Settings>) -> Result<usize> {
        let table = Table::new(s, self.list.len(), &self.run_id);
        let clash = self.list.iter().position(|t| {
            [&t.target, &t.load].contains(&&table.target)
                || [&t.target, &t.load].contains(&&table.load)
        });
        if let Some(other) = clash {
            let other = (self.by_stream.iter())
                .find(|(_, n)| **n == other)
                .map_or("(the sink's table)", |(k, _)| k.as_str());
            return Err(FaucetError::config(
                "table",
                format!(
                    "streams `{other}` and `{name}` would both write table {}: name their tables \
                     apart under `streams`",
                    table.target
                ),
            ));
        }
        tracing::info!(stream = name, table = %table.target, mode = ?table.s.mode, "A new stream");
        self.list.push(table);
        Ok(self.list.len() - 1)
    }
}

/// A random-enough id for this run: time and process.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}
