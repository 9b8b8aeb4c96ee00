//! Proof of faucet's claims: benchmarks against the machine's ceiling,
//! crash tests and fault tests, all through the real `faucet` binary, a
//! real PostgreSQL and real HTTP servers on 127.0.0.1.
//!
//! This library is the shared support of the `faucet-bench` orchestrator
//! (`bench/run.sh`) and of the tests in `bench/tests/`:
//!
//! - [`dataset`]: the fixture server's records as CSV (for the `psql
//!   \copy` ceiling) and an order-independent digest (count, distinct ids,
//!   payload checksum) to compare what a sink holds with what was served;
//! - [`verify`]: that digest read back from a PostgreSQL table or a JSON
//!   Lines file;
//! - [`pipeline`]: pipeline files for `faucet run`, written in one place;
//! - [`process`]: child processes measured with `wait4` (wall time, peak
//!   RSS) and killed on drop;
//! - [`binaries`]: where the `faucet` and `faucet-fixture-server` binaries
//!   are, building them when missing or stale.
//!
//! The key design choice is that every measurement and every test drives
//! the `faucet` process from outside, as a user would: what is measured is
//! what ships, and a SIGKILL hits the real thing.

pub mod binaries;
pub mod dataset;
pub mod pipeline;
pub mod process;
pub mod verify;
