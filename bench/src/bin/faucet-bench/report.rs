//! Samples, medians and the markdown report.

use std::fmt::Write as _;

/// One scenario's measurements across runs.
#[derive(Debug, Default)]
pub(crate) struct Series {
    /// Scenario title, e.g. "1. REST → PostgreSQL append".
    pub(crate) title: String,
    /// Records per run.
    pub(crate) records: u64,
    /// What faucet is compared against.
    pub(crate) baseline_name: String,
    /// faucet's figure per run (records/s, or seconds where said).
    pub(crate) faucet: Vec<f64>,
    /// The baseline's figure per run, measured in the same run.
    pub(crate) baseline: Vec<f64>,
    /// The binary `\copy` rate of each run (records/s), aligned with
    /// `faucet`: `None` for a run without one (a series not compared with
    /// the server's own ingest limit, or a failed `\copy`).
    pub(crate) binary: Vec<Option<f64>>,
    /// Peak RSS of the faucet process per run, MiB.
    pub(crate) rss_mib: Vec<f64>,
    /// The faucet process's CPU time (user + system) per record, µs, per
    /// run: the figure that depends least on the machine's load.
    pub(crate) cpu_us_per_record: Vec<f64>,
    /// CPU time of the faucet process over its wall time, per run (1.0 =
    /// one core busy throughout).
    pub(crate) cores: Vec<f64>,
    /// PostgreSQL's CPU time over wall time during faucet's runs.
    pub(crate) server_cores: Vec<f64>,
    /// PostgreSQL's CPU time over wall time during the baseline's runs.
    pub(crate) baseline_server_cores: Vec<f64>,
    /// The fixture API server's CPU time over wall time during faucet's
    /// runs.
    pub(crate) api_cores: Vec<f64>,
    /// The target, as text, and the ratio it needs.
    pub(crate) target: String,
    /// Minimum median ratio that meets the target.
    pub(crate) target_ratio: f64,
    /// Why runs could not be measured (each reason once).
    pub(crate) failures: Vec<String>,
}

impl Series {
    pub(crate) fn new(title: &str, records: u64, baseline: &str, target: &str, ratio: f64) -> Self {
        Self {
            title: title.to_owned(),
            records,
            baseline_name: baseline.to_owned(),
            target: target.to_owned(),
            target_ratio: ratio,
            ..Self::default()
        }
    }

    pub(crate) fn fail(&mut self, reason: String) {
        eprintln!("  ! {}: {reason}", self.title);
        if !self.failures.contains(&reason) {
            self.failures.push(reason);
        }
    }

    /// Per-run ratios faucet / baseline, for runs where both were measured.
    pub(crate) fn ratios(&self) -> Vec<f64> {
        let baseline = self.baseline.iter().copied().map(Some);
        per_run_ratios(&self.faucet, baseline)
    }

    /// Per-run ratios faucet / binary `\copy`, for runs that have one.
    pub(crate) fn binary_ratios(&self) -> Vec<f64> {
        per_run_ratios(&self.faucet, self.binary.iter().copied())
    }
}

fn per_run_ratios(faucet: &[f64], of: impl Iterator<Item = Option<f64>>) -> Vec<f64> {
    faucet
        .iter()
        .zip(of)
        .filter_map(|(f, b)| b.map(|b| f / b))
        .collect()
}

/// The peak RSS every scenario must stay under, MiB.
pub(crate) const RSS_LIMIT_MIB: f64 = 48.0;

/// Median, min and max; `None` when empty.
pub(crate) fn stats(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((median, v[0], v[n - 1]))
}

fn rate(values: &[f64]) -> String {
    match stats(values) {
        Some((m, lo, hi)) => format!("{} ({}–{})", thousands(m), thousands(lo), thousands(hi)),
        None => "—".to_owned(),
    }
}

fn ratio(values: &[f64]) -> String {
    match stats(values) {
        Some((m, lo, hi)) => format!("**{m:.2}×** ({lo:.2}–{hi:.2})"),
        None => "—".to_owned(),
    }
}

fn mib(values: &[f64]) -> String {
    match stats(values) {
        Some((m, lo, hi)) => format!("{m:.1} ({lo:.1}–{hi:.1})"),
        None => "—".to_owned(),
    }
}

