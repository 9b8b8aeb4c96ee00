#!/usr/bin/env bash
# The faucet benchmark, in one command: builds the release binaries, then
# runs every scenario of the proof next to its ceiling, several times, and
# writes bench/RESULTS.md.
#
#   bench/run.sh                                   # full scale (1M records, 3 runs)
#   bench/run.sh --records 20000 --runs 2 --rss-sizes 10000,20000 \
#                --latency-records 5000            # a quick check
#
# Options (or environment variables): --records (FAUCET_BENCH_RECORDS),
# --runs (FAUCET_BENCH_RUNS), --rss-sizes (FAUCET_BENCH_RSS_SIZES),
# --latency-records (FAUCET_BENCH_LATENCY_RECORDS), --scenarios
# (FAUCET_BENCH_SCENARIOS, e.g. 1,2; 8 is the parent → child scenario:
#   bench/run.sh --scenarios 8 --records 1000 --runs 3 --out /tmp/results.md;
# 9, a Singer tap into PostgreSQL, faucet vs target-postgres, runs only
# when named (about 30 minutes more at 1M records x 3 runs):
#   bench/run.sh --scenarios 9 --records 100000 --runs 2 --out /tmp/singer.md),
# --page-size, --out, --profile.
# PostgreSQL: FAUCET_TEST_DATABASE_URL, else 127.0.0.1:5432, else a
# throwaway cluster from the installed initdb/pg_ctl (see faucet-testkit).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --bins -p faucet-cli -p faucet-testkit -p faucet-bench
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$target_dir/release/faucet-bench" "$@"
