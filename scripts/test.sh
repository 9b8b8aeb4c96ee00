#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, every crate's
# tests (PostgreSQL tests start their own throwaway server when none is
# configured; see faucet-testkit), docs, benchmarks compiled, and packaging.
set -euo pipefail
# CI builds once from scratch: incremental caches only cost disk there.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, all features, warnings denied)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test (workspace, all features)"
cargo test --workspace --all-features

step "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps

step "cargo package (every publishable crate, against the workspace's own versions)"
cargo package --workspace --no-verify --allow-dirty >/dev/null

printf '\nAll checks passed.\n'
