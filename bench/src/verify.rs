//! Reads back what a sink holds, as a [`Digest`].

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use crate::dataset::{Digest, DigestBuilder};

/// The digest of every row of `table` (already quoted and qualified as
/// needed), each row read as `to_jsonb(row)`.
pub async fn pg_digest(client: &tokio_postgres::Client, table: &str) -> anyhow::Result<Digest> {
    let rows = client
        .query(&format!("SELECT to_jsonb(t)::text FROM {table} t"), &[])
        .await
        .with_context(|| format!("cannot read {table}"))?;
    let mut digest = DigestBuilder::new();
    for row in rows {
        let text: String = row.get(0);
        let value: Value = serde_json::from_str(&text)?;
        digest.add(&value);
    }
    Ok(digest.finish())
}

/// The number of rows of `table`, or 0 when it does not exist yet.
pub async fn pg_count(client: &tokio_postgres::Client, table: &str) -> u64 {
    match client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
    {
        Ok(row) => row.get::<_, i64>(0) as u64,
        Err(_) => 0,
    }
}

/// The digest of a JSON Lines file; a line that is not a JSON document (a
/// torn write) is an error naming its line number. A missing file is empty.
pub fn jsonl_digest(path: &Path) -> anyhow::Result<Digest> {
    let mut digest = DigestBuilder::new();
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(digest.finish()),
        Err(err) => return Err(err).with_context(|| format!("cannot open {}", path.display())),
    };
    for (n, line) in std::io::BufReader::with_capacity(1 << 20, file)
        .lines()
        .enumerate()
    {
        let line = line?;
        let value: Value = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not JSON: {line:.200}", path.display(), n + 1))?;
        digest.add(&value);
    }
    Ok(digest.finish())
}

/// Lines in a file (0 when missing).
pub fn line_count(path: &Path) -> u64 {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count() as u64)
        .unwrap_or(0)
}
