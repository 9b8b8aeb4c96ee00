//! The proof tests: crash tests (SIGKILL of `faucet run`, PostgreSQL
//! killed mid-run), the fault matrix against the fixture server's fault
//! injection, and bad input (mutated configs, SQL injection through
//! identifiers, secrets kept out of every output), and fidelity (what an
//! API sends is what lands, digit for digit).
//!
//! Every test drives the real `faucet` binary (see
//! `faucet_bench::binaries` for how it is found or built) against real
//! servers on 127.0.0.1, at a scale that keeps the whole file well under a
//! few minutes on 2 cores, and every wait is bounded.

mod bad_input;
mod crash;
mod crash_streams;
mod crash_transforms;
mod faults;
mod fidelity;
mod jsonl_bytes;
mod reruns;
mod support;
