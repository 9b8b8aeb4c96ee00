//! faucet's side of benchmark scenario 9: a Singer tap through
//! `faucet-source-singer` into the PostgreSQL sink, in one process (the
//! `faucet` binary gains the `singer` source when the CLI registers it).
//!
//! `singer-faucet SPEC.json`, where the file holds
//! `{"name": …, "source": <singer source config>, "sink": <postgres sink config>}`.
//! Prints the records written.

use anyhow::Context;
use faucet_core::Pipeline;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig};
use faucet_source_singer::{SingerSource, SingerSourceConfig};
use serde_json::Value;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: singer-faucet SPEC.json")?;
    let spec: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    let source: SingerSourceConfig = serde_json::from_value(spec["source"].clone())?;
    let sink: PostgresSinkConfig = serde_json::from_value(spec["sink"].clone())?;
    let name = spec["name"].as_str().unwrap_or("singer-bench");
    let source = SingerSource::new(source)?;
    let report = Pipeline::new(&source, PostgresSink::new(sink)?)
        .with_name(name)
        .run()
        .await?;
    println!("{}", report.progress.records_written);
    Ok(())
}
