//! The tap's process: spawned in a process group of its own, its stderr
//! forwarded as log lines, stopped with SIGTERM then SIGKILL.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faucet_core::{FaucetError, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio::task::JoinHandle;

use crate::mask::Masker;

/// Stderr lines kept for the error of a tap that fails.
const TAIL_LINES: usize = 20;

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    /// The tap's name, for messages (the executable's file name).
    pub(crate) name: String,
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) grace: Duration,
}

/// A running tap. Dropping it stops the tap's process group.
#[derive(Debug)]
pub(crate) struct Tap {
    pub(crate) name: String,
    child: Child,
    pgid: Option<i32>,
    grace: Duration,
    stderr: Option<JoinHandle<()>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// Milliseconds since `started` of the last stderr line.
    stderr_activity: Arc<AtomicU64>,
    started: Instant,
    exited: bool,
}

impl Tap {
    /// Starts the tap with piped stdout and stderr; stderr is forwarded
    /// on a task of its own.
    pub(crate) fn spawn(launch: &Launch, masker: &Masker) -> Result<(Tap, ChildStdout)> {
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().map_err(|e| {
            FaucetError::source_error(format!(
                "cannot start the tap `{}` ({}): {e}",
                launch.name,
                launch.program.display()
            ))
            .with_source(e)
        })?;
        let pgid = child.id().and_then(|id| i32::try_from(id).ok());
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let activity = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let forward = tokio::spawn(forward_stderr(
            stderr,
            launch.name.clone(),
            masker.clone(),
            tail.clone(),
            activity.clone(),
            started,
        ));
        let tap = Tap {
            name: launch.name.clone(),
            child,
            pgid,
            grace: launch.grace,
            stderr: Some(forward),
            tail,
            stderr_activity: activity,
            started,
            exited: false,
        };
        Ok((tap, stdout))
    }

    /// How long ago the tap last wrote to stderr.
    pub(crate) fn since_stderr(&self) -> Duration {
        let at = Duration::from_millis(self.stderr_activity.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(at)
    }

    /// Waits for the tap to exit (its stdout has ended) and for its stderr
    /// to be forwarded, at most `timeout`; a tap that does not exit by
    /// then is stopped and the wait is an error.
    pub(crate) async fn wait(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let status = match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => {
                return Err(FaucetError::source_error(format!(
                    "cannot wait for the tap `{}`: {e}",
                    self.name
                ))
                .with_source(e));
            }
            Err(_) => {
                self.stop().await;
                return Err(FaucetError::source_error(format!(
                    "the tap `{}` closed its stdout but did not exit within {}s; it was stopped",
                    self.name,
                    timeout.as_secs()
                )));
            }
        };
        self.exited = true;
        if let Some(forward) = self.stderr.take() {
            // The stderr pipe may be held open by a grandchild: bounded.
            let _ = tokio::time::timeout(Duration::from_secs(2), forward).await;
        }
        Ok(status)
    }

    /// The error for a tap that exited with `status`, with its last
    /// stderr lines (already masked).
    pub(crate) fn failure(&self, status: ExitStatus) -> FaucetError {
        use std::os::unix::process::ExitStatusExt;
        let how = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            _ => format!("ended ({status})"),
        };
        FaucetError::source_error(format!(
            "the tap `{}` {how}; its last stderr lines:\n{}",
            self.name,
            self.tail_text()
        ))
    }

    /// The last stderr lines, one per line.
    pub(crate) fn tail_text(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.is_empty() {
            return "(none)".to_owned();
        }
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Stops the tap's process group: SIGTERM, then SIGKILL after the
    /// grace period, and reaps the tap.
    pub(crate) async fn stop(&mut self) {
        if self.exited {
            return;
        }
        signal_group(self.pgid, libc::SIGTERM);
        if tokio::time::timeout(self.grace, self.child.wait())
            .await
            .is_err()
        {
            signal_group(self.pgid, libc::SIGKILL);
            let _ = self.child.wait().await;
        }
        // Whatever the tap left in its group goes too.
        signal_group(self.pgid, libc::SIGKILL);
        self.exited = true;
        if let Some(forward) = self.stderr.take() {
            forward.abort();
        }
    }
}

