//! Serves a faucet fixture API from its own process, for benchmarks,
//! examples and end-to-end tests. Prints the base URL on the first line of
//! stdout once it accepts connections, then serves until killed.
//!
//! Two APIs, chosen with `--api`:
//!
//! - `records` (the default): the paginated records API of
//!   `faucet_testkit::fixture`, in every pagination style, e.g.
//!   `faucet-fixture-server --records 1000000 --port 8080 --latency-ms 20
//!   --page-size 1000`.
//! - `shop`: the shop API of `faucet_testkit::shop` — `GET /accounts`,
//!   `GET /accounts/{id or handle}/orders`, `GET /orders/{id}/lines` — so a
//!   pipeline file read by the `faucet` binary can read three related
//!   resources, e.g. `faucet-fixture-server --api shop --accounts 100
//!   --orders-per-account 1000 --lines-per-order 2 --latency-ms 20`.
//!
//! Flags (every one takes a value):
//!
//! | flag | API | meaning | default |
//! |---|---|---|---|
//! | `--api records\|shop` | both | which API to serve | `records` |
//! | `--port P` | both | port on 127.0.0.1; 0 picks a free one | 0 |
//! | `--latency-ms X` | both | wait before every response, in ms | 0 |
//! | `--page-size N` | both | page size when a request names none | 100 (records), 5 (shop) |
//! | `--threads N` | both | tokio worker threads | 1 |
//! | `--records N` | records | records served, ids `1..=N` | 1,000,000 |
//! | `--accounts N` | shop | accounts, ids `1..=N` (at most 999) | 12 |
//! | `--orders-per-account N` | shop | orders of every account | 0 to 4, by account id |
//! | `--lines-per-order N` | shop | lines of every order | 1 to 4, by order |
//!
//! Either API keeps the last 10,000 requests in its log (it is not read
//! from outside the process, so the log only bounds memory).

use std::net::SocketAddr;
use std::time::Duration;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use faucet_testkit::shop::{ShopConfig, ShopServer};

const USAGE: &str = "usage: faucet-fixture-server [--api records|shop] [--port P] \
[--latency-ms X] [--page-size N] [--threads N]
  records API: [--records N]
  shop API:    [--accounts N] [--orders-per-account N] [--lines-per-order N]";

/// Requests kept in a server's log.
const LOG_LIMIT: usize = 10_000;

/// Which API to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Records,
    Shop,
}

#[derive(Debug)]
struct Args {
    api: Api,
    port: u16,
    threads: usize,
    latency: Duration,
    page_size: Option<u64>,
    records: u64,
    accounts: u64,
    orders_per_account: Option<u64>,
    lines_per_order: Option<u64>,
    /// Flags that only one API reads, to refuse them for the other.
    records_only: Vec<String>,
    shop_only: Vec<String>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            api: Api::Records,
            port: 0,
            threads: 1,
            latency: Duration::ZERO,
            page_size: None,
            records: 1_000_000,
            accounts: 12,
            orders_per_account: None,
            lines_per_order: None,
            records_only: Vec::new(),
            shop_only: Vec::new(),
        }
    }
}

fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut argv = argv.into_iter();
    while let Some(flag) = argv.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = argv
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |v: &str| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{flag}: `{v}` is not a number\n{USAGE}"))
        };
        match flag.as_str() {
            "--api" => {
                args.api = match value.as_str() {
                    "records" => Api::Records,
                    "shop" => Api::Shop,
                    other => {
                        return Err(format!("--api: `{other}` is not records or shop\n{USAGE}"));
                    }
                }
            }
            "--port" => {
                args.port = u16::try_from(number(&value)?)
                    .map_err(|_| format!("--port: `{value}` is not a port\n{USAGE}"))?
            }
            "--latency-ms" => args.latency = Duration::from_millis(number(&value)?),
            "--page-size" => args.page_size = Some(number(&value)?),
            "--threads" => args.threads = number(&value)?.clamp(1, 64) as usize,
            "--records" => {
                args.records = number(&value)?;
                args.records_only.push(flag);
            }
            "--accounts" => {
                args.accounts = number(&value)?;
                args.shop_only.push(flag);
            }
            "--orders-per-account" => {
                args.orders_per_account = Some(number(&value)?);
                args.shop_only.push(flag);
            }
            "--lines-per-order" => {
                args.lines_per_order = Some(number(&value)?);
                args.shop_only.push(flag);
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let wrong = match args.api {
        Api::Records => args.shop_only.first(),
        Api::Shop => args.records_only.first(),
    };
    if let Some(flag) = wrong {
        let api = if args.api == Api::Shop {
            "shop"
        } else {
            "records"
        };
        return Err(format!("{flag} does not apply to the {api} API\n{USAGE}"));
    }
    Ok(args)
}

impl Args {
    fn fixture_config(&self) -> FixtureConfig {
        let mut config = FixtureConfig::new(self.records)
            .with_log_limit(LOG_LIMIT)
            .with_latency(self.latency);
        if let Some(size) = self.page_size {
            config = config.with_page_size(size);
        }
        config
    }

    fn shop_config(&self) -> ShopConfig {
        let mut config = ShopConfig::new(self.accounts)
            .with_log_limit(LOG_LIMIT)
            .with_latency(self.latency);
        if let Some(size) = self.page_size {
            config = config.with_page_size(size);
        }
        if let Some(orders) = self.orders_per_account {
            config = config.with_orders_per_account(orders);
        }
        if let Some(lines) = self.lines_per_order {
            config = config.with_lines_per_order(lines);
        }
        config
    }
}

/// Starts the chosen API on `addr` and returns its base URL and a guard
/// that keeps it serving.
async fn serve(args: &Args, addr: SocketAddr) -> std::io::Result<(String, Box<dyn Send>)> {
    Ok(match args.api {
        Api::Records => {
            let server = FixtureServer::start_on(addr, args.fixture_config()).await?;
            (server.url(), Box::new(server))
        }
        Api::Shop => {
            let server = ShopServer::start_on(addr, args.shop_config()).await?;
            (server.url(), Box::new(server))
        }
    })
}

fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the tokio runtime: {err}");
            std::process::exit(1);
        }
    };
    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let (url, _server) = match serve(&args, addr).await {
            Ok(served) => served,
            Err(err) => {
                eprintln!("cannot listen on {addr}: {err}");
                std::process::exit(1);
            }
        };
        println!("{url}");
        std::future::pending::<()>().await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn the_shop_flags_reach_its_config() {
        let args = parse(&[
            "--api",
            "shop",
            "--accounts",
            "100",
            "--orders-per-account",
            "1000",
            "--lines-per-order",
            "3",
            "--page-size",
            "250",
            "--latency-ms",
            "20",
        ])
        .unwrap();
        let config = args.shop_config();
        assert_eq!(config.accounts, 100);
        assert_eq!(config.orders_per_account, Some(1000));
        assert_eq!(config.lines_per_order, Some(3));
        assert_eq!(config.page_size, 250);
        assert_eq!(config.latency, Duration::from_millis(20));
        assert_eq!(config.log_limit, LOG_LIMIT);
    }

    #[test]
    fn the_records_api_stays_the_default() {
        let args = parse(&["--records", "5000", "--page-size", "10"]).unwrap();
        assert_eq!(args.api, Api::Records);
        let config = args.fixture_config();
        assert_eq!(config.records, 5000);
        assert_eq!(config.page_size, 10);
        // Without flags, each API keeps its own default page size.
        assert_eq!(parse(&[]).unwrap().fixture_config().page_size, 100);
        let shop = parse(&["--api", "shop"]).unwrap().shop_config();
        assert_eq!((shop.page_size, shop.orders_per_account), (5, None));
    }

    #[test]
    fn flags_of_the_other_api_and_bad_values_are_refused() {
        let err = parse(&["--accounts", "3"]).unwrap_err();
        assert!(
            err.starts_with("--accounts does not apply to the records API"),
            "{err}"
        );
        let err = parse(&["--api", "shop", "--records", "3"]).unwrap_err();
        assert!(
            err.starts_with("--records does not apply to the shop API"),
            "{err}"
        );
        let err = parse(&["--api", "bank"]).unwrap_err();
        assert!(err.starts_with("--api: `bank`"), "{err}");
        let err = parse(&["--port", "70000"]).unwrap_err();
        assert!(err.starts_with("--port: `70000` is not a port"), "{err}");
        let err = parse(&["--accounts"]).unwrap_err();
        assert!(err.starts_with("--accounts needs a value"), "{err}");
    }
}
