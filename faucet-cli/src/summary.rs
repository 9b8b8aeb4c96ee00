//! The summary printed when a run ends.

use std::fmt::Write;

use faucet_core::{RunOutcome, RunReport};

/// The multi-line summary of a run.
pub(crate) fn render(report: &RunReport) -> String {
    let p = &report.progress;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} pipeline `{}`",
        headline(report.outcome),
        report.pipeline
    );
    let _ = writeln!(
        out,
        "  records     {} read, {} written, {} pages, {}",
        thousands(p.records_read),
        thousands(p.records_written),
        thousands(p.pages),
        bytes(p.bytes),
    );
    let _ = writeln!(
        out,
        "  elapsed     {:.2}s ({} records/s)",
        p.elapsed.as_secs_f64(),
        thousands(p.records_per_second().round() as u64),
    );
    let started = match &report.resumed_from {
        Some(checkpoint) => format!("resumed after {checkpoint}"),
        None => "from the start".to_owned(),
    };
    let _ = writeln!(out, "  started     {started}");
    match &report.last_checkpoint {
        Some(checkpoint) if checkpoint.as_value().is_null() => {
            let _ = writeln!(
                out,
                "  checkpoint  none: the source was read to its end, the next run starts over"
            );
        }
        Some(checkpoint) => {
            let _ = writeln!(out, "  checkpoint  {checkpoint}");
        }
        None => {}
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
        if i > 0 && (digits.len() - i) % 3 == 0 {
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
}
