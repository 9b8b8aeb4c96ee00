#![cfg_attr(docsrs, feature(doc_cfg))]
//! A faucet [`Source`](faucet_core::Source) that reads any paginated REST
//! API: page numbers, offsets, cursors (query or body), next URLs in the
//! body, RFC 8288 `Link` headers, or one request; every common auth scheme
//! (through `faucet-common-http`); resumable page by page; incremental by
//! replication key; partitions run concurrently.
//!
//! # Design
//!
//! Each partition runs as its own task feeding one ordered channel. Page
//! and offset pagination keep `concurrency` requests in flight and deliver
//! pages in order (speculative pages past the end are discarded); cursor
//! and link pagination chain requests one after another. Every body is
//! decoded once, on a spawned task (so decoding uses the second core while
//! the sink encodes on the first).
//!
//! Records are bytes: when every page path (`records`, cursor, next URL,
//! `has_more`, totals) is simple — names and indices, negative ones too —
//! one pass of serde_json over the body follows all of them at once and
//! keeps what it finds as borrowed `RawValue`s. Each record is a
//! [`Record`](faucet_core::Record) sharing a slice of the page body: no
//! tree is built, numbers keep every digit (38-digit decimals, integers
//! beyond 2^64, `1e400`), keys keep their order, and a sink that writes
//! JSON writes the API's own bytes. The replication key and a cursor taken
//! from the last record are read through the record's borrowing field
//! view. `records: "$.data[*]"` (a simple path, then `[*]`) is scanned the
//! same way while `data` is an array. Paths that need the full language
//! (other wildcards, slices, filters, descendants) take the tree route
//! instead: the body is parsed to a `serde_json::Value` and the records
//! are moved out of it as trees, which is slower and cannot hold a number
//! beyond `f64` (such a page is refused as malformed). Both routes give the same records and signals for every
//! body they both accept, and the same messages for bodies that are not
//! pages. Where a tree is the limit, the scan keeps the record's text and
//! leaves the error to a stage that asks for a tree: numbers beyond `f64`,
//! strings with a lone surrogate escape (`"\ud800"`), nesting deeper than
//! 128 levels.
//!
//! Every page carries a checkpoint holding each partition's next position
//! (page, offset, cursor or link), so a crashed run resumes after the last
//! durable page. When a full-refresh run ends, the last checkpoint is
//! `null` (the next run starts over); an incremental run's last checkpoint
//! keeps the largest replication key, which the next run sends to the API
//! and also filters on.
//!
//! Loop guards end pagination with a warning, never with an endless loop
//! or a duplicated page: a cursor or next link seen twice, or the same body
//! twice in a row.
//!
//! # Completed means complete
//!
//! An end of stream is the API's own signal (no cursor or link, an empty
//! or short page, `has_more: false`, a total reached), never an
//! assumption: signals that contradict each other fail the run, naming the
//! page's URL and the config paths involved (`has_more` true but no
//! cursor; fewer records read than the total in the body or in
//! `X-Total-Count` / `Content-Range`, unless `on_total_mismatch: warn`).
//! A 2xx body that is not a page of the configured `records` shape
//! (malformed, truncated, HTML, empty, an object where an array is
//! expected) is requested again within the retry limits, then fails with
//! the URL, status, content type and first bytes of the body.
//!
//! Paths (`records`, `cursor_path`, `has_more_path`, …) are RFC 9535
//! JSONPath, evaluated by `serde_json_path`. It implements RFC 9535 and
//! runs the JSONPath compliance test suite in its own tests, parses once
//! into a reusable query, reports parse errors with a position (so a bad
//! path is a config error at its field), works on `serde_json::Value`
//! directly, and gives each match's normalized location (which lets the
//! records be moved out of the document). `jsonpath_lib` is unmaintained
//! and predates the RFC; `jsonpath-rust` was not adopted because the
//! above already covers every need. Simple paths (names and indices,
//! the dotted shorthand `meta.next`, JSON Pointers) never reach it: they
//! are followed by the scan above, or walked directly on a tree.
//!
//! # Example
//!
//! ```
//! use faucet_core::{Pipeline, connector::*};
//! use faucet_source_rest::{RestPagination, RestSource, RestSourceConfig};
//! use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
//!
//! # struct Discard;
//! # #[async_trait]
//! # impl Sink for Discard {
//! #     async fn write_batch(&self, records: &[Record]) -> Result<usize> { Ok(records.len()) }
//! # }
//! # #[tokio::main]
//! # async fn main() -> Result<()> {
//! let api = FixtureServer::start(FixtureConfig::new(1000)).await.unwrap();
//! let config: RestSourceConfig = serde_json::from_value(json!({
//!     "base_url": api.url(),
//!     "path": "/records/page",
//!     "records": "data",
//!     "pagination": {"kind": "page_number", "size_param": "per_page", "size": 100}
//! })).unwrap();
//! let source = RestSource::new(config)?;
//! let report = Pipeline::new(&source, Discard).run().await?;
//! assert_eq!(report.progress.records_written, 1000);
//! # Ok(())
//! # }
//! ```

mod config;
mod extract;
mod incremental;
mod pagination;
mod plan;
mod resources;
mod stream;

pub use config::{
    DEFAULT_CONCURRENCY, DEFAULT_PARENT_CONCURRENCY, RestCursorFrom, RestCursorLocation,
    RestIncremental, RestKeyFormat, RestMethod, RestOnTotalMismatch, RestPagination,
    RestQueryValue, RestRecords, RestResource, RestSinceLocation, RestSingleRecord,
    RestSourceConfig, RestStopRules,
};
pub use stream::RestSource;

/// The HTTP layer's config types, for building a [`RestSourceConfig`] in Rust.
pub use faucet_common_http::{AuthConfig, HttpConfig, RateLimitConfig, RetryConfig, Secret};

/// Registers this source as `rest` in `registry`.
pub fn register(registry: &mut faucet_core::Registry) {
    registry.register_source(
        "rest",
        "Reads any paginated REST API: every pagination and auth style, resumable, incremental",
        RestSource::new,
    );
    let kind = faucet_core::ConnectorKind::Source;
    let capabilities = faucet_core::ConnectorCapabilities::default()
        .streams()
        .resumable()
        .incremental()
        .concurrent()
        .discover();
    registry
        .with_capabilities(kind, "rest", capabilities)
        .with_action(
            kind,
            "rest",
            faucet_core::ConnectorAction::new(
                "check",
                "Fetches the first page: reachable, authorised, records decode",
            ),
        )
        .with_action(
            kind,
            "rest",
            faucet_core::ConnectorAction::new(
                "discover",
                "Samples each stream's first page and infers its JSON Schema",
            ),
        );
}
