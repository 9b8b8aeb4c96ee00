//! Child processes measured: wall time from spawn to reaping, CPU time
//! from `wait4`'s `rusage`, and peak resident set size from the kernel's
//! own high-water mark of the child's memory (`VmHWM` in
//! `/proc/PID/status`), read every few milliseconds while it runs.
//!
//! Why not `rusage.ru_maxrss`: Linux carries the high-water mark of the
//! memory a process had *before* `exec` into its `ru_maxrss`, and a child
//! spawned with `vfork`/`posix_spawn` (as Rust's `Command` does) runs on its
//! parent's memory until `exec`, so `ru_maxrss` reports the orchestrator's
//! size, not faucet's. `VmHWM` belongs to the new program's memory only.
//!
//! A [`Child`] sends its output to files (no pipe can fill up and stall
//! it) and is killed with SIGKILL and reaped if dropped while running.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A running child process.
#[derive(Debug)]
pub struct Child {
    child: std::process::Child,
    started: Instant,
    logs: tempfile::TempDir,
    reaped: bool,
    program: String,
}

/// How a child ended.
#[derive(Debug, Clone)]
pub struct Exit {
    /// Its exit status.
    pub status: ExitStatus,
    /// From spawn to reaping.
    pub wall: Duration,
    /// Peak resident set size in KiB (`VmHWM`; see the module docs).
    pub peak_rss_kib: u64,
    /// CPU time used, user plus system (`ru_utime + ru_stime`).
    pub cpu: Duration,
    /// Whether it was killed because it ran past its deadline.
    pub timed_out: bool,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl Exit {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Whether it was killed by SIGKILL.
    pub fn killed(&self) -> bool {
        use std::os::unix::process::ExitStatusExt;
        self.status.signal() == Some(libc::SIGKILL)
    }

    /// Whether its stderr shows a Rust panic.
    pub fn panicked(&self) -> bool {
        self.stderr.contains("panicked at") || self.status.code() == Some(101)
    }

    /// Peak RSS in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }

    /// A one-paragraph description for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "{} after {:.2?}{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.wall,
            if self.timed_out {
                " (timed out, killed)"
            } else {
                ""
            },
            tail(&self.stdout, 3000),
            tail(&self.stderr, 6000)
        )
    }
}

/// The peak RSS of the program `pid` runs now (`VmHWM`), in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

