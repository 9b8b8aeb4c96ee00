//! The summary printed when a run ends.

use std::fmt::Write;

use faucet_core::{
    Checkpoint, Completion, Progress, Resume, RunOutcome, RunReport, StreamProgress,
};

/// The multi-line summary of a run.
pub(crate) fn render(report: &RunReport) -> String {
    let p = &report.progress;
    let mut out = String::new();
    if closed_stdout(report) {
        let _ = writeln!(
            out,
            "Stopped pipeline `{}`: standard output was closed ({} records committed)",
            report.pipeline,
            thousands(p.records_committed)
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{} pipeline `{}`",
        headline(report.outcome),
        report.pipeline
    );
    // Transforms that filter or split records make the sink get another
    // count than the source gave: both are said.
    let written = if p.records_written != p.records_read {
        format!(", {} written", thousands(p.records_written))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  records     {} read{written}, {} committed, {} pages, {}",
        thousands(p.records_read),
        thousands(p.records_committed),
        thousands(p.pages),
        bytes(p.bytes),
    );
    out.push_str(&streams_block(p));
    if p.records_skipped > 0 {
        let _ = writeln!(
            out,
            "  skipped     {} record{} a transform failed on (`on_error: skip`; see the warnings)",
            thousands(p.records_skipped),
            if p.records_skipped == 1 { "" } else { "s" }
        );
    }
    if p.records_dead_lettered > 0 {
        let _ = writeln!(
            out,
            "  set aside   {} record{} a transform failed on, in the sink's dead letters (`on_error: dead_letter`)",
            thousands(p.records_dead_lettered),
            if p.records_dead_lettered == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    if p.records_uncommitted > 0 {
        let _ = writeln!(
            out,
            "  uncommitted {} written but rolled back or never flushed (a rerun writes them again)",
            thousands(p.records_uncommitted)
        );
    }
    let _ = writeln!(
        out,
        "  elapsed     {:.2}s ({} records/s)",
        p.elapsed.as_secs_f64(),
        thousands(p.records_per_second().round() as u64),
    );
    let _ = writeln!(out, "  started     {}", started(&report.resume));
    if !report.retries.is_empty() {
        let causes: Vec<String> = report
            .retries
            .iter()
            .map(|(cause, n)| format!("{n} × {cause}"))
            .collect();
        let _ = writeln!(out, "  retries     {}", causes.join(", "));
    }
    if let Some(line) = report.last_checkpoint.as_ref().and_then(checkpoint_line) {
        let _ = writeln!(out, "  checkpoint  {line}");
    }
    let _ = writeln!(out, "  guarantee   {}", report.guarantee);
    if report.outcome == RunOutcome::Cancelled {
        let _ = writeln!(
            out,
            "Stopped at a page boundary with everything written made durable; run the same command again to resume."
        );
    }
    out
}

/// Each stream's counts, one line each, for a source that reads several:
/// `  streams     orders  30 read, 30 committed, of 40`.
fn streams_block(p: &Progress) -> String {
    let width = p
        .streams
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, (name, s)) in p.streams.iter().enumerate() {
        let label = if i == 0 { "streams" } else { "" };
        let _ = writeln!(out, "  {label:<11} {name:<width$}  {}", stream_counts(s));
    }
    out
}

/// `30 read, 25 written, 25 committed, of 40`: written only when it
/// differs from read, the total only when the source announced one.
pub(crate) fn stream_counts(s: &StreamProgress) -> String {
    let mut text = format!("{} read", thousands(s.records_read));
    if s.records_written != s.records_read {
        let _ = write!(text, ", {} written", thousands(s.records_written));
    }
    let _ = write!(text, ", {} committed", thousands(s.records_committed));
    if let Some(total) = s.expected_total {
        let _ = write!(text, ", of {}", thousands(total));
    }
    text
}

/// Where the run started, in words.
pub(crate) fn started(resume: &Resume) -> String {
    match resume {
        Resume::Fresh => "from the start (no checkpoint stored)".to_owned(),
        Resume::Resumed { after } => format!("resumed after checkpoint {after}"),
        Resume::Restarted => "from the start, as asked (--restart)".to_owned(),
        Resume::NotStarted => "did not start; nothing was read".to_owned(),
        Resume::StartedOver { completed_at_unix } => format!(
            "started over: the last run completed at {}, and the sink is idempotent",
            utc(*completed_at_unix)
        ),
        Resume::Continued {
            after,
            completed_at_unix,
        } => format!(
            "continued after the run completed at {} (new records only, after {after})",
            utc(*completed_at_unix)
        ),
        other => other.to_string(),
    }
}

/// The last durable checkpoint in words; `None` when there is nothing to say.
fn checkpoint_line(checkpoint: &Checkpoint) -> Option<String> {
    if let Some(done) = Completion::from_checkpoint(checkpoint) {
        return Some(match done.checkpoint {
            Some(inner) => format!("completed; an incremental run continues after {inner}"),
            None => "completed; nothing left to resume".to_owned(),
        });
    }
    if checkpoint.as_value().is_null() {
        return None;
    }
    Some(checkpoint.to_string())
}

/// Seconds since the Unix epoch as `2026-12-02 12:00:00 UTC`.
pub(crate) fn utc(at_unix: u64) -> String {
    i64::try_from(at_unix)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(
            || "an unknown time".to_owned(),
            |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

/// Whether the run failed because the reader of standard output went away
/// (`faucet run … | head`): not worth a full summary.
fn closed_stdout(report: &RunReport) -> bool {
    report
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("Broken pipe"))
}

fn headline(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Completed => "Completed",
        RunOutcome::Cancelled => "Interrupted",
        RunOutcome::LimitReached => "Limit reached:",
        RunOutcome::Failed => "Failed",
        _ => "Finished",
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn each_stream_gets_a_line_with_its_counts() {
        let mut p = Progress::default();
        let mut orders = StreamProgress::default();
        orders.records_read = 1_200;
        orders.records_written = 1_000;
        orders.records_committed = 900;
        orders.expected_total = Some(2_000);
        let mut lines = StreamProgress::default();
        lines.records_read = 7;
        lines.records_written = 7;
        lines.records_committed = 7;
        p.streams.insert("orders".into(), orders);
        p.streams.insert("order_lines".into(), lines);
        assert_eq!(
            streams_block(&p),
            "  streams     order_lines  7 read, 7 committed\n              \
             orders       1,200 read, 1,000 written, 900 committed, of 2,000\n"
        );
        assert_eq!(streams_block(&Progress::default()), "");
    }
}
