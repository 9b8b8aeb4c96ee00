//! A shop API for many-stream tests: three related resources — accounts,
//! the orders of each account, the lines of each order — each paginated
//! in its own style, served by a real HTTP server on `127.0.0.1`.
//!
//! Records are pure functions of their ids ([`account`], [`order`],
//! [`order_line`]), so a test computes what a complete read gives
//! ([`ShopServer::expected_accounts`], [`ShopServer::expected_orders`],
//! [`ShopServer::expected_lines`]). New orders can be added between runs
//! ([`ShopServer::add_orders`]): they are newer than the account's other
//! orders, but older than every order of the accounts before it (see
//! [`order_created_at`]), so only a replication key kept per account finds
//! all of them.
//!
//! # Endpoints
//!
//! | resource | request | response |
//! |---|---|---|
//! | accounts | `GET /accounts?page=1&per_page=5` (page numbers from 1) | `{"accounts": [...], "page", "per_page", "total_pages", "has_more"}` |
//! | orders | `GET /accounts/{id or handle}/orders?limit=2&cursor=…&since=…` | `{"data": [...], "next_cursor": "…" or null}`; `since` (RFC 3339): orders created at or after it |
//! | order lines | `GET /orders/{order id}/lines?page=1&per_page=2` | a top-level array; a `Link` header with `rel="next"` unless it is the last page |
//!
//! An account is named by its `id` or its `handle` (`acme & co/7`,
//! URL-encoded in the path: `acme%20%26%20co%2F7`); an unknown account or
//! order is a 404. Page sizes default to [`ShopConfig::page_size`].
//!
//! # From its own process
//!
//! `faucet-fixture-server --api shop` serves the same API, so a pipeline
//! file run by the `faucet` binary can read the three resources: `--accounts
//! N`, `--orders-per-account N`, `--lines-per-order N`, `--page-size N`,
//! `--latency-ms X`, `--port P` set [`ShopConfig`]'s fields (the binary's
//! docs list every flag). It prints its base URL on the first line of
//! stdout and serves until killed.
//!
//! # For a pipeline
//!
//! [`ShopServer::start`] serves it; [`ShopServer::rest_source_config`] is
//! a REST source config (`resources: accounts, orders, order_lines`) that
//! reads all three, which a test can change before use:
//!
//! ```
//! use faucet_testkit::shop::{ShopConfig, ShopServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let shop = ShopServer::start(ShopConfig::new(12)).await?;
//! let config = shop.rest_source_config();
//! assert_eq!(config["resources"][1]["parent"], "accounts");
//! assert_eq!(shop.expected_accounts().len(), 12);
//! # Ok(())
//! # }
//! ```

mod data;
mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use data::{
    MAX_ACCOUNTS, SHOP_BASE, account, account_handle, initial_lines, initial_orders, order,
    order_created_at, order_id, order_line,
};

/// What a [`ShopServer`] serves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ShopConfig {
    /// Accounts, ids `1..=accounts` (at most [`MAX_ACCOUNTS`]). Default: 12.
    pub accounts: u64,
    /// Page size when a request names none. Default: 5.
    pub page_size: u64,
    /// Wait before every response. Default: none.
    pub latency: Duration,
    /// Orders of every account at the start, instead of
    /// [`initial_orders`]. Default: none.
    pub orders_per_account: Option<u64>,
    /// Lines of every order, instead of [`initial_lines`]. Default: none.
    pub lines_per_order: Option<u64>,
    /// Requests kept in the log; later ones are answered, not logged.
    /// Default: 100,000.
    pub log_limit: usize,
}

impl ShopConfig {
    /// `accounts` accounts, the other fields at their defaults.
    pub fn new(accounts: u64) -> Self {
        Self {
            accounts: accounts.min(MAX_ACCOUNTS),
            page_size: 5,
            latency: Duration::ZERO,
            orders_per_account: None,
            lines_per_order: None,
            log_limit: 100_000,
        }
    }

    /// Keeps at most `limit` requests in the log.
    #[must_use]
    pub fn with_log_limit(mut self, limit: usize) -> Self {
        self.log_limit = limit;
        self
    }

    /// Sets the default page size (at least 1).
    #[must_use]
    pub fn with_page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Waits `latency` before every response.
    #[must_use]
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Gives every account `orders` orders and every order `lines` lines.
    #[must_use]
    pub fn with_counts(mut self, orders: u64, lines: u64) -> Self {
        self.orders_per_account = Some(orders);
        self.lines_per_order = Some(lines);
        self
    }

    /// Gives every account `orders` orders (lines stay as configured).
    #[must_use]
    pub fn with_orders_per_account(mut self, orders: u64) -> Self {
        self.orders_per_account = Some(orders);
        self
    }

    /// Gives every order `lines` lines (orders stay as configured).
    #[must_use]
    pub fn with_lines_per_order(mut self, lines: u64) -> Self {
        self.lines_per_order = Some(lines);
        self
    }
}

