//! Many streams: which table each stream's pages go to, and with which
//! settings. `table` may name a table per stream (`raw_{stream}`), and
//! `streams` overrides settings (and the table) of named streams. No I/O
//! here: the sink asks [`StreamRules::route`] once per stream and keeps
//! the answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use faucet_core::connector::*;

use super::{PostgresSinkConfig, Settings, TypeConflict, WriteMode};

/// The placeholder of `table` (and `dead_letter_table`) replaced by the
/// stream's name.
pub(crate) const PLACEHOLDER: &str = "{stream}";

/// Suffix of replace mode's load table (see [`Settings::load_table`]).
const LOAD_SUFFIX_BYTES: usize = "__faucet_new".len();

/// Settings of one stream, overriding the sink's own for that stream's
/// pages. Every field left out keeps the sink's value.
///
/// ```yaml
/// streams:
///   orders: {mode: upsert, key: [id]}
///   order_lines: {table: lines, mode: append}
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresStreamConfig {
    /// The stream's table (in `schema`); `{stream}` in it is replaced by
    /// the stream's name. Default: the sink's `table`, whose `{stream}`
    /// is replaced by the stream's name.
    #[serde(default)]
    pub table: Option<String>,
    /// How the stream's records are written. Default: the sink's `mode`.
    #[serde(default)]
    pub mode: Option<WriteMode>,
    /// Key columns of the stream's table (see the sink's `key`). Default:
    /// the sink's `key`.
    #[serde(default)]
    pub key: Option<Vec<String>>,
    /// In `upsert` mode, the field that deletes the row when `true`.
    /// Default: the sink's `delete_field`.
    #[serde(default)]
    pub delete_field: Option<String>,
    /// Fields to load and their columns (see the sink's `columns`).
    /// Default: the sink's `columns`.
    #[serde(default)]
    pub columns: Option<BTreeMap<String, String>>,
    /// Store each record whole in this `jsonb` column. Default: the
    /// sink's `record_column`.
    #[serde(default)]
    pub record_column: Option<String>,
    /// What to do with a value that does not fit its column. Default: the
    /// sink's `type_conflict`.
    #[serde(default)]
    pub type_conflict: Option<TypeConflict>,
    /// Dead-letter table of the stream; `{stream}` in it is replaced by
    /// the stream's name. Default: the sink's `dead_letter_table`, or
    /// `<the stream's table>_rejected`.
    #[serde(default)]
    pub dead_letter_table: Option<String>,
}

/// Where the pages of a stream go.
#[derive(Clone)]
pub(crate) enum Route {
    /// The sink's one table (`table` without `{stream}`).
    Plain,
    /// A table of the stream's own, with its settings.
    Own(Arc<Settings>),
}

/// The validated routing of streams to tables.
#[derive(Clone)]
pub(crate) struct StreamRules {
    /// The sink's config, without `streams`: the base of every stream's.
    base: PostgresSinkConfig,
    /// Whether `table` names a table per stream.
    template: bool,
    /// The settings of each stream named under `streams`.
    mapped: BTreeMap<String, Arc<Settings>>,
}

impl StreamRules {
    /// Checks every stream under `config.streams` (each must resolve to a
    /// valid table of its own). Errors name `streams.<name>.<field>`.
    pub(crate) fn new(config: &PostgresSinkConfig) -> Result<Self> {
        let mut base = config.clone();
        base.streams = BTreeMap::new();
        let template = config.table.contains(PLACEHOLDER);
        let mut rules = Self {
            base,
            template,
            mapped: BTreeMap::new(),
        };
        let mut owners: BTreeMap<String, &str> = BTreeMap::new();
        for (name, over) in &config.streams {
            let path = |field: &str| format!("streams.{name}.{field}");
            if over.table.is_none() && !template {
                return Err(FaucetError::config(
                    path("table"),
                    format!(
                        "names no table, and `table` ({}) is one table, not one per stream \
                         (it has no `{PLACEHOLDER}`): set this stream's `table`",
                        config.table
                    ),
                ));
            }
            let settings = rules.build(name, Some(over)).map_err(|e| match e {
                FaucetError::Config {
                    path: p, message, ..
                } => FaucetError::config(path(&p), message),
                other => other,
            })?;
            let table = settings.table.name().to_owned();
            if !template && table == config.table {
                return Err(FaucetError::config(
                    path("table"),
                    format!("is `table` ({table}), which takes the pages of another stream"),
                ));
            }
            if let Some(other) = owners.insert(table.clone(), name) {
                return Err(FaucetError::config(
                    path("table"),
                    format!("streams `{other}` and `{name}` would both write table `{table}`"),
                ));
            }
            rules.mapped.insert(name.clone(), Arc::new(settings));
        }
        Ok(rules)
    }

