//! Registration with a manager: a tiny axum app that records the POSTs,
//! goes away and comes back.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use faucet_core::CancellationToken;
use faucet_serve::{JsonLoader, ManagerOptions, ServeOptions, Server};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::support::registry;

type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// The stub manager, listening on `addr` until `stop`.
struct Stub {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

async fn record(State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>) {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    seen.lock().unwrap().push((auth, body));
}

async fn stub(addr: SocketAddr, seen: Seen) -> (Stub, SocketAddr) {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/register", post(record))
        .with_state(seen);
    let stop = CancellationToken::new();
    let signal = stop.clone().cancelled_owned();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await
            .unwrap();
    });
    (Stub { stop, task }, addr)
}

impl Stub {
    async fn go_away(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

async fn until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..2000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never happened: {what}");
}

async fn metrics(client: &reqwest::Client, server: &Server) -> String {
    let url = format!("{}/metrics", server.url());
    client.get(url).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_manifest_is_posted_repeatedly_and_again_after_the_manager_comes_back() {
    let seen: Seen = Arc::default();
    let (manager, addr) = stub("127.0.0.1:0".parse().unwrap(), Arc::clone(&seen)).await;
    let options = ManagerOptions::new(format!("http://{addr}/register"))
        .with_advertise_url("http://faucet.internal:8080")
        .with_token("mgr-TOKEN")
        .with_intervals(Duration::from_millis(20), Duration::from_millis(5));
    let options = ServeOptions::new("127.0.0.1:0".parse().unwrap())
        .with_identity("faucet-test", "9.9.9")
        .with_manager(options);
    let registry = Arc::new(registry(Arc::new(Semaphore::new(0))));
    let server = Server::start(Arc::new(JsonLoader), registry, options)
        .await
        .unwrap();

    until("two registrations", || seen.lock().unwrap().len() >= 2).await;
    {
        let seen = seen.lock().unwrap();
        let (auth, body) = &seen[0];
        assert_eq!(auth.as_deref(), Some("Bearer mgr-TOKEN"));
        assert_eq!(body["name"], "faucet-test");
        assert_eq!(body["version"], "9.9.9");
        assert_eq!(body["advertise_url"], "http://faucet.internal:8080");
        let types: Vec<&str> = body["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["gated", "jsonl"]);
        assert_eq!(seen[1].1, seen[0].1);
    }

    let client = reqwest::Client::new();
    let text = metrics(&client, &server).await;
    assert!(
        text.contains("faucet_manager_registrations_total{result=\"failed\"} 0\n"),
        "{text}"
    );
    manager.go_away().await;
    for _ in 0..2000 {
        let text = metrics(&client, &server).await;
        if !text.contains("faucet_manager_registrations_total{result=\"failed\"} 0\n") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let text = metrics(&client, &server).await;
    assert!(!text.contains("{result=\"failed\"} 0\n"), "{text}");
    let before = seen.lock().unwrap().len();

    let (manager, _) = stub(addr, Arc::clone(&seen)).await;
    until("a registration after the comeback", || {
        seen.lock().unwrap().len() > before
    })
    .await;
    server.shutdown().await.unwrap();
    manager.go_away().await;
}
