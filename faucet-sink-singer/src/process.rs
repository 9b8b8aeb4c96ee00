//! The target process: started in a process group of its own, fed on its
//! stdin, its stdout lines handed on, its stderr logged, stopped with
//! SIGTERM then SIGKILL.
//!
//! The target runs in its own process group, so a Ctrl-C at the terminal
//! reaches faucet only, and faucet closes the target's input at a page
//! boundary instead of the target dying mid-batch. Stopping it (a failed
//! or abandoned run, an idle target, the sink dropped) signals the whole
//! group, so a target's own children stop too.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faucet_core::connector::*;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::activity::{Activity, guarded};
use crate::logs::{STDERR_TAIL, forward_line};
use crate::mask::Masker;

/// How to start a target.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    /// The program to run.
    pub(crate) program: PathBuf,
    /// Its arguments, before `--config <file>`.
    pub(crate) args: Vec<String>,
    /// The target's settings, for the config file.
    pub(crate) config: Map<String, Value>,
    /// Extra environment variables.
    pub(crate) env: Vec<(String, String)>,
    /// The longest wait on a target doing nothing.
    pub(crate) idle: Duration,
    /// From SIGTERM to SIGKILL.
    pub(crate) grace: Duration,
    /// Masks secrets in everything shown.
    pub(crate) masker: Masker,
    /// The target's name in messages.
    pub(crate) name: String,
}

/// A running target.
#[derive(Debug)]
pub(crate) struct Target {
    child: Child,
    pid: Option<i32>,
    stdin: Option<ChildStdin>,
    stderr: Option<JoinHandle<()>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    activity: Arc<Activity>,
    launch: Arc<Launch>,
    exited: bool,
    /// The config file; removed when the target is dropped.
    _config: tempfile::NamedTempFile,
}

impl Target {
    /// Starts the target; its stdout lines go to `lines`.
    pub(crate) fn start(launch: Arc<Launch>, lines: mpsc::Sender<Vec<u8>>) -> Result<Self> {
        let config = config_file(&launch.config)?;
        let mut command = Command::new(&launch.program);
        command
            .args(&launch.args)
            .arg("--config")
            .arg(config.path())
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().map_err(|e| {
            FaucetError::config(
                "executable",
                format!(
                    "cannot start the Singer target {}: {e}",
                    launch.program.display()
                ),
            )
        })?;
        let pid = child.id().and_then(|p| i32::try_from(p).ok());
        tracing::info!(target_name = %launch.name, pid, "Started the Singer target");
        let activity = Arc::new(Activity::new());
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(read_stdout(stdout, lines, Arc::clone(&activity)));
        }
        let stderr = child.stderr.take().map(|stderr| {
            tokio::spawn(read_stderr(
                stderr,
                Arc::clone(&launch),
                Arc::clone(&tail),
                Arc::clone(&activity),
            ))
        });
        Ok(Self {
            stdin: child.stdin.take(),
            child,
            pid,
            stderr,
            tail,
            activity,
            launch,
            exited: false,
            _config: config,
        })
    }

    /// Writes `bytes` to the target's stdin. A target that stops reading
    /// for the idle timeout is stopped; one that exited is an error with
    /// its exit status and last stderr lines.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(FaucetError::sink_error(
                "the Singer target's input is closed",
            ));
        };
        let activity = Arc::clone(&self.activity);
        let written = guarded(&self.activity, self.launch.idle, async {
            for chunk in bytes.chunks(64 * 1024) {
                stdin.write_all(chunk).await?;
                activity.touch();
            }
            Ok::<(), std::io::Error>(())
        })
        .await;
        match written {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(self.stopped_reading(e).await),
            None => {
                self.terminate().await;
                Err(self.idle_error("reading its input"))
            }
        }
    }

    /// Closes the target's input and waits for it to exit (each line it
    /// writes restarts the idle timeout); a non-zero exit is an error.
    pub(crate) async fn close(&mut self) -> Result<()> {
        drop(self.stdin.take());
        let status = guarded(&self.activity, self.launch.idle, self.child.wait()).await;
        match status {
            None => {
                self.terminate().await;
                Err(self.idle_error("exiting after its input ended"))
            }
            Some(Err(e)) => {
                Err(FaucetError::sink_error("cannot wait for the Singer target").with_source(e))
            }
            Some(Ok(status)) => {
                self.exited = true;
                self.drain_stderr().await;
                if status.success() {
                    tracing::info!(target_name = %self.launch.name, "The Singer target exited");
                    Ok(())
                } else {
                    Err(self.exit_error(status))
                }
            }
        }
    }

    /// Stops the target's process group: SIGTERM, then SIGKILL after the
    /// grace period, and reaps it.
    pub(crate) async fn terminate(&mut self) {
        if self.exited {
            return;
        }
        drop(self.stdin.take());
        if let Ok(Some(_)) = self.child.try_wait() {
            self.exited = true;
            return;
        }
        signal_group(self.pid, libc::SIGTERM);
        let waited = tokio::time::timeout(self.launch.grace, self.child.wait()).await;
        if waited.is_err() {
            tracing::warn!(target_name = %self.launch.name, "The Singer target ignored SIGTERM; sending SIGKILL");
            signal_group(self.pid, libc::SIGKILL);
            let _ = self.child.wait().await;
        }
        self.exited = true;
        self.drain_stderr().await;
    }

    /// The error for a write the target did not take: its exit status
    /// and stderr when it has exited, else it is stopped.
    async fn stopped_reading(&mut self, e: std::io::Error) -> FaucetError {
        drop(self.stdin.take());
        match tokio::time::timeout(self.launch.grace, self.child.wait()).await {
            Ok(Ok(status)) => {
                self.exited = true;
                self.drain_stderr().await;
                self.exit_error(status)
            }
            _ => {
                self.terminate().await;
                FaucetError::sink_error(format!(
                    "the Singer target {} stopped reading its input{}",
                    self.launch.name,
                    self.stderr_tail()
                ))
                .with_source(e)
            }
        }
    }

    /// Waits a little for the last stderr lines (the pipe closes when the
    /// target and its children are gone).
    async fn drain_stderr(&mut self) {
        if let Some(task) = self.stderr.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
    }

    fn exit_error(&self, status: ExitStatus) -> FaucetError {
        use std::os::unix::process::ExitStatusExt;
        let how = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            (None, None) => format!("ended ({status})"),
        };
        FaucetError::sink_error(format!(
            "the Singer target {} {how}{}",
            self.launch.name,
            self.stderr_tail()
        ))
    }

    fn idle_error(&self, doing: &str) -> FaucetError {
        FaucetError::sink_error(format!(
            "the Singer target {} was stopped after {} s without {doing} or writing a line \
             (idle_timeout_secs){}",
            self.launch.name,
            self.launch.idle.as_secs(),
            self.stderr_tail()
        ))
    }

    /// `; its last lines on stderr:` and those lines (masked), or nothing.
    fn stderr_tail(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        if tail.is_empty() {
            return "; it wrote nothing on stderr".to_owned();
        }
        let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
        format!("; its last lines on stderr:\n{}", lines.join("\n"))
    }
}

