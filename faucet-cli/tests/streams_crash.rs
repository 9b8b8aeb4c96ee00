//! `faucet run` of three streams into one JSON Lines file per stream,
//! killed with SIGKILL at random moments again and again, then run to the
//! end: every file holds its stream's records exactly once.
//!
//! Sizing: 150 accounts (about 700 requests, each answered 6 ms late, one
//! at a time), so a whole run needs at least 4 s of fetching; each kill
//! lands at most 250 ms after the process first reached the server, so 14
//! kills cannot finish the job between them. Commits every 5 records, so
//! kills land before, during and after commits. `FAUCET_PROOF_SEED`
//! repeats a failure's kill timing.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use faucet_testkit::shop::{ShopConfig, ShopServer};
use serde_json::Value;
use support::shop::{STREAMS, assert_stream_file, expected, jsonl_values, shop_pipeline};
use support::{faucet, output, stderr, write};

const KILLS: usize = 14;
const KILL_WINDOW_MS: u64 = 250;

/// A small xorshift generator: kill timings without a dependency.
struct Timing(u64);

impl Timing {
    fn new() -> Self {
        let seed = std::env::var("FAUCET_PROOF_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("kill timing seed (FAUCET_PROOF_SEED): {seed}");
        Self(seed.max(1))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn spawn(dir: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .args(["run", "shop.yaml", "--progress", "quiet"])
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("faucet starts")
}

/// Starts a run and SIGKILLs it: every fourth time within 40 ms of
/// spawning (during start-up), else up to [`KILL_WINDOW_MS`] after its
/// first request reached the shop.
async fn run_and_kill(shop: &ShopServer, dir: &Path, kill: usize, timing: &mut Timing) {
    let before = shop.requests().len();
    let mut child = spawn(dir);
    if kill % 4 == 3 {
        tokio::time::sleep(Duration::from_millis(timing.below(40))).await;
    } else {
        let deadline = Instant::now() + Duration::from_secs(60);
        while shop.requests().len() == before {
            assert!(
                Instant::now() < deadline,
                "kill {kill}: faucet never reached the shop"
            );
            assert!(
                child.try_wait().expect("poll faucet").is_none(),
                "kill {kill}: faucet exited before its first request"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(timing.below(KILL_WINDOW_MS))).await;
    }
    assert!(
        child.try_wait().expect("poll faucet").is_none(),
        "kill {kill}: faucet finished before it was killed; the test is mis-sized"
    );
    child.kill().expect("SIGKILL faucet");
    child.wait().expect("reap faucet");
}

/// After a kill, each file's complete lines are the first records of its
/// stream, in order, with no repeat: only a torn last line may follow
/// them (the next run truncates it). Returns the lines per stream.
fn assert_prefixes(dir: &Path, shop: &ShopServer, kill: usize) -> Vec<usize> {
    STREAMS
        .iter()
        .map(|stream| {
            let path = dir.join("out").join(format!("{stream}.jsonl"));
            let Ok(bytes) = std::fs::read(&path) else {
                return 0;
            };
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let text = std::str::from_utf8(&bytes[..complete]).expect("UTF-8");
            let got: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("a complete line parses"))
                .collect();
            let want = expected(shop, stream);
            assert!(
                got.len() <= want.len(),
                "kill {kill}: {stream} has extra lines"
            );
            assert_eq!(
                got,
                want[..got.len()],
                "kill {kill}: {stream} is not a prefix"
            );
            got.len()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_stream_files_are_exactly_once_across_sigkills() {
    let config = ShopConfig::new(150).with_latency(Duration::from_millis(6));
    let shop = ShopServer::start(config).await.expect("the shop serves");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "shop.yaml",
        &shop_pipeline(&shop, "crash", 5, |_| {}),
    );
    let state = dir
        .path()
        .join("out/faucet-streams.jsonl.faucet-state.json");
    let mut timing = Timing::new();
    let (mut resumed, mut last_state) = (0, Vec::new());
    for kill in 0..KILLS {
        run_and_kill(&shop, dir.path(), kill, &mut timing).await;
        let lines = assert_prefixes(dir.path(), &shop, kill);
        let now = std::fs::read(&state).unwrap_or_default();
        if now != last_state {
            resumed += 1;
            last_state = now;
        }
        eprintln!("kill {kill}: lines per stream {lines:?}");
    }
    assert!(resumed >= 3, "only {resumed} kills came after new commits");

    // Where the next run resumes: each stream's own position.
    let mut cmd = faucet(dir.path());
    cmd.args(["state", "show", "shop.yaml", "--format", "json"]);
    let shown = output(cmd).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    let doc: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(doc["next_run"], "resume", "{doc}");
    assert!(doc["streams"]["accounts"].is_object(), "{doc}");
    let mut cmd = faucet(dir.path());
    cmd.args(["state", "show", "shop.yaml"]);
    let shown = output(cmd).await;
    let words = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        words.contains("the next run resumes each stream after its checkpoint:\n    accounts "),
        "{words}"
    );

    let mut cmd = faucet(dir.path());
    cmd.args(["run", "shop.yaml", "--progress", "quiet"]);
    let last = output(cmd).await;
    assert!(last.status.success(), "{}", stderr(&last));
    for stream in STREAMS {
        assert_stream_file(dir.path(), &shop, stream);
        let n = jsonl_values(&dir.path().join(format!("out/{stream}.jsonl"))).len();
        assert_eq!(n, expected(&shop, stream).len(), "{stream}");
    }
}
