//! `faucet serve`: the binary serves pipeline files over HTTP. A spec sent
//! in a request is read as a pipeline file is (every error with its path),
//! may not read the server's environment beyond `--allow-env`, and runs
//! to the end against a real REST fixture into a JSON Lines file; a file
//! of `--pipelines-dir` runs by name.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use serde_json::Value;
use support::{jsonl_ids, line_count, rest_to_jsonl};

/// A running `faucet serve`, killed when dropped.
struct Serving {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn serve(dir: &Path, pipelines: &Path) -> Serving {
    serve_on(dir, pipelines, free_port()).await
}

async fn serve_on(dir: &Path, pipelines: &Path, port: u16) -> Serving {
    let child = Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .current_dir(dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--pipelines-dir")
        .arg(pipelines)
        .args(["--allow-env", "OUT_DIR", "--no-auth"])
        .env("OUT_DIR", dir)
        .env("SERVER_ONLY_SECRET", "do-not-read-me-0123")
        .env_remove("FAUCET_SERVE_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("faucet serve starts");
    let serving = Serving {
        child,
        url: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    };
    for _ in 0..600 {
        let health = serving
            .http
            .get(format!("{}/health", serving.url))
            .send()
            .await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return serving;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("faucet serve did not answer /health within 30 s");
}

impl Serving {
    async fn post(&self, path: &str, body: String) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    /// Polls run `id` until it is no longer queued or running.
    async fn finished(&self, id: &str) -> Value {
        for _ in 0..1200 {
            let run: Value = self
                .http
                .get(format!("{}/runs/{id}", self.url))
                .send()
                .await
                .expect("GET run")
                .json()
                .await
                .expect("a run");
            if run["state"] != "queued" && run["state"] != "running" {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("run {id} did not finish within 60 s");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn specs_run_over_http_as_pipeline_files_do() {
    let api = FixtureServer::start(FixtureConfig::new(250)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(&pipelines).unwrap();
    let by_name = dir.path().join("by-name.jsonl");
    std::fs::write(
        pipelines.join("nightly.yaml"),
        rest_to_jsonl(&api.url(), 50, &by_name),
    )
    .unwrap();
    let server = serve(dir.path(), &pipelines).await;

    // Every mistake at its path, as `faucet validate` reports them.
    let bad = "source: {type: rest, base_url: 'http://127.0.0.1:1', pagination: {kind: cursr}}\n\
               sink: {type: jsonl, path: x.jsonl, commit_records: many}\n";
    let (status, answer) = server.post("/pipelines/validate", bad.into()).await;
    assert_eq!(status, 422, "{answer}");
    let paths: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"source.pagination.kind"), "{answer}");
    assert!(paths.contains(&"sink.commit_records"), "{answer}");

    // A spec cannot read the server's environment, only `--allow-env`.
    let nosy = "source: {type: rest, base_url: 'http://127.0.0.1:1'}\n\
                sink: {type: jsonl, path: '${SERVER_ONLY_SECRET}'}\n";
    let (status, answer) = server.post("/pipelines/validate", nosy.into()).await;
    assert_eq!(status, 422, "{answer}");
    assert!(!answer.to_string().contains("do-not-read-me"), "{answer}");
    assert!(
        answer.to_string().contains("SERVER_ONLY_SECRET"),
        "{answer}"
    );

    // A spec in the body runs to the end; `${OUT_DIR}` is allowed.
    let spec = rest_to_jsonl(&api.url(), 40, Path::new("${OUT_DIR}/posted.jsonl"))
        .replace("source:", "name: posted\nsource:");
    let (status, run) = server.post("/runs", spec).await;
    assert_eq!(status, 202, "{run}");
    let run = server.finished(run["id"].as_str().unwrap()).await;
    assert_eq!(run["state"], "completed", "{run}");
    assert_eq!(run["pipeline"], "posted");
    assert_eq!(
        jsonl_ids(&dir.path().join("posted.jsonl")),
        (1..=250).collect::<Vec<_>>()
    );

    // A file of the pipelines directory, by name.
    let (status, run) = server.post("/runs?pipeline=nightly", String::new()).await;
    assert_eq!(status, 202, "{run}");
    let run = server.finished(run["id"].as_str().unwrap()).await;
    assert_eq!(run["state"], "completed", "{run}");
    assert_eq!(jsonl_ids(&by_name), (1..=250).collect::<Vec<_>>());
}

/// `kill -9` of the server in the middle of a run: started again, the
/// server reports that run `interrupted`, and a new run of the pipeline
/// resumes from its checkpoint and leaves every record exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_run_marks_it_interrupted_and_a_new_run_resumes_exactly() {
    let api = FixtureServer::start(FixtureConfig::new(600).with_latency(Duration::from_millis(20)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pipelines = dir.path().join("pipelines");
    std::fs::create_dir_all(&pipelines).unwrap();
    let out = dir.path().join("slow.jsonl");
    // 60 pages of 10 at 20 ms each: over a second of reading.
    std::fs::write(
        pipelines.join("slow.yaml"),
        rest_to_jsonl(&api.url(), 10, &out),
    )
    .unwrap();
    let port = free_port();
    let mut server = serve_on(dir.path(), &pipelines, port).await;
    let (status, run) = server.post("/runs?pipeline=slow", String::new()).await;
    assert_eq!(status, 202, "{run}");
    let id = run["id"].as_str().unwrap().to_owned();
    // Kill once some records are committed, well before the end.
    for _ in 0..400 {
        if line_count(&out) >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let written = line_count(&out);
    assert!(
        (50..600).contains(&written),
        "killed after {written} records"
    );
    drop(server);

    let server = serve_on(dir.path(), &pipelines, port).await;
    let old: Value = server
        .http
        .get(format!("{}/runs/{id}", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old["state"], "interrupted", "{old}");
    let (status, run) = server.post("/runs?pipeline=slow", String::new()).await;
    assert_eq!(status, 202, "{run}");
    let run = server.finished(run["id"].as_str().unwrap()).await;
    assert_eq!(run["state"], "completed", "{run}");
    assert!(
        run["resume"]
            .as_str()
            .is_some_and(|r| r.contains("resumed")),
        "the new run resumed: {run}"
    );
    assert_eq!(
        jsonl_ids(&out),
        (1..=600).collect::<Vec<_>>(),
        "every record once"
    );
}

/// A server needs a token unless told `--no-auth`, and then only on a
/// loopback address; a token file works, and the token guards the API.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_is_required_unless_no_auth_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |args: &[&str]| {
        let out = support::faucet(dir.path())
            .arg("serve")
            .args(args)
            .env_remove("FAUCET_SERVE_TOKEN")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            support::stderr(&out)
        );
        support::stderr(&out)
    };
    assert!(refused(&[]).contains("--no-auth"));
    assert!(refused(&["--no-auth", "--listen", "0.0.0.0:0"]).contains("loopback"));
    let short = dir.path().join("short");
    std::fs::write(&short, "abc\n").unwrap();
    assert!(refused(&["--token-file", short.to_str().unwrap()]).contains("at least 16"));

    let file = dir.path().join("token");
    std::fs::write(&file, "  0123456789abcdef-token\n").unwrap();
    let port = free_port();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("faucet"))
        .current_dir(dir.path())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--token-file",
        ])
        .arg(&file)
        .env_remove("FAUCET_SERVE_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..600 {
        if http.get(format!("{url}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "faucet serve did not answer /health");
    let runs = |token: Option<&'static str>| {
        let mut request = http.get(format!("{url}/runs"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(runs(None).await, 401);
    assert_eq!(runs(Some("wrong-token-0123456789")).await, 401);
    assert_eq!(runs(Some("0123456789abcdef-token")).await, 200);
    let _ = child.kill();
    let _ = child.wait();
}