impl Drop for Tap {
    /// A tap still running when its source's stream is dropped (the run
    /// was abandoned) is stopped like a cancelled one, from a thread: Drop
    /// cannot wait.
    fn drop(&mut self) {
        if let Some(forward) = self.stderr.take() {
            forward.abort();
        }
        if self.exited {
            return;
        }
        let Some(pgid) = self.pgid else { return };
        signal_group(Some(pgid), libc::SIGTERM);
        let grace = self.grace;
        std::thread::spawn(move || {
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline {
                // SAFETY: signal 0 only asks whether the group exists.
                if unsafe { libc::kill(-pgid, 0) } != 0 {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            signal_group(Some(pgid), libc::SIGKILL);
        });
    }
}

/// Sends `signal` to the process group `pgid` (the tap and whatever it
/// started), if there is one.
fn signal_group(pgid: Option<i32>, signal: i32) {
    if let Some(pgid) = pgid.filter(|&p| p > 0) {
        // SAFETY: kill(2) with a negative pid signals that process group;
        // it has no memory effects, and an error (the group is gone) is
        // what we want to ignore.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

/// Forwards each stderr line as a log event at the level the line names.
async fn forward_stderr(
    stderr: ChildStderr,
    tap: String,
    masker: Masker,
    tail: Arc<Mutex<VecDeque<String>>>,
    activity: Arc<AtomicU64>,
    started: Instant,
) {
    let mut lines = BufReader::new(stderr).split(b'\n');
    while let Ok(Some(line)) = lines.next_segment().await {
        activity.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        let text = masker.mask_bytes(line.strip_suffix(b"\r").unwrap_or(&line));
        if text.trim().is_empty() {
            continue;
        }
        log_line(&tap, &text);
        let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(text);
    }
}

/// The log level a tap's line names: the Singer SDK writes
/// `2024-01-01 00:00:00,000 | INFO | tap-x | message`, others `INFO …`
/// or `level=info`; anything else is info.
pub(crate) fn level_of(line: &str) -> tracing::Level {
    let fields: Vec<&str> = if line.contains(" | ") {
        line.split('|').map(str::trim).take(3).collect()
    } else {
        line.split_whitespace().take(2).collect()
    };
    let named = fields
        .into_iter()
        .map(|w| w.trim_matches(|c: char| c == '[' || c == ']' || c == ':'))
        .chain(
            line.split_whitespace()
                .filter_map(|w| w.strip_prefix("level=")),
        );
    for word in named {
        match word.to_ascii_uppercase().as_str() {
            "CRITICAL" | "FATAL" | "ERROR" => return tracing::Level::ERROR,
            "WARNING" | "WARN" => return tracing::Level::WARN,
            "INFO" => return tracing::Level::INFO,
            "DEBUG" => return tracing::Level::DEBUG,
            "TRACE" => return tracing::Level::TRACE,
            _ => {}
        }
    }
    tracing::Level::INFO
}

fn log_line(tap: &str, line: &str) {
    match level_of(line) {
        tracing::Level::ERROR => tracing::error!(tap, "{line}"),
        tracing::Level::WARN => tracing::warn!(tap, "{line}"),
        tracing::Level::INFO => tracing::info!(tap, "{line}"),
        tracing::Level::DEBUG => tracing::debug!(tap, "{line}"),
        _ => tracing::trace!(tap, "{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn levels_are_read_from_sdk_and_plain_lines() {
        let sdk = "2024-01-01 00:00:00,000 | WARNING  | tap-x | slow";
        assert_eq!(level_of(sdk), Level::WARN);
        assert_eq!(level_of("ERROR something broke"), Level::ERROR);
        assert_eq!(level_of("time=1 level=debug msg=x"), Level::DEBUG);
        assert_eq!(level_of("CRITICAL | boom"), Level::ERROR);
        assert_eq!(
            level_of("just text about an error later on in the line"),
            Level::INFO
        );
    }
}
