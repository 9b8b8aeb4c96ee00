//! The `faucet-fixture-server` binary serves the shop API from its own
//! process: the three related resources answer as the in-process
//! `ShopServer` does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use faucet_testkit::shop::{account, order, order_line};
use serde_json::Value;

/// The server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faucet-fixture-server"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn faucet-fixture-server");
    let mut url = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("the first line of stdout");
    (Server(child), url.trim().to_owned())
}

/// One HTTP/1.1 GET: (status, headers in lower case, body).
fn get(url: &str, path: &str) -> (u16, String, String) {
    let host = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("status");
    (status, head.to_lowercase(), body.to_owned())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).expect("a JSON body")
}

#[test]
fn the_binary_serves_the_shop_with_its_sizes() {
    let (_server, url) = start(&[
        "--api",
        "shop",
        "--accounts",
        "3",
        "--orders-per-account",
        "4",
        "--lines-per-order",
        "3",
        "--page-size",
        "2",
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let (status, _, body) = get(&url, "/accounts?page=2");
    assert_eq!(status, 200);
    let page = json(&body);
    assert_eq!(page["accounts"], Value::Array(vec![account(3)]));
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["has_more"], false);

    // By handle, URL-encoded; page size from the flag; then the cursor.
    let (status, _, body) = get(&url, "/accounts/acme%20%26%20co%2F2/orders");
    assert_eq!(status, 200);
    let first = json(&body);
    assert_eq!(first["data"], Value::Array(vec![order(2, 1), order(2, 2)]));
    assert_eq!(first["next_cursor"], "after-2");
    let (_, _, body) = get(&url, "/accounts/2/orders?cursor=after-2");
    let second = json(&body);
    assert_eq!(second["data"], Value::Array(vec![order(2, 3), order(2, 4)]));
    assert_eq!(second["next_cursor"], Value::Null);

    let (status, head, body) = get(&url, "/orders/o-2-4/lines");
    assert_eq!(status, 200);
    assert_eq!(
        json(&body),
        Value::Array(vec![order_line(2, 4, 1), order_line(2, 4, 2)])
    );
    assert!(head.contains("rel=\"next\""), "{head}");
    let (_, head, body) = get(&url, "/orders/o-2-4/lines?page=2");
    assert_eq!(json(&body), Value::Array(vec![order_line(2, 4, 3)]));
    assert!(!head.contains("link:"), "{head}");

    let (status, _, _) = get(&url, "/accounts/4/orders");
    assert_eq!(status, 404);
    let (status, _, _) = get(&url, "/orders/o-2-5/lines");
    assert_eq!(status, 404);
}

#[test]
fn the_records_api_is_still_the_default() {
    let (_server, url) = start(&["--records", "3", "--page-size", "2"]);
    let (status, _, body) = get(&url, "/records/page?page=2");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"id\":3"), "{body}");
}

#[test]
fn a_flag_of_the_other_api_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_faucet-fixture-server"))
        .args(["--api", "shop", "--records", "3"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--records does not apply to the shop API"),
        "{stderr}"
    );
}