impl Drop for Target {
    /// A target still running when the sink lets go of it (an abandoned
    /// run) gets SIGTERM, and SIGKILL after the grace period, from a
    /// thread of its own.
    fn drop(&mut self) {
        if self.exited || matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let (pid, grace) = (self.pid, self.launch.grace);
        signal_group(pid, libc::SIGTERM);
        std::thread::spawn(move || {
            let step = Duration::from_millis(100);
            let mut waited = Duration::ZERO;
            while waited < grace && group_alive(pid) {
                std::thread::sleep(step);
                waited += step;
            }
            if group_alive(pid) {
                signal_group(pid, libc::SIGKILL);
            }
        });
    }
}

/// The target's config in a file only this user can read.
fn config_file(config: &Map<String, Value>) -> Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("faucet-singer-target-")
        .suffix(".json")
        .tempfile()
        .map_err(|e| {
            FaucetError::sink_error("cannot create the target's config file").with_source(e)
        })?;
    faucet_core::serde_json::to_writer(&mut file, config)?;
    file.flush().map_err(|e| {
        FaucetError::sink_error("cannot write the target's config file").with_source(e)
    })?;
    Ok(file)
}

fn signal_group(pid: Option<i32>, signal: i32) {
    if let Some(pid) = pid.filter(|p| *p > 0) {
        // SAFETY: kill(2) with a negative pid signals that process group;
        // it touches no memory of ours.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn group_alive(pid: Option<i32>) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    pid.filter(|p| *p > 0)
        .is_some_and(|pid| unsafe { libc::kill(-pid, 0) } == 0)
}

/// Hands each stdout line on until the pipe closes or nobody listens.
async fn read_stdout(
    stdout: impl AsyncRead + Unpin,
    lines: mpsc::Sender<Vec<u8>>,
    activity: Arc<Activity>,
) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                activity.touch();
                if lines.send(line).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Logs each stderr line (masked) at its level and keeps the last ones.
async fn read_stderr(
    stderr: impl AsyncRead + Unpin,
    launch: Arc<Launch>,
    tail: Arc<Mutex<VecDeque<String>>>,
    activity: Arc<Activity>,
) {
    let mut reader = BufReader::new(stderr);
    loop {
        let mut raw = Vec::new();
        match reader.read_until(b'\n', &mut raw).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                activity.touch();
                let text = String::from_utf8_lossy(&raw);
                let line = launch.masker.mask(text.trim_end()).into_owned();
                if line.is_empty() {
                    continue;
                }
                forward_line(&launch.name, &line);
                let mut tail = tail.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
    }
}
