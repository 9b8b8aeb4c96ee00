//! Taps that fail, print garbage, hang or are cancelled; secrets stay
//! masked throughout.

mod support;

use std::time::{Duration, Instant};

use faucet_core::connector::*;
use faucet_core::{FaucetError, Pipeline};
use faucet_source_singer::SingerSource;
use support::*;

/// A sink that keeps nothing: these tests look at errors.
struct Discard;

#[async_trait]
impl Sink for Discard {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        Ok(records.len())
    }
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::default().streams()
    }
}

async fn run_tap(
    body: &str,
    configure: impl FnOnce(&mut faucet_source_singer::SingerSourceConfig),
) -> (FaucetError, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let tap = script_tap(dir.path(), "tap-test", body);
    let mut config = config_for(&tap);
    configure(&mut config);
    let source = SingerSource::new(config).unwrap();
    let err = Pipeline::new(&source, Discard).run().await.unwrap_err();
    (err, dir)
}

#[tokio::test(flavor = "current_thread")]
async fn a_failing_tap_fails_the_run_with_its_exit_code_and_stderr() {
    let body = r#"
schema("s", {"id": {"type": "integer"}})
record("s", {"id": 1})
for i in range(30):
    print("2024-01-01 00:00:00,000 | INFO | tap-test | line %d" % i, file=sys.stderr)
print("2024-01-01 00:00:00,000 | ERROR | tap-test | cannot connect to db.example:5432", file=sys.stderr)
sys.exit(1)
"#;
    let logs = Logs::default();
    let _guard = logs.capture();
    let (err, _dir) = run_tap(body, |_| {}).await;
    let text = err.to_string();
    assert!(matches!(err, FaucetError::Source { .. }), "{err:?}");
    assert!(
        text.contains("the tap `tap-test` exited with code 1"),
        "{text}"
    );
    assert!(text.contains("cannot connect to db.example:5432"), "{text}");
    // The last 20 lines, not all of them.
    assert!(
        text.contains("line 29") && !text.contains("line 9\n"),
        "{text}"
    );
    // Forwarded as log lines at the tap's level.
    let logs = logs.text();
    let error_line = logs.lines().find(|l| l.contains("cannot connect")).unwrap();
    assert!(error_line.contains("ERROR"), "{error_line}");
    let info_line = logs
        .lines()
        .find(|l| l.contains("line 3 ") || l.ends_with("line 3"))
        .unwrap();
    assert!(info_line.contains("INFO"), "{info_line}");
}

