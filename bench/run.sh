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
#
# Scenario 10 is `faucet serve` under load (bench/src/bin/faucet-serve-load/):
# 4 runs in flight while 50 clients poll GET /runs/{id} and one follows the
# events, against the same runs from `faucet run`. It runs after the
# others (by default, or when --scenarios names 10) and replaces its
# section at the end of the results file. Its own options:
# --serve-records (FAUCET_BENCH_SERVE_RECORDS, records per run, default
# 250000), --serve-pollers (default 50), --serve-poll-ms (default 100),
# --serve-workers (TOKIO_WORKER_THREADS of the server; default tokio's);
# it repeats --runs times at --page-size.
#   bench/run.sh --scenarios 10 --runs 3       # scenario 10 alone
set -euo pipefail
cd "$(dirname "$0")/.."

scenarios="${FAUCET_BENCH_SCENARIOS:-}"
runs="${FAUCET_BENCH_RUNS:-3}"
page_size=1000
out="bench/RESULTS.md"
serve_records="${FAUCET_BENCH_SERVE_RECORDS:-250000}"
serve_pollers=50
serve_poll_ms=100
serve_workers=()
rest=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scenarios) scenarios="$2"; shift 2 ;;
    --serve-records) serve_records="$2"; shift 2 ;;
    --serve-pollers) serve_pollers="$2"; shift 2 ;;
    --serve-poll-ms) serve_poll_ms="$2"; shift 2 ;;
    --serve-workers) serve_workers=(--serve-workers "$2"); shift 2 ;;
    --runs) runs="$2"; rest+=("$1" "$2"); shift 2 ;;
    --page-size) page_size="$2"; rest+=("$1" "$2"); shift 2 ;;
    --out) out="$2"; rest+=("$1" "$2"); shift 2 ;;
    *) rest+=("$1"); shift ;;
  esac
done

# Scenario 10 apart; the others go to faucet-bench (all of them when
# --scenarios is not given).
with_serve=yes
others=""
if [[ -n "$scenarios" ]]; then
  with_serve=no
  IFS=',' read -ra picked <<< "$scenarios"
  for s in "${picked[@]}"; do
    s="${s// /}"
    if [[ "$s" == 10 ]]; then with_serve=yes; else others="${others:+$others,}$s"; fi
  done
fi

cargo build --release --bins -p faucet-cli -p faucet-testkit -p faucet-bench
target_dir="${CARGO_TARGET_DIR:-target}"

if [[ -z "$scenarios" ]]; then
  "$target_dir/release/faucet-bench" "${rest[@]}"
elif [[ -n "$others" ]]; then
  "$target_dir/release/faucet-bench" --scenarios "$others" "${rest[@]}"
fi

if [[ "$with_serve" == yes ]]; then
  section="$(mktemp)"
  "$target_dir/release/faucet-serve-load" --records "$serve_records" --reps "$runs" \
    --page-size "$page_size" --pollers "$serve_pollers" --poll-ms "$serve_poll_ms" \
    "${serve_workers[@]}" --out "$section" > /dev/null
  # Replace an earlier scenario 10 section (from its heading to the next
  # `## ` heading or the end) with this one, at the end of the file.
  touch "$out"
  awk '/^## `faucet serve` under load/ {skip=1; next} /^## / {skip=0} !skip' "$out" > "$out.tmp"
  { cat "$out.tmp"; echo; cat "$section"; } > "$out"
  rm -f "$out.tmp" "$section"
  echo "scenario 10 written to $out"
fi
