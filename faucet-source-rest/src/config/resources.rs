//! [`RestResource`]: one stream of a source reading several endpoints of
//! one API, and how a child resource is read for each record of its
//! parent.

use std::collections::BTreeMap;

use faucet_common_http::Secret;
use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

use super::{RestIncremental, RestPagination, RestQueryValue, RestRecords};

/// Default number of parent records whose children are read at once.
pub const DEFAULT_PARENT_CONCURRENCY: usize = 4;

/// One resource of the API, read as a stream of its own (its pages carry
/// its name; sinks write it to a table or file of its own). It shares the
/// source's `base_url`, `auth`, `http` (one rate limit and one retry budget
/// for every resource) and `concurrency`; the fields it leaves unset are
/// taken from the source's top level.
///
/// A **child** resource names its `parent` and is read once for each record
/// of it, the parent's field values filled into `{parent.<field>}`
/// placeholders of its `path` and `query`:
///
/// ```yaml
/// resources:
///   - name: accounts
///     pagination: { kind: page_number, size_param: per_page, size: 100 }
///   - name: orders
///     parent: accounts
///     path: /accounts/{parent.id}/orders    # parent's `id`, URL-encoded
///     parent_fields: { id: account_id }     # copied as `account_id` (default `_parent_id`)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestResource {
    /// The stream's name: what its pages, checkpoint entry, `streams`
    /// selection and the sinks' `{stream}` templates call it. Unique among
    /// the resources.
    pub name: String,
    /// Path appended to `base_url`. A child's path holds
    /// `{parent.<field>}` placeholders (a top-level field of the parent
    /// record, its value URL-encoded). Default: `/<name>`.
    #[serde(default)]
    pub path: Option<String>,
    /// Query parameters, added to the top-level `query` (a name set in both
    /// takes this value); values may hold `{parent.<field>}` placeholders.
    /// Default: none.
    #[serde(default)]
    pub query: BTreeMap<String, RestQueryValue>,
    /// Headers, added to the top-level `headers` (a name set in both takes
    /// this value). Default: none.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Where the records are in each response, as the top-level `records`.
    /// Default: the top-level `records`.
    #[serde(default)]
    pub records: Option<RestRecords>,
    /// How to get from one page to the next, as the top-level
    /// `pagination`. Default: the top-level `pagination`.
    #[serde(default)]
    pub pagination: Option<RestPagination>,
    /// Read only records newer than the last run's. For a child resource
    /// the largest replication key is kept **per parent record**, and each
    /// parent's requests send its own. Default: the top-level
    /// `incremental`.
    #[serde(default)]
    pub incremental: Option<RestIncremental>,
    /// Fields identifying a record, reported by `discover` (sinks that
    /// upsert use them). Default: the top-level `primary_key`.
    #[serde(default)]
    pub primary_key: Option<Vec<String>>,
    /// The resource whose records this one is read for (its `name`).
    /// Default: none (read once, from the top).
    #[serde(default)]
    pub parent: Option<String>,
    /// Parent fields copied into each child record: parent field → name in
    /// the child record. Every field a placeholder names is copied, as
    /// `_parent_<field>` unless named here; a field named here but absent
    /// from a parent record is copied as `null`. Default: none beyond the
    /// placeholders' fields.
    #[serde(default)]
    pub parent_fields: BTreeMap<String, String>,
    /// Parent records whose children are read at once (their pages are
    /// still delivered in parent order), under the source's `concurrency`
    /// and rate limit. Default: `4`.
    #[serde(default = "default_parent_concurrency")]
    pub parent_concurrency: usize,
}

fn default_parent_concurrency() -> usize {
    DEFAULT_PARENT_CONCURRENCY
}

impl RestResource {
    /// A resource named `name` at `path`, every other field at its default.
    pub fn new(name: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            path: Some(path.into()),
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            records: None,
            pagination: None,
            incremental: None,
            primary_key: None,
            parent: None,
            parent_fields: BTreeMap::new(),
            parent_concurrency: DEFAULT_PARENT_CONCURRENCY,
        }
    }

    /// Reads this resource once for each record of `parent`.
    #[must_use]
    pub fn with_parent(mut self, parent: impl Into<String>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Sets the records path.
    #[must_use]
    pub fn with_records(mut self, records: impl Into<RestRecords>) -> Self {
        self.records = Some(records.into());
        self
    }

    /// Sets the pagination.
    #[must_use]
    pub fn with_pagination(mut self, pagination: RestPagination) -> Self {
        self.pagination = Some(pagination);
        self
    }
}