    /// Whether `table` names a table per stream.
    pub(crate) fn is_template(&self) -> bool {
        self.template
    }

    /// The settings of each stream named under `streams`.
    pub(crate) fn mapped(&self) -> impl Iterator<Item = (&str, &Arc<Settings>)> {
        self.mapped.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The settings `streams` gives stream `name`, if it names it.
    pub(crate) fn mapped_settings(&self, name: &str) -> Option<&Arc<Settings>> {
        self.mapped.get(name)
    }

    /// Where pages of `stream` go. Errors are config errors naming
    /// `table`: a `{stream}` template given pages of no stream, or a
    /// stream name that makes no valid table name.
    pub(crate) fn route(&self, stream: Option<&str>) -> Result<Route> {
        match stream {
            Some(name) => match self.mapped.get(name) {
                Some(settings) => Ok(Route::Own(settings.clone())),
                None if self.template => Ok(Route::Own(Arc::new(self.build(name, None)?))),
                None => Ok(Route::Plain),
            },
            None if self.template => Err(FaucetError::config(
                "table",
                format!(
                    "`{}` names a table per stream, but the source's pages belong to no \
                     stream (it has one stream): set a plain table name",
                    self.base.table
                ),
            )),
            None => Ok(Route::Plain),
        }
    }

    /// The settings of stream `name`: the sink's, with `over` applied and
    /// `{stream}` replaced by `name`.
    fn build(&self, name: &str, over: Option<&PostgresStreamConfig>) -> Result<Settings> {
        let mut config = self.base.clone();
        if let Some(over) = over {
            let o = over.clone();
            config.table = o.table.unwrap_or(config.table);
            config.mode = o.mode.unwrap_or(config.mode);
            config.key = o.key.unwrap_or(config.key);
            config.delete_field = o.delete_field.or(config.delete_field);
            config.columns = o.columns.or(config.columns);
            config.record_column = o.record_column.or(config.record_column);
            config.type_conflict = o.type_conflict.unwrap_or(config.type_conflict);
            config.dead_letter_table = o.dead_letter_table.or(config.dead_letter_table);
        }
        config.table = config.table.replace(PLACEHOLDER, name);
        config.dead_letter_table = (config.dead_letter_table).map(|t| t.replace(PLACEHOLDER, name));
        let named = |message: String| {
            FaucetError::config(
                "table",
                format!("stream `{}`: {message}", name.escape_debug()),
            )
        };
        if config.mode == WriteMode::Replace
            && config.table.len() + LOAD_SUFFIX_BYTES > crate::sql::MAX_IDENT_BYTES
        {
            return Err(named(format!(
                "`{}` is too long for replace mode, which loads into `<table>__faucet_new` \
                 (at most {} bytes of table name)",
                config.table,
                crate::sql::MAX_IDENT_BYTES - LOAD_SUFFIX_BYTES
            )));
        }
        Settings::new(config).map_err(|e| match e {
            FaucetError::Config { path, message, .. }
                if path == "table" || path == "dead_letter_table" =>
            {
                FaucetError::config(path, format!("stream `{}`: {message}", name.escape_debug()))
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(table: &str) -> PostgresSinkConfig {
        PostgresSinkConfig::new("postgresql://h/db", table)
    }

    fn table_of(route: Route) -> String {
        match route {
            Route::Own(s) => s.table.name().to_owned(),
            Route::Plain => "<plain>".to_owned(),
        }
    }

    #[test]
    fn a_template_names_a_table_per_stream() {
        let rules = StreamRules::new(&config("raw_{stream}")).unwrap();
        assert_eq!(table_of(rules.route(Some("orders")).unwrap()), "raw_orders");
        let hostile = r#"x"; DROP TABLE users; --"#;
        let route = rules.route(Some(hostile)).unwrap();
        assert_eq!(table_of(route), format!("raw_{hostile}"));
        let Route::Own(s) = rules.route(Some("lines")).unwrap() else {
            panic!("a table of its own")
        };
        assert_eq!(s.dead_letter_table.name(), "raw_lines_rejected");
        let err = rules.route(None).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "table"),
            "{err}"
        );
        assert!(err.to_string().contains("no stream"), "{err}");
    }

    #[test]
    fn names_too_long_or_with_nul_are_errors_not_truncations() {
        let rules = StreamRules::new(&config("{stream}")).unwrap();
        let err = rules.route(Some(&"é".repeat(32))).err().unwrap();
        assert!(err.to_string().contains("longer than 63 bytes"), "{err}");
        assert!(rules.route(Some("a\0b")).is_err());
        let mut replace = config("{stream}");
        replace.mode = WriteMode::Replace;
        let rules = StreamRules::new(&replace).unwrap();
        let err = rules.route(Some(&"x".repeat(52))).err().unwrap();
        assert!(err.to_string().contains("replace mode"), "{err}");
        assert!(rules.route(Some(&"x".repeat(51))).is_ok());
    }

    #[test]
    fn a_plain_table_takes_unnamed_and_unmapped_streams() {
        let rules = StreamRules::new(&config("users")).unwrap();
        assert!(matches!(rules.route(None).unwrap(), Route::Plain));
        assert!(matches!(rules.route(Some("users")).unwrap(), Route::Plain));
    }

    #[test]
    fn overrides_apply_per_stream_and_errors_name_their_path() {
        let mut c = config("{stream}");
        c.streams.insert(
            "orders".into(),
            PostgresStreamConfig {
                mode: Some(WriteMode::Upsert),
                key: Some(vec!["id".into()]),
                ..Default::default()
            },
        );
        c.streams.insert(
            "order_lines".into(),
            PostgresStreamConfig {
                table: Some("lines".into()),
                dead_letter_table: Some("bad_{stream}".into()),
                ..Default::default()
            },
        );
        let rules = StreamRules::new(&c).unwrap();
        let Route::Own(orders) = rules.route(Some("orders")).unwrap() else {
            panic!("own table")
        };
        assert_eq!((orders.mode, orders.key.len()), (WriteMode::Upsert, 1));
        let Route::Own(lines) = rules.route(Some("order_lines")).unwrap() else {
            panic!("own table")
        };
        assert_eq!(lines.table.name(), "lines");
        assert_eq!(lines.mode, WriteMode::Append);
        assert_eq!(lines.dead_letter_table.name(), "bad_order_lines");

        let mut bad = c.clone();
        bad.streams.get_mut("orders").unwrap().key = Some(vec![]);
        let err = StreamRules::new(&bad).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "streams.orders.key"),
            "{err}"
        );
        let mut same = c.clone();
        same.streams.get_mut("orders").unwrap().table = Some("lines".into());
        let err = StreamRules::new(&same).err().unwrap();
        assert!(
            err.to_string().contains("both write table `lines`"),
            "{err}"
        );

        let mut plain = config("users");
        let users = PostgresStreamConfig {
            table: Some("users".into()),
            ..Default::default()
        };
        plain.streams.insert("orders".into(), users);
        let err = StreamRules::new(&plain).err().unwrap();
        assert!(err.to_string().contains("another stream"), "{err}");
        plain
            .streams
            .insert("orders".into(), PostgresStreamConfig::default());
        let err = StreamRules::new(&plain).err().unwrap();
        assert!(
            matches!(&err, FaucetError::Config { path, .. } if path == "streams.orders.table"),
            "{err}"
        );
    }
}
