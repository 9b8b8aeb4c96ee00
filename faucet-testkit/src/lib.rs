#![cfg_attr(docsrs, feature(doc_cfg))]
//! Fixtures for faucet's tests, demos and benchmarks.
//!
//! - [`postgres`]: a real PostgreSQL for tests: `FAUCET_TEST_DATABASE_URL`,
//!   else a server on 127.0.0.1:5432, else a throwaway cluster started with
//!   the installed `initdb`/`pg_ctl`. Each test gets its own schema.
//! - [`fixture`]: a real HTTP server on 127.0.0.1:0 serving generated
//!   records in every pagination style, with authentication, fault
//!   injection on demand and a request log. The `faucet-fixture-server`
//!   binary serves the same API from its own process (for benchmarks):
//!   `faucet-fixture-server --records 1000000 --page-size 1000` prints its
//!   URL and serves until killed.
//! - [`shop`]: a second API on 127.0.0.1:0 with three related resources
//!   (accounts → orders → order lines), each paginated in its own style,
//!   for many-stream pipelines; orders can be added between runs. The
//!   same binary serves it from its own process: `faucet-fixture-server
//!   --api shop --accounts 100 --orders-per-account 1000 --latency-ms 20`
//!   (flags: see the binary's docs or `--help`).
//! - [`python`]: a pinned package from the Python package registry in a
//!   cached virtualenv of its own (real Singer taps and targets).
//! - [`streams`]: a resumable in-process source of several interleaved
//!   streams ([`streams::ScriptedStreams`]), for sinks that route streams.

pub mod fixture;
pub mod postgres;
pub mod python;
pub mod shop;
pub mod streams;