/// One request the shop received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShopRequest {
    /// The path as sent (still URL-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// When it arrived, since the server started.
    pub at: Duration,
    /// When its answer was ready (after the latency), since the server
    /// started: `at..done` is the time the server spent on it.
    pub done: Duration,
    /// The status answered.
    pub status: u16,
}

impl ShopRequest {
    /// The (decoded) value of query parameter `name`.
    pub fn query_value(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct Shop {
    pub(crate) config: ShopConfig,
    pub(crate) base_url: String,
    pub(crate) started: Instant,
    /// Orders added to each account since the start.
    pub(crate) added: Mutex<BTreeMap<u64, u64>>,
    pub(crate) log: Mutex<Vec<ShopRequest>>,
}

impl Shop {
    /// The orders account `a` has now.
    pub(crate) fn orders_of(&self, a: u64) -> u64 {
        let start = self
            .config
            .orders_per_account
            .unwrap_or_else(|| initial_orders(a));
        start
            + self
                .added
                .lock()
                .expect("shop lock")
                .get(&a)
                .copied()
                .unwrap_or(0)
    }

    /// The lines of order `j` of account `a`.
    pub(crate) fn lines_of(&self, a: u64, j: u64) -> u64 {
        self.config
            .lines_per_order
            .unwrap_or_else(|| initial_lines(a, j))
    }
}

/// A running shop API; stops when dropped.
#[derive(Debug)]
pub struct ShopServer {
    shop: Arc<Shop>,
    task: tokio::task::JoinHandle<()>,
}

impl ShopServer {
    /// Starts the shop on `127.0.0.1` on a free port.
    pub async fn start(config: ShopConfig) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts the shop on `addr` (port 0 picks a free port).
    pub async fn start_on(addr: SocketAddr, config: ShopConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shop = Arc::new(Shop {
            config,
            base_url: format!("http://{addr}"),
            started: Instant::now(),
            added: Mutex::default(),
            log: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(routes::dispatch)
            .with_state(shop.clone());
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "Shop server stopped");
            }
        });
        Ok(Self { shop, task })
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        self.shop.base_url.clone()
    }

    /// The configuration served.
    pub fn config(&self) -> &ShopConfig {
        &self.shop.config
    }

    /// Adds `n` orders to account `a`, after its others (and newer).
    pub fn add_orders(&self, a: u64, n: u64) {
        *self
            .shop
            .added
            .lock()
            .expect("shop lock")
            .entry(a)
            .or_default() += n;
    }

    /// The orders account `a` has now.
    pub fn orders_of(&self, a: u64) -> u64 {
        self.shop.orders_of(a)
    }

    /// Every account, in the order the API serves them.
    pub fn expected_accounts(&self) -> Vec<Value> {
        (1..=self.shop.config.accounts).map(account).collect()
    }

    /// Every order, by account, then in the order the API serves them.
    pub fn expected_orders(&self) -> Vec<Value> {
        (1..=self.shop.config.accounts)
            .flat_map(|a| (1..=self.orders_of(a)).map(move |j| order(a, j)))
            .collect()
    }

    /// Every order line, by account, order, then line.
    pub fn expected_lines(&self) -> Vec<Value> {
        let mut lines = Vec::new();
        for a in 1..=self.shop.config.accounts {
            for j in 1..=self.orders_of(a) {
                lines.extend((1..=self.shop.lines_of(a, j)).map(|k| order_line(a, j, k)));
            }
        }
        lines
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<ShopRequest> {
        self.shop.log.lock().expect("shop lock").clone()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        self.shop.log.lock().expect("shop lock").clear();
    }

    /// A REST source config reading the three resources: `accounts` (page
    /// numbers, 5 a page), `orders` (`parent: accounts`, by `handle`,
    /// cursor, 2 a page, the account id copied as `account_ref`) and
    /// `order_lines` (`parent: orders`, `Link` header, 2 a page, the order
    /// id copied as `_parent_id`), every primary key `id`.
    pub fn rest_source_config(&self) -> Value {
        json!({
            "base_url": self.url(),
            "primary_key": ["id"],
            "resources": [
                {
                    "name": "accounts",
                    "records": "accounts",
                    "pagination": {"kind": "page_number", "size_param": "per_page", "size": 5,
                                   "stop": {"has_more_path": "has_more"}}
                },
                {
                    "name": "orders",
                    "parent": "accounts",
                    "path": "/accounts/{parent.handle}/orders",
                    "parent_fields": {"handle": "account_handle", "id": "account_ref"},
                    "query": {"limit": "2"},
                    "records": "data",
                    "pagination": {"kind": "cursor", "cursor_path": "next_cursor"}
                },
                {
                    "name": "order_lines",
                    "parent": "orders",
                    "path": "/orders/{parent.id}/lines",
                    "query": {"per_page": "2"},
                    "pagination": {"kind": "link_header"}
                }
            ]
        })
    }
}

impl Drop for ShopServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
