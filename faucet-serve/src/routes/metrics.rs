//! `GET /metrics`: Prometheus text format.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::runs::record::RunState;

const STATES: [RunState; 6] = [
    RunState::Queued,
    RunState::Running,
    RunState::Completed,
    RunState::Failed,
    RunState::Cancelled,
    RunState::Interrupted,
];

/// Counters summed over every run the server knows (the run store's
/// included), and the runs in flight.
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let totals = state.runs.totals();
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    };
    counter(
        "faucet_records_read_total",
        "Records read from sources.",
        totals.records_read,
    );
    counter(
        "faucet_records_written_total",
        "Records the sinks accepted.",
        totals.records_written,
    );
    counter("faucet_pages_total", "Pages committed.", totals.pages);
    counter(
        "faucet_bytes_read_total",
        "Bytes sources read.",
        totals.bytes,
    );
    let _ = writeln!(
        out,
        "# HELP faucet_runs_total Runs by state.\n# TYPE faucet_runs_total counter"
    );
    for run_state in STATES {
        let name = run_state.as_str();
        let n = totals.by_state.get(name).copied().unwrap_or(0);
        let _ = writeln!(out, "faucet_runs_total{{state=\"{name}\"}} {n}");
    }
    let in_flight: u64 = ["queued", "running"]
        .iter()
        .filter_map(|s| totals.by_state.get(s))
        .sum();
    let _ = writeln!(
        out,
        "# HELP faucet_runs_in_flight Runs queued or running.\n# TYPE faucet_runs_in_flight gauge\nfaucet_runs_in_flight {in_flight}"
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
