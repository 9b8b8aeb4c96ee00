//! `GET /metrics`: Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::runs::Totals;
use crate::runs::record::RunState;

/// The states a run ends in: `faucet_runs_total` counts these.
const OUTCOMES: [RunState; 4] = [
    RunState::Completed,
    RunState::Failed,
    RunState::Cancelled,
    RunState::Interrupted,
];

/// Counters summed over every run the server knows (the run store's
/// included), and the runs in flight.
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let registrations = [
        ("ok", state.registrations.ok.load(Ordering::Relaxed)),
        ("failed", state.registrations.failed.load(Ordering::Relaxed)),
    ];
    let mut body = render(&state.runs.totals());
    let name = "faucet_manager_registrations_total";
    let _ = writeln!(
        body,
        "# HELP {name} Registrations with the manager, by result.\n# TYPE {name} counter"
    );
    for (result, n) in registrations {
        let _ = writeln!(body, "{name}{{result=\"{result}\"}} {n}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

fn render(totals: &Totals) -> String {
    let mut out = String::new();
    let head = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    let counters = [
        (
            "faucet_records_read_total",
            "Records read from sources.",
            totals.records_read,
        ),
        (
            "faucet_records_written_total",
            "Records the sinks accepted.",
            totals.records_written,
        ),
        ("faucet_pages_total", "Pages committed.", totals.pages),
        (
            "faucet_bytes_read_total",
            "Bytes sources read.",
            totals.bytes,
        ),
    ];
    for (name, help, value) in counters {
        head(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {value}");
    }
    head(
        &mut out,
        "faucet_runs_total",
        "counter",
        "Runs ended, by outcome.",
    );
    for outcome in OUTCOMES {
        let name = outcome.as_str();
        let n = totals.by_state.get(name).copied().unwrap_or(0);
        let _ = writeln!(out, "faucet_runs_total{{outcome=\"{name}\"}} {n}");
    }
    head(
        &mut out,
        "faucet_retries_total",
        "counter",
        "Retries sources made, by cause.",
    );
    for (cause, n) in &totals.retries {
        let cause = cause.replace(['\\', '"', '\n'], "_");
        let _ = writeln!(out, "faucet_retries_total{{cause=\"{cause}\"}} {n}");
    }
    let name = "faucet_run_duration_seconds";
    head(
        &mut out,
        name,
        "summary",
        "Time from start to end of ended runs.",
    );
    let _ = writeln!(out, "{name}_sum {:.3}", totals.run_ms as f64 / 1000.0);
    let _ = writeln!(out, "{name}_count {}", totals.finished_runs);
    let in_flight: u64 = [RunState::Queued, RunState::Running]
        .iter()
        .filter_map(|s| totals.by_state.get(s.as_str()))
        .sum();
    head(
        &mut out,
        "faucet_runs_in_flight",
        "gauge",
        "Runs queued or running.",
    );
    let _ = writeln!(out, "faucet_runs_in_flight {in_flight}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_render_as_prometheus_text() {
        let mut totals = Totals {
            records_written: 12,
            finished_runs: 1,
            run_ms: 1500,
            ..Totals::default()
        };
        totals.by_state.insert("running", 2);
        totals.by_state.insert("failed", 1);
        totals.retries.insert("429".into(), 3);
        let text = render(&totals);
        assert!(text.contains(
            "# HELP faucet_records_written_total Records the sinks accepted.\n\
             # TYPE faucet_records_written_total counter\nfaucet_records_written_total 12\n"
        ));
        assert!(text.contains("faucet_runs_total{outcome=\"failed\"} 1\n"));
        assert!(text.contains("faucet_runs_total{outcome=\"completed\"} 0\n"));
        assert!(text.contains("faucet_retries_total{cause=\"429\"} 3\n"));
        assert!(text.contains("faucet_run_duration_seconds_sum 1.500\n"));
        assert!(text.contains("faucet_run_duration_seconds_count 1\n"));
        assert!(text.contains("faucet_runs_in_flight 2\n"));
    }
}