#[tokio::test(flavor = "current_thread")]
async fn garbage_on_stdout_names_the_line_and_its_start() {
    let body = r#"
schema("s", {"id": {"type": "integer"}})
record("s", {"id": 1})
print("Connecting to the database with password hunter2-pw-xyz ... and much more text after it, well past eighty bytes of it")
"#;
    let (err, _dir) = run_tap(body, |c| {
        c.config.insert("password".into(), json!("hunter2-pw-xyz"));
    })
    .await;
    let text = err.to_string();
    assert!(matches!(err, FaucetError::Decode { .. }), "{err:?}");
    assert!(text.contains("stdout line 3"), "{text}");
    assert!(
        text.contains("the line starts: Connecting to the database with password ******"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2-pw-xyz") && !text.contains("eighty bytes"),
        "{text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_record_before_its_schema_names_the_stream() {
    let (err, _dir) = run_tap(r#"record("orphans", {"id": 1})"#, |_| {}).await;
    let text = err.to_string();
    assert!(
        text.contains("stream `orphans`") && text.contains("line 1"),
        "{text}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn batch_messages_of_unknown_storage_are_refused_clearly() {
    let body = r#"
schema("s", {})
emit({"type": "BATCH", "stream": "s", "encoding": {"format": "jsonl", "compression": "gzip"}, "manifest": ["s3://bucket/x.gz"]})
"#;
    let (err, _dir) = run_tap(body, |_| {}).await;
    assert!(matches!(err, FaucetError::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("file:// URLs"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_hanging_tap_is_stopped_by_the_idle_timeout() {
    let body = r#"
open(CONFIG["pid_file"], "w").write(str(os.getpid()))
schema("s", {"id": {"type": "integer"}})
record("s", {"id": 1})
sys.stdout.flush()
time.sleep(60)
"#;
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let started = Instant::now();
    let (err, _tap_dir) = run_tap(body, |c| {
        c.idle_timeout_secs = 1;
        c.kill_grace_secs = 1;
        c.config.insert("pid_file".into(), json!(pid_file));
    })
    .await;
    let text = err.to_string();
    assert!(
        text.contains("wrote nothing for 1s (idle_timeout_secs)"),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let pid: u32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    assert!(!alive(pid), "the tap {pid} still runs");
}

#[tokio::test(flavor = "current_thread")]
async fn cancelling_stops_the_tap_and_its_children() {
    let body = r#"
import subprocess
child = subprocess.Popen(["sleep", "60"])
open(CONFIG["pid_file"], "w").write("%d %d" % (os.getpid(), child.pid))
schema("s", {"id": {"type": "integer"}})
i = 0
while True:
    record("s", {"id": i}); i += 1
    sys.stdout.flush()
    time.sleep(0.01)
"#;
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let tap = script_tap(dir.path(), "tap-test", body);
    let mut config = config_for(&tap);
    config.kill_grace_secs = 1;
    config.page_max_ms = 50;
    config.config.insert("pid_file".into(), json!(pid_file));
    let source = SingerSource::new(config).unwrap();
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        stopper.cancel();
    });
    let report = Pipeline::new(&source, Discard)
        .with_cancel(cancel)
        .run()
        .await;
    let report = report.expect("a cancelled run reports");
    assert_eq!(report.outcome, faucet_core::RunOutcome::Cancelled);
    assert!(report.progress.records_written > 0);
    let pids = std::fs::read_to_string(&pid_file).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for pid in pids.split(' ') {
        let pid: u32 = pid.parse().unwrap();
        assert!(!alive(pid), "process {pid} of the tap still runs");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_errors_or_logs_and_the_config_file_is_private_and_removed() {
    let body = r#"
path = arg("--config")
mode = oct(os.stat(path).st_mode & 0o777)
print("INFO | config file %s mode %s" % (path, mode), file=sys.stderr)
print("DEBUG | connecting with " + json.dumps(CONFIG), file=sys.stderr)
print("WARNING | token was " + CONFIG["nested"]["api_token"], file=sys.stderr)
sys.exit(2)
"#;
    let logs = Logs::default();
    let _guard = logs.capture();
    let (err, _dir) = run_tap(body, |c| {
        c.config
            .insert("password".into(), json!("pa$$-w0rd-secret"));
        c.config
            .insert("nested".into(), json!({"api_token": "tok-abcdef-123"}));
        c.config.insert("host".into(), json!("db.internal"));
        c.env
            .insert("CLIENT_SECRET".into(), "env-secret-999".into());
    })
    .await;
    let text = format!("{err} {err:?}");
    let logs = logs.text();
    for secret in ["pa$$-w0rd-secret", "tok-abcdef-123", "env-secret-999"] {
        assert!(!text.contains(secret), "{secret} in the error: {text}");
        assert!(!logs.contains(secret), "{secret} in the logs: {logs}");
    }
    assert!(
        text.contains("token was ******") && text.contains("db.internal"),
        "{text}"
    );
    assert!(logs.contains("\"password\": \"******\""), "{logs}");
    let line = logs.lines().find(|l| l.contains("config file")).unwrap();
    assert!(line.contains("mode 0o600"), "{line}");
    let path = line
        .split("config file ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert!(
        !std::path::Path::new(path).exists(),
        "{path} is left behind"
    );
}

/// A sink slower than the idle timeout per page.
struct Slow;

#[async_trait]
impl Sink for Slow {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        tokio::time::sleep(Duration::from_millis(1_300)).await;
        Ok(records.len())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn waiting_for_a_slow_sink_is_not_the_tap_being_idle() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
schema("s", {"id": {"type": "integer"}})
for i in range(60):
    record("s", {"id": i})
    sys.stdout.flush()
    time.sleep(0.05)
"#;
    let tap = script_tap(dir.path(), "tap-test", body);
    let mut config = config_for(&tap);
    config.idle_timeout_secs = 1;
    // Pages cut by time, each taking the sink longer than the timeout.
    config.page_max_ms = 10;
    let source = SingerSource::new(config).unwrap();
    let report = Pipeline::new(&source, Slow)
        .with_channel_depth(1)
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_written, 60);
}
