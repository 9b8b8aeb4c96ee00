//! Pagination styles and stop rules.

use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

/// How to get from one page to the next.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(transform = faucet_core::schema::describe_kind_tags)]
pub enum RestPagination {
    /// One request; the response holds every record.
    #[default]
    None,
    /// Page numbers: `?page=1`, `?page=2`, … Fetched `concurrency` at a
    /// time, delivered in order.
    PageNumber {
        /// The page number parameter. Default: `page`.
        #[serde(default = "default_page_param")]
        param: String,
        /// The first page's number. Default: `1`.
        #[serde(default = "default_one")]
        start: u64,
        /// The page size parameter, if the API takes one. Default: none.
        #[serde(default)]
        size_param: Option<String>,
        /// The page size to ask for (and to expect, for `short_page`).
        /// Default: none.
        #[serde(default)]
        size: Option<u64>,
        /// When to stop.
        #[serde(default)]
        stop: RestStopRules,
    },
    /// Offsets: `?offset=0&limit=100`, `?offset=100&limit=100`, … Fetched
    /// `concurrency` at a time, delivered in order.
    Offset {
        /// The offset parameter. Default: `offset`.
        #[serde(default = "default_offset_param")]
        param: String,
        /// The first offset. Default: `0`.
        #[serde(default)]
        start: u64,
        /// The limit parameter. Default: `limit`.
        #[serde(default = "default_limit_param")]
        limit_param: String,
        /// Records per page. Default: `100`.
        #[serde(default = "default_limit")]
        limit: u64,
        /// When to stop.
        #[serde(default)]
        stop: RestStopRules,
    },
    /// A cursor read from each response and sent with the next request;
    /// no cursor (null, empty, missing) ends, unless `has_more` says more
    /// pages follow (an error). Going backwards (`ending_before`) is not
    /// supported.
    Cursor {
        /// Where the next cursor is in the response (JSONPath, shorthand or
        /// JSON Pointer), e.g. `next_cursor`, `$.meta.next`; needed with
        /// `cursor_from: path`. Default: none.
        #[serde(default)]
        cursor_path: Option<String>,
        /// Where the cursor comes from: `path` (`cursor_path` in the body)
        /// or `last_record` (`cursor_field` of the page's last record, the
        /// Stripe `starting_after` convention). Default: `path`.
        #[serde(default)]
        cursor_from: RestCursorFrom,
        /// With `cursor_from: last_record`, the field of the last record
        /// sent as the cursor (a path within the record). Default: `id`.
        #[serde(default = "default_cursor_field")]
        cursor_field: String,
        /// The parameter (or body field) the cursor is sent as. Default:
        /// `cursor`.
        #[serde(default = "default_cursor_param")]
        param: String,
        /// Where the cursor goes. Default: `query`.
        #[serde(default)]
        location: RestCursorLocation,
        /// When to stop (besides a missing cursor).
        #[serde(default)]
        stop: RestStopRules,
    },
    /// The next page's URL read from each response (absolute or relative
    /// to the current one); none ends.
    NextUrl {
        /// Where the next URL is, e.g. `links.next`, `$.paging.next`.
        next_path: String,
        /// When to stop (besides a missing link).
        #[serde(default)]
        stop: RestStopRules,
    },
    /// The RFC 8288 `Link` header's `rel="next"` URL (GitHub style); none
    /// ends.
    LinkHeader {
        /// When to stop (besides a missing link).
        #[serde(default)]
        stop: RestStopRules,
    },
}

/// Where a cursor comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestCursorFrom {
    /// The value at `cursor_path` in the response.
    #[default]
    Path,
    /// The `cursor_field` of the page's last record (before the
    /// incremental filter).
    LastRecord,
}

/// What a run does when it read fewer records than the API's total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestOnTotalMismatch {
    /// Fail the run, naming the total and what was read.
    #[default]
    Error,
    /// Log a warning and complete.
    Warn,
}

/// Where a cursor is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestCursorLocation {
    /// As a query parameter.
    #[default]
    Query,
    /// As a top-level field of the JSON body.
    Body,
}

/// When pagination stops, besides the style's own end (no cursor, no
/// next link). Loop guards always apply: a cursor or link seen twice, or
/// the same body twice in a row, ends pagination with a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestStopRules {
    /// Stop at a page with no records. Default: `true`.
    #[serde(default = "default_true")]
    pub empty_page: bool,
    /// Stop at a page with fewer records than the page size (needs a
    /// size). Off by default: APIs that return fewer than asked would lose
    /// data. Default: `false`.
    #[serde(default)]
    pub short_page: bool,
    /// Path of a boolean that says whether more pages follow (e.g.
    /// `has_more`); `false` stops. Default: none.
    #[serde(default)]
    pub has_more_path: Option<String>,
    /// Path of the total number of records; remembered from the first page
    /// that has it (page-number and offset pagination stop once that many
    /// were read), and checked at the end (`on_total_mismatch`). Default:
    /// none.
    #[serde(default)]
    pub total_path: Option<String>,
    /// Response headers holding the total number of records, the first
    /// present one counts: a number (`X-Total-Count: 50000`) or a
    /// `Content-Range` (`items 0-999/50000`). Used like `total_path` when
    /// the body has none; `[]` ignores them. Default:
    /// `["X-Total-Count", "Content-Range"]`.
    #[serde(default = "default_total_headers")]
    pub total_headers: Vec<String>,
    /// When pagination ends with fewer records read than the total the API
    /// announced (body or header): `error` fails the run, `warn` logs it.
    /// Default: `error`.
    #[serde(default)]
    pub on_total_mismatch: RestOnTotalMismatch,
    /// Path of the total number of pages (page-number and offset
    /// pagination). Default: none.
    #[serde(default)]
    pub total_pages_path: Option<String>,
    /// Stop after this many pages (per partition). Default: none.
    #[serde(default)]
    pub max_pages: Option<u64>,
}

impl Default for RestStopRules {
    fn default() -> Self {
        Self {
            empty_page: true,
            short_page: false,
            has_more_path: None,
            total_path: None,
            total_headers: default_total_headers(),
            on_total_mismatch: RestOnTotalMismatch::Error,
            total_pages_path: None,
            max_pages: None,
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_one() -> u64 {
    1
}
fn default_page_param() -> String {
    "page".into()
}
fn default_offset_param() -> String {
    "offset".into()
}
fn default_limit_param() -> String {
    "limit".into()
}
fn default_limit() -> u64 {
    100
}
fn default_total_headers() -> Vec<String> {
    vec!["X-Total-Count".into(), "Content-Range".into()]
}
fn default_cursor_field() -> String {
    "id".into()
}
fn default_cursor_param() -> String {
    "cursor".into()
}