impl Child {
    /// Spawns `cmd` with stdin closed and stdout/stderr sent to files.
    pub fn spawn(cmd: &mut Command) -> anyhow::Result<Self> {
        let logs = tempfile::Builder::new()
            .prefix("faucet-bench-logs-")
            .tempdir()?;
        let stdout = std::fs::File::create(logs.path().join("stdout"))?;
        let stderr = std::fs::File::create(logs.path().join("stderr"))?;
        let program = format!("{:?}", cmd.get_program());
        let started = Instant::now();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        Ok(Self {
            child,
            started,
            logs,
            reaped: false,
            program,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Time since spawn.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The file its stdout goes to.
    pub fn stdout_path(&self) -> PathBuf {
        self.logs.path().join("stdout")
    }

    /// Sends `signal` (e.g. `libc::SIGKILL`, `libc::SIGTERM`); a process
    /// already gone is not an error.
    pub fn signal(&self, signal: i32) {
        if !self.reaped {
            // SAFETY: kill(2) with a pid we spawned and have not reaped, so
            // it cannot have been reused.
            unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        }
    }

    /// Whether it has exited (without reaping it).
    pub fn has_exited(&self) -> bool {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid with WNOWAIT only peeks at our own child.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                self.child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        // SAFETY: si_pid is valid for a filled-in siginfo from waitid.
        rc == 0 && unsafe { info.si_pid() } != 0
    }

    /// Waits until it exits, killing it with SIGKILL at `deadline` after
    /// spawn (then [`Exit::timed_out`] is set). Blocking; polls every 2 ms.
    pub fn wait(mut self, deadline: Duration) -> anyhow::Result<Exit> {
        let mut timed_out = false;
        let mut hwm = 0;
        let (status, rusage) = loop {
            hwm = hwm.max(vm_hwm_kib(self.child.id()).unwrap_or(0));
            if let Some(done) = self.reap(libc::WNOHANG)? {
                break done;
            }
            if !timed_out && self.started.elapsed() > deadline {
                self.signal(libc::SIGKILL);
                timed_out = true;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let wall = self.started.elapsed();
        let read = |name: &str| {
            std::fs::read(self.logs.path().join(name))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        Ok(Exit {
            status,
            wall,
            // A process too short-lived to be sampled falls back to
            // ru_maxrss, which may include the parent's size.
            peak_rss_kib: if hwm > 0 {
                hwm
            } else {
                rusage.ru_maxrss.max(0) as u64
            },
            cpu: timeval(rusage.ru_utime) + timeval(rusage.ru_stime),
            timed_out,
            stdout: read("stdout"),
            stderr: read("stderr"),
        })
    }

    /// SIGKILLs it and waits for it to be gone.
    pub fn kill(self) -> anyhow::Result<Exit> {
        self.signal(libc::SIGKILL);
        self.wait(Duration::from_secs(30))
    }

    fn reap(&mut self, flags: i32) -> anyhow::Result<Option<(ExitStatus, libc::rusage)>> {
        use std::os::unix::process::ExitStatusExt;
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it in.
        let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child's pid with valid out-pointers.
        let rc = unsafe {
            libc::wait4(
                self.child.id() as libc::pid_t,
                &mut status,
                flags,
                &mut rusage,
            )
        };
        match rc {
            0 => Ok(None),
            pid if pid > 0 => {
                self.reaped = true;
                Ok(Some((ExitStatus::from_raw(status), rusage)))
            }
            _ => {
                let err = std::io::Error::last_os_error();
                if err.kind() == std::io::ErrorKind::Interrupted {
                    return Ok(None);
                }
                bail!("wait4 on {} failed: {err}", self.program)
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            self.signal(libc::SIGKILL);
            let _ = self.reap(0);
        }
    }
}

/// A `faucet-fixture-server` process, killed when dropped.
#[derive(Debug)]
pub struct FixtureProcess {
    child: Child,
    url: String,
}

impl FixtureProcess {
    /// Starts `bin --records N --page-size P --latency-ms L --threads T` on
    /// a free port of 127.0.0.1 and waits for it to print its URL.
    pub fn start(
        bin: &Path,
        records: u64,
        page_size: u64,
        latency_ms: u64,
        threads: u32,
    ) -> anyhow::Result<Self> {
        let child = Child::spawn(
            Command::new(bin)
                .arg("--records")
                .arg(records.to_string())
                .arg("--page-size")
                .arg(page_size.to_string())
                .arg("--latency-ms")
                .arg(latency_ms.to_string())
                .arg("--threads")
                .arg(threads.to_string()),
        )?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let file = std::fs::File::open(child.stdout_path())?;
            let mut line = String::new();
            BufReader::new(file).read_line(&mut line)?;
            if line.ends_with('\n') {
                let url = line.trim().to_owned();
                return Ok(Self { child, url });
            }
            if child.has_exited() {
                let exit = child.wait(Duration::ZERO)?;
                bail!("fixture server exited early: {}", exit.describe());
            }
            if Instant::now() > deadline {
                bail!("fixture server printed no URL within 20 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }
}

/// CPU time (user + system) used so far by process `pid`, its live
/// children, and its children that exited and were reaped (`cutime`,
/// `cstime`). For a PostgreSQL postmaster this is the server's CPU time,
/// backends included. `None` when `/proc` cannot tell.
pub fn tree_cpu(pid: u32) -> Option<Duration> {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let fields = |pid: &str| -> Option<Vec<u64>> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let rest = stat.rsplit_once(')')?.1;
        Some(
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0))
                .collect(),
        )
    };
    let own = fields(&pid.to_string())?;
    let mut total = own.get(11)? + own.get(12)? + own.get(13)? + own.get(14)?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(name) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if let Some(f) = fields(name).filter(|f| f.get(1) == Some(&u64::from(pid))) {
            total += f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0);
        }
    }
    Some(Duration::from_secs_f64(total as f64 / ticks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_exit_status_output_and_rss() {
        let exit = Child::spawn(Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]))
            .unwrap()
            .wait(Duration::from_secs(10))
            .unwrap();
        assert_eq!(exit.status.code(), Some(3));
        assert_eq!(exit.stdout, "out\n");
        assert_eq!(exit.stderr, "err\n");
        assert!(exit.peak_rss_kib > 0);
        assert!(!exit.timed_out);
    }

    #[test]
    fn tree_cpu_counts_reaped_children() {
        let me = std::process::id();
        let before = tree_cpu(me).expect("/proc readable");
        let status = Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let after = tree_cpu(me).unwrap();
        assert!(after > before, "{before:?} -> {after:?}");
    }

    #[test]
    fn peak_rss_is_the_childs_not_the_parents() {
        // Make this process big, then measure a small child.
        let ballast = vec![1u8; 300 << 20];
        std::hint::black_box(&ballast);
        let exit = Child::spawn(Command::new("sleep").arg("0.3"))
            .unwrap()
            .wait(Duration::from_secs(10))
            .unwrap();
        assert!(exit.peak_rss_kib > 0);
        assert!(
            exit.peak_rss_mib() < 50.0,
            "sleep's peak RSS reported as {:.1} MiB",
            exit.peak_rss_mib()
        );
    }

    #[test]
    fn kills_at_the_deadline() {
        let exit = Child::spawn(Command::new("sleep").arg("30"))
            .unwrap()
            .wait(Duration::from_millis(100))
            .unwrap();
        assert!(exit.timed_out && exit.killed(), "{}", exit.describe());
    }
}
