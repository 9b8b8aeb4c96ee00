//! Shows a run's progress: a bar on a terminal, log lines otherwise, and
//! the final summary in every case.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use faucet_core::{Checkpoint, Completion, DeliveryGuarantee, Observer, Progress, RunReport};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::ProgressMode;
use crate::secrets;
use crate::summary;

/// How often a log line is written when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(2);

/// The bar on screen, if any, so that log lines can be drawn above it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Runs `write` with the progress bar, if one is drawn, cleared from the
/// screen, so that what it writes to stderr is not mixed into the bar.
pub(crate) fn above_bar<T>(write: impl FnOnce() -> T) -> T {
    let bar = ACTIVE_BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// An [`Observer`] that writes to stderr.
#[derive(Debug)]
pub(crate) struct ProgressView {
    bar: Option<ProgressBar>,
    log_lines: bool,
    /// Whether the text summary is printed when the run ends.
    summary: bool,
    /// When the last log line was written; `None` before the first page,
    /// which is always logged.
    last_line: Mutex<Option<Instant>>,
}

impl ProgressView {
    /// A view for `mode` (`Auto` picks a bar when stderr is a terminal).
    pub(crate) fn new(mode: ProgressMode) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = matches!(mode, ProgressMode::Bar) || (mode == ProgressMode::Auto && terminal);
        let log_lines = mode == ProgressMode::Log || (mode == ProgressMode::Auto && !terminal);
        let bar = bar.then(new_bar);
        *ACTIVE_BAR.lock().unwrap_or_else(|e| e.into_inner()) = bar.clone();
        Self {
            bar,
            log_lines,
            summary: true,
            last_line: Mutex::new(None),
        }
    }

    /// Leaves the final summary out (the report is printed as JSON).
    #[must_use]
    pub(crate) fn without_summary(mut self) -> Self {
        self.summary = false;
        self
    }

    /// Prints a line above the bar (or plainly), secrets masked.
    pub(crate) fn println(&self, line: &str) {
        let line = secrets::redact(line);
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner:.green} [{elapsed_precise}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_message("starting…");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `12,345 records · 124 pages · 8,100 records/s`, or, when the source
/// announced a total, `12,345 of 50,000 records (24.7%) · 124 pages ·
/// 8,100 records/s · ETA 5s`; then, for a source reading several streams,
/// each stream's records written (of its total, when announced):
/// `· accounts 12 · orders 30/40`.
pub(crate) fn progress_line(progress: &Progress) -> String {
    let mut line = total_line(progress);
    for (name, s) in &progress.streams {
        line.push_str(&format!(
            " · {name} {}",
            summary::thousands(s.records_written)
        ));
        if let Some(total) = s.expected_total {
            line.push_str(&format!("/{}", summary::thousands(total)));
        }
    }
    line
}

/// The line for the whole run, without streams.
fn total_line(progress: &Progress) -> String {
    let done = progress.records_written;
    let rate = progress.records_per_second();
    let pages = summary::thousands(progress.pages);
    let per_second = summary::thousands(rate.round() as u64);
    match progress.expected_total.filter(|total| *total > 0) {
        Some(total) => {
            let percent = (done as f64 / total as f64 * 100.0).min(100.0);
            let left = total.saturating_sub(done);
            let eta = if rate > 0.0 {
                format!("{}s", (left as f64 / rate).ceil() as u64)
            } else {
                "unknown".to_owned()
            };
            format!(
                "{} of {} records ({percent:.1}%) · {pages} pages · {per_second} records/s · ETA {eta}",
                summary::thousands(done),
                summary::thousands(total),
            )
        }
        None => format!(
            "{} records · {pages} pages · {per_second} records/s",
            summary::thousands(done)
        ),
    }
}

impl Observer for ProgressView {
    fn on_start(
        &self,
        pipeline: &str,
        resumed_from: Option<&Checkpoint>,
        guarantee: DeliveryGuarantee,
    ) {
        let from = match resumed_from {
            Some(checkpoint) if Completion::from_checkpoint(checkpoint).is_none() => {
                format!("resuming after {checkpoint}")
            }
            _ => "from the start".to_owned(),
        };
        self.println(&format!(
            "Running pipeline `{pipeline}` {from} ({guarantee})"
        ));
    }

    fn on_page(&self, progress: &Progress) {
        if let Some(bar) = &self.bar {
            bar.set_message(progress_line(progress));
        }
        if self.log_lines {
            let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
                *last = Some(Instant::now());
                eprintln!(
                    "progress: {:.1}s · {}",
                    progress.elapsed.as_secs_f64(),
                    progress_line(progress)
                );
            }
        }
    }

    fn on_finish(&self, report: &RunReport) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            *ACTIVE_BAR.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        if self.summary {
            eprint!("{}", secrets::redact(&summary::render(report)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_total_shows_records_of_total_percent_and_eta() {
        let mut progress = Progress::default();
        progress.records_written = 2_500;
        progress.pages = 25;
        progress.elapsed = Duration::from_secs(5);
        assert_eq!(
            progress_line(&progress),
            "2,500 records · 25 pages · 500 records/s"
        );
        progress.expected_total = Some(10_000);
        assert_eq!(
            progress_line(&progress),
            "2,500 of 10,000 records (25.0%) · 25 pages · 500 records/s · ETA 15s"
        );
    }

    #[test]
    fn each_stream_is_shown_with_its_total_when_known() {
        let mut progress = Progress::default();
        progress.records_written = 42;
        progress.pages = 4;
        let mut accounts = faucet_core::StreamProgress::default();
        accounts.records_written = 12;
        let mut orders = faucet_core::StreamProgress::default();
        orders.records_written = 30;
        orders.expected_total = Some(40);
        progress.streams.insert("accounts".into(), accounts);
        progress.streams.insert("orders".into(), orders);
        assert_eq!(
            progress_line(&progress),
            "42 records · 4 pages · 0 records/s · accounts 12 · orders 30/40"
        );
    }
}
