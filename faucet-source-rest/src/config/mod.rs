//! [`RestSourceConfig`]: what to request, where the records are, how to
//! paginate. Serde + JSON Schema only; validation is in
//! [`crate::RestSource::new`].

mod incremental;
mod pagination;
mod records;
mod resources;

use std::collections::BTreeMap;

use faucet_common_http::{AuthConfig, HttpConfig, Secret};
use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use incremental::{RestIncremental, RestKeyFormat, RestSinceLocation};
pub use pagination::{
    RestCursorFrom, RestCursorLocation, RestOnTotalMismatch, RestPagination, RestStopRules,
};
pub use records::{RestRecords, RestSingleRecord};
pub use resources::{DEFAULT_PARENT_CONCURRENCY, RestResource};

/// Default number of pages fetched concurrently.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Configuration of the REST source. A minimal one is four lines:
///
/// ```yaml
/// base_url: https://api.example.com/v1
/// path: /customers
/// records: data
/// pagination: { kind: page_number, size_param: per_page, size: 100 }
/// ```
///
/// The same in JSON, deserialised and validated:
///
/// ```
/// use faucet_source_rest::{RestSource, RestSourceConfig};
///
/// let config: RestSourceConfig = serde_json::from_str(r#"{
///     "base_url": "https://api.example.com/v1",
///     "path": "/customers",
///     "records": "data",
///     "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100}
/// }"#).unwrap();
/// assert_eq!(config.concurrency, faucet_source_rest::DEFAULT_CONCURRENCY);
/// RestSource::new(config).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestSourceConfig {
    /// The API's base URL, e.g. `https://api.example.com/v1`.
    pub base_url: String,
    /// Path appended to `base_url`; `{name}` placeholders are filled from
    /// each partition. Not used with `resources` (each has its own).
    /// Default: `""`.
    #[serde(default)]
    pub path: String,
    /// HTTP method. Default: `get`.
    #[serde(default)]
    pub method: RestMethod,
    /// Query parameters sent with every request; a list value repeats the
    /// key. `{name}` placeholders are filled from each partition.
    /// Default: none.
    #[serde(default)]
    pub query: BTreeMap<String, RestQueryValue>,
    /// Headers sent with every request (values may be `${ENV}` secrets).
    /// Default: none.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// JSON body sent with every request (usually with `method: post`);
    /// `{name}` placeholders in string values are filled from each
    /// partition. Default: none.
    #[serde(default)]
    pub body: Option<Value>,
    /// Where the records are in each response: a path to their array
    /// (JSONPath `$.data.items`, shorthand `data.items`, JSON Pointer
    /// `/data/items`; `$` for a body that is the array), or
    /// `{single: true}` for one object as one record. Default: `$` (the
    /// body must be an array; an object body is retried, then fails).
    #[serde(default)]
    pub records: Option<RestRecords>,
    /// Whether the request may be sent twice with no other effect, so that a
    /// malformed or truncated 2xx body is requested again (a 5xx or 429 is
    /// retried either way). Default: `true` for `get`, `false` for `post`.
    #[serde(default)]
    pub idempotent: Option<bool>,
    /// How to get from one page to the next. Default: `{kind: none}`.
    #[serde(default)]
    pub pagination: RestPagination,
    /// Parameter sets substituted into `{placeholders}` of the path, query
    /// and body, one run of the pagination each (e.g. one per account);
    /// they run concurrently under the same limits. Not used with
    /// `resources` (a parent resource reads children per record). Default:
    /// one run with no parameters.
    #[serde(default)]
    pub partitions: Vec<BTreeMap<String, String>>,
    /// Read only records newer than the last run's, by replication key.
    /// Default: none (every run reads everything).
    #[serde(default)]
    pub incremental: Option<RestIncremental>,
    /// Pages fetched at once for `page_number` and `offset` pagination, and
    /// the most requests in flight overall (the adaptive limit halves on
    /// 429/503); 1 to 1024. Default: `4`.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Authentication. Default: `{kind: none}`.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Timeouts, response size cap, retries and rate limit. Default: the
    /// `HttpConfig` defaults (60 s timeout, 64 MiB cap, 6 attempts).
    #[serde(default)]
    pub http: HttpConfig,
    /// Fields identifying a record, reported by `discover` (sinks that
    /// upsert use them); the default of every resource. Default: none.
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Several endpoints of the API, each read as a stream of its own, in
    /// this order, children after each page of their parent's. They share
    /// `base_url`, `auth`, `http` (one rate limit, one retry budget) and
    /// `concurrency`; `query` and `headers` are added to each resource's,
    /// and `records`, `pagination`, `incremental` and `primary_key` are the
    /// defaults of those a resource leaves unset. The checkpoint holds one
    /// entry per resource; a resume with a stream selection that would
    /// skip or repeat records (an interrupted run's streams changed, or a
    /// stream only read before now written past a stored replication key)
    /// is refused at `streams`. Default: none (one stream: `path`, its
    /// pages unnamed, as before `resources` existed).
    #[serde(default)]
    pub resources: Vec<RestResource>,
}

fn default_concurrency() -> usize {
    DEFAULT_CONCURRENCY
}

impl RestSourceConfig {
    /// A config for `GET base_url + path`, the body an array of records, no
    /// pagination, every other field at its default.
    pub fn new(base_url: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            path: path.into(),
            method: RestMethod::Get,
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            body: None,
            records: None,
            idempotent: None,
            pagination: RestPagination::None,
            partitions: Vec::new(),
            incremental: None,
            concurrency: DEFAULT_CONCURRENCY,
            auth: AuthConfig::None,
            http: HttpConfig::default(),
            primary_key: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// Adds a resource (see [`RestSourceConfig::resources`]).
    #[must_use]
    pub fn with_resource(mut self, resource: RestResource) -> Self {
        self.resources.push(resource);
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
        self.pagination = pagination;
        self
    }

    /// Sets the concurrency.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query
            .insert(name.into(), RestQueryValue::One(value.into()));
        self
    }
}

/// HTTP method of the requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestMethod {
    /// `GET`.
    #[default]
    Get,
    /// `POST`, usually with a JSON `body`.
    Post,
}

/// A query parameter value: one value, or a list (the key is repeated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RestQueryValue {
    /// One value.
    One(String),
    /// Several values: the key is sent once per value.
    Many(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_property_is_documented() {
        let schema = serde_json::to_value(schemars::schema_for!(RestSourceConfig)).unwrap();
        let missing = faucet_core::schema::undocumented_properties(&schema);
        assert!(missing.is_empty(), "undocumented: {missing:?}");
    }

    #[test]
    fn the_minimal_example_deserialises() {
        let config: RestSourceConfig = serde_json::from_value(serde_json::json!({
            "base_url": "https://api.example.com/v1",
            "path": "/customers",
            "records": "data",
            "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100}
        }))
        .unwrap();
        assert_eq!(config.concurrency, DEFAULT_CONCURRENCY);
        assert!(matches!(
            config.pagination,
            RestPagination::PageNumber { .. }
        ));
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let err = faucet_core::parse_config::<RestSourceConfig>(serde_json::json!({
            "base_url": "http://x", "pagination": {"kind": "cursr"}
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("pagination"), "{err}");
    }
}