/// `1234567.8` as `1,234,568`.
pub(crate) fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The throughput table: one row per series.
pub(crate) fn throughput_table(series: &[&Series]) -> String {
    let mut out = String::from(
        "| scenario | records | faucet records/s, median (min–max) | baseline | baseline records/s | \
         ratio, median (min–max) | target | met | vs binary `\\copy` | \
         faucet CPU per record (µs) | faucet peak RSS MiB | RSS < 48 MiB |\n\
         |---|---:|---:|---|---:|---:|---|---|---:|---:|---:|---|\n",
    );
    for s in series {
        let ratios = s.ratios();
        let met = match stats(&ratios) {
            Some((m, _, _)) if m >= s.target_ratio => "yes",
            Some(_) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.title,
            thousands(s.records as f64),
            rate(&s.faucet),
            s.baseline_name,
            rate(&s.baseline),
            ratio(&ratios),
            s.target,
            met,
            ratio(&s.binary_ratios()),
            micros(&s.cpu_us_per_record),
            mib(&s.rss_mib),
            under(&s.rss_mib, RSS_LIMIT_MIB),
        );
    }
    out
}

fn micros(values: &[f64]) -> String {
    match stats(values) {
        Some((m, lo, hi)) => format!("{m:.2} ({lo:.2}–{hi:.2})"),
        None => "—".to_owned(),
    }
}

/// `yes` when every run's peak stayed under `limit`.
fn under(values: &[f64], limit: f64) -> &'static str {
    match stats(values) {
        Some((_, _, hi)) if hi < limit => "yes",
        Some(_) => "**no**",
        None => "—",
    }
}

fn cores(values: &[f64]) -> String {
    match stats(values) {
        Some((m, lo, hi)) => format!("{m:.2} ({lo:.2}–{hi:.2})"),
        None => "—".to_owned(),
    }
}

/// Where the time goes: CPU over wall time of faucet and of PostgreSQL,
/// for faucet's runs and the baseline's.
pub(crate) fn cpu_table(series: &[&Series]) -> String {
    let mut out = String::from(
        "| scenario | faucet CPU ÷ wall | fixture API CPU ÷ wall, faucet run | \
         PostgreSQL CPU ÷ wall, faucet run | PostgreSQL CPU ÷ wall, baseline run |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for s in series {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            s.title,
            cores(&s.cores),
            cores(&s.api_cores),
            cores(&s.server_cores),
            cores(&s.baseline_server_cores)
        );
    }
    out
}

/// Every failure reason, by series.
pub(crate) fn failures(series: &[&Series]) -> String {
    let mut out = String::new();
    for s in series {
        for reason in &s.failures {
            let _ = writeln!(out, "- **{}** could not be measured: {reason}", s.title);
        }
    }
    out
}

/// The peak RSS table (scenario 6).
pub(crate) fn rss_table(sizes: &[(u64, Vec<f64>, Vec<String>)], limit_mib: f64) -> String {
    let mut out = String::from(
        "| records | peak RSS MiB, median (min–max) | under target |\n|---:|---:|---|\n",
    );
    for (records, values, failures) in sizes {
        let under = match under(values, limit_mib) {
            "—" => format!("not measured: {}", failures.join("; ")),
            judged => judged.to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {under} |",
            thousands(*records as f64),
            mib(values)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_thousands() {
        assert_eq!(stats(&[3.0, 1.0, 2.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(stats(&[4.0, 1.0, 2.0, 3.0]), Some((2.5, 1.0, 4.0)));
        assert_eq!(stats(&[]), None);
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }

    #[test]
    fn rss_is_judged_on_the_worst_run_and_ratios_pair_runs() {
        assert_eq!(under(&[40.0, 47.9], 48.0), "yes");
        assert_eq!(under(&[40.0, 48.0], 48.0), "**no**");
        assert_eq!(under(&[], 48.0), "—");
        let mut s = Series::new("x", 10, "b", "≥ 1.3×", 1.3);
        s.faucet = vec![300.0, 260.0];
        s.baseline = vec![200.0, 200.0];
        s.binary = vec![None, Some(260.0)];
        assert_eq!(s.ratios(), [1.5, 1.3]);
        assert_eq!(s.binary_ratios(), [1.0]);
        s.cpu_us_per_record = vec![0.8, 1.2, 1.0];
        let table = throughput_table(&[&s]);
        let row = table.lines().nth(2).unwrap();
        assert!(
            row.contains("| yes | **1.00×** (1.00–1.00) | 1.00 (0.80–1.20) |"),
            "{row}"
        );
    }
}
