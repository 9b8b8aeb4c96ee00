//! The rate limit holds even when many requests wait for a permit: a
//! request takes its rate token only once it may be sent, so permits
//! freed together do not release a burst of tokens saved while waiting.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use faucet_common_http::{AuthConfig, HttpClient, HttpConfig, HttpRequest, RateLimitConfig};
use faucet_core::CancellationToken;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that logs each request's arrival and answers every request of
/// the first second at the same moment (one second after the first
/// arrival), so the client's permits are all freed at once.
async fn serve(arrivals: Arc<Mutex<Vec<Instant>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let first: Arc<Mutex<Option<Instant>>> = Arc::default();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let arrivals = arrivals.clone();
            let first = first.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let now = Instant::now();
                arrivals.lock().unwrap().push(now);
                let release = *first.lock().unwrap().get_or_insert(now) + Duration::from_secs(1);
                tokio::time::sleep_until(release.max(now).into()).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]",
                    )
                    .await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permits_freed_together_do_not_release_a_burst() {
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let url = serve(arrivals.clone()).await;
    let config = HttpConfig {
        rate_limit: Some(RateLimitConfig {
            requests_per_second: 10.0,
            burst: 1,
        }),
        ..HttpConfig::default()
    };
    let client = HttpClient::new(&config, &AuthConfig::None, 4).unwrap();
    let sends = (0..12).map(|_| {
        let client = client.clone();
        let request = HttpRequest::get(url.parse().unwrap());
        tokio::spawn(async move { client.send(&request, &CancellationToken::new()).await })
    });
    for send in sends.collect::<Vec<_>>() {
        send.await.unwrap().unwrap();
    }
    let mut at = arrivals.lock().unwrap().clone();
    assert_eq!(at.len(), 12);
    at.sort();
    // 10 a second with a burst of 1: consecutive requests 100 ms apart.
    // Tokens saved while waiting for a permit would let the four requests
    // after the release arrive within a millisecond of each other.
    let closest = at.windows(2).map(|w| w[1] - w[0]).min().unwrap();
    assert!(
        closest >= Duration::from_millis(60),
        "two requests {closest:?} apart under a limit of 10 a second"
    );
}
