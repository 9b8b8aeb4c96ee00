//! The bearer token.

use std::sync::Arc;

use faucet_serve::{JsonLoader, ServeError, ServeOptions, Server};
use tokio::sync::Semaphore;

use crate::support::registry;

async fn start(options: ServeOptions) -> Result<Server, ServeError> {
    let registry = Arc::new(registry(Arc::new(Semaphore::new(0))));
    Server::start(Arc::new(JsonLoader), registry, options).await
}

#[tokio::test]
async fn every_endpoint_but_health_needs_the_token() {
    let options = ServeOptions::new("127.0.0.1:0".parse().unwrap()).with_token("t0ken-RIGHT");
    let server = start(options).await.unwrap();
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.url());

    let health = client.get(url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    for path in ["/manifest", "/ready", "/runs", "/metrics", "/runs/1"] {
        let none = client.get(url(path)).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path}");
        assert_eq!(none.headers()["www-authenticate"], "Bearer");
        let wrong = client
            .get(url(path))
            .bearer_auth("t0ken-WRONG")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        let body: serde_json::Value = wrong.json().await.unwrap();
        assert_eq!(body["error"], "missing or wrong bearer token");
    }
    let posted = client.post(url("/runs")).body("{}").send().await.unwrap();
    assert_eq!(posted.status(), 401);
    let basic = client
        .get(url("/manifest"))
        .basic_auth("u", Some("t0ken-RIGHT"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);

    let right = client
        .get(url("/manifest"))
        .bearer_auth("t0ken-RIGHT")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let missing = client
        .get(url("/runs/1"))
        .bearer_auth("t0ken-RIGHT")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_a_token_only_a_loopback_address_is_served() {
    let open = ServeOptions::new("0.0.0.0:0".parse().unwrap());
    let err = start(open).await.unwrap_err();
    assert!(matches!(err, ServeError::NoToken { .. }), "{err}");
    assert!(err.to_string().contains("without a token"), "{err}");

    let guarded = ServeOptions::new("0.0.0.0:0".parse().unwrap()).with_token("t0ken-RIGHT");
    start(guarded).await.unwrap().shutdown().await.unwrap();
}
