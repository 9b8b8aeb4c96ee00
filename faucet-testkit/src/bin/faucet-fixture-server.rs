//! Serves the faucet fixture API from its own process, for benchmarks and
//! end-to-end tests: `faucet-fixture-server --records 1000000 --port 8080
//! --latency-ms 20 --page-size 1000`. Prints the base URL on the first line
//! of stdout once it accepts connections, then serves until killed.
//! Endpoints, parameters and faults: see `faucet_testkit::fixture`.

use std::net::SocketAddr;
use std::time::Duration;

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};

const USAGE: &str = "usage: faucet-fixture-server [--records N] [--port P] [--latency-ms X] \
[--page-size N] [--threads N]";

struct Args {
    config: FixtureConfig,
    port: u16,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut config = FixtureConfig::new(1_000_000).with_log_limit(10_000);
    let (mut port, mut threads) = (0u16, 1usize);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |v: &str| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{flag}: `{v}` is not a number\n{USAGE}"))
        };
        match flag.as_str() {
            "--records" => config.records = number(&value)?,
            "--port" => port = number(&value)? as u16,
            "--latency-ms" => config = config.with_latency(Duration::from_millis(number(&value)?)),
            "--page-size" => config = config.with_page_size(number(&value)?),
            "--threads" => threads = number(&value)?.max(1) as usize,
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok(Args {
        config,
        port,
        threads,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let server = match FixtureServer::start_on(addr, args.config).await {
            Ok(server) => server,
            Err(err) => {
                eprintln!("cannot listen on {addr}: {err}");
                std::process::exit(1);
            }
        };
        println!("{}", server.url());
        std::future::pending::<()>().await;
    });
}
