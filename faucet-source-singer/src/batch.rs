//! `BATCH` messages: records in JSON Lines files (plain or gzip) that a
//! `file://` manifest names, as Singer SDK taps write them with
//! `batch_config`.

use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use faucet_core::{FaucetError, Record, Result};

use crate::protocol::BatchEncoding;

/// The files of a batch, read and split into records, in order.
pub(crate) fn read(encoding: &BatchEncoding, manifest: &[String]) -> Result<Vec<Record>> {
    if encoding.format != "jsonl" {
        return Err(unsupported(format!(
            "BATCH files of format `{}` (only `jsonl`)",
            encoding.format
        )));
    }
    let gzip = match encoding.compression.as_deref() {
        None => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(unsupported(format!(
                "BATCH files compressed with `{other}` (only gzip or none)"
            )));
        }
    };
    let mut records = Vec::new();
    for url in manifest {
        let path = local_path(url)?;
        let bytes = load(&path, gzip)?;
        split(&bytes, &path, &mut records)?;
    }
    Ok(records)
}

fn unsupported(operation: String) -> FaucetError {
    FaucetError::Unsupported {
        connector: "singer".to_owned(),
        operation,
    }
}

/// The path of a `file://` URL (percent escapes decoded).
fn local_path(url: &str) -> Result<PathBuf> {
    let Some(rest) = url.strip_prefix("file://") else {
        return Err(unsupported(format!(
            "BATCH manifests other than file:// URLs (`{url}`)"
        )));
    };
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi * 16 + lo);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(out)))
}

fn load(path: &std::path::Path, gzip: bool) -> Result<Bytes> {
    let fail = |e: std::io::Error| {
        FaucetError::source_error(format!(
            "cannot read the BATCH file {}: {e}",
            path.display()
        ))
        .with_source(e)
    };
    let raw = std::fs::read(path).map_err(fail)?;
    if !gzip {
        return Ok(Bytes::from(raw));
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(fail)?;
    Ok(Bytes::from(out))
}

/// One record per non-blank line, each a slice of `bytes`.
fn split(bytes: &Bytes, path: &std::path::Path, out: &mut Vec<Record>) -> Result<()> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    for (index, end) in ends.enumerate() {
        if start >= bytes.len() {
            break;
        }
        let range = start..end;
        start = end + 1;
        let line = index + 1;
        let text = &bytes[range.clone()];
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = Record::from_json(bytes.slice(range)).map_err(|e| {
            FaucetError::decode(
                format!("the BATCH file {}, line {line}", path.display()),
                e.to_string(),
            )
        })?;
        out.push(record);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_decoded_and_others_refused() {
        assert_eq!(
            local_path("file:///tmp/a%20b.gz").unwrap(),
            PathBuf::from("/tmp/a b.gz")
        );
        assert!(local_path("s3://bucket/x").is_err());
    }

    #[test]
    fn plain_and_gzip_files_give_their_records_in_order() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        std::fs::write(&plain, "{\"id\":1}\n\n{\"id\":2}").unwrap();
        let gz = dir.path().join("b.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"id\":3}\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let none = BatchEncoding {
            format: "jsonl".into(),
            compression: None,
        };
        let records = read(&none, &[format!("file://{}", plain.display())]).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].raw_json().unwrap(), b"{\"id\":2}");
        let gzip = BatchEncoding {
            format: "jsonl".into(),
            compression: Some("gzip".into()),
        };
        let records = read(&gzip, &[format!("file://{}", gz.display())]).unwrap();
        assert_eq!(records.len(), 1);
        let parquet = BatchEncoding {
            format: "parquet".into(),
            compression: None,
        };
        assert!(read(&parquet, &[]).is_err());
        std::fs::write(&plain, "{\"id\":1}\nnope\n").unwrap();
        let err = read(&none, &[format!("file://{}", plain.display())]).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
