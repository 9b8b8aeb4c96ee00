//! The naive baseline of benchmark scenario 4: one reqwest client fetches
//! pages in turn, parses each with `serde_json`, and writes one line per
//! record. No concurrency, no checkpoints.
//!
//! `naive-jsonl URL PAGE_SIZE OUT`, where URL is a page-number endpoint of
//! the fixture API (`…/records/page`).

use std::io::{BufWriter, Write};

use anyhow::Context;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, page_size, out] = args.as_slice() else {
        anyhow::bail!("usage: naive-jsonl URL PAGE_SIZE OUT");
    };
    let client = reqwest::Client::new();
    let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    for page in 1.. {
        let body = client
            .get(url)
            .query(&[("page", page.to_string()), ("per_page", page_size.clone())])
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let mut doc: Value = serde_json::from_slice(&body).context("page is not JSON")?;
        let Some(Value::Array(records)) = doc.get_mut("data").map(Value::take) else {
            anyhow::bail!("page {page} has no data array");
        };
        if records.is_empty() {
            break;
        }
        for record in &records {
            serde_json::to_writer(&mut file, record)?;
            file.write_all(b"\n")?;
        }
    }
    file.flush()?;
    Ok(())
}
