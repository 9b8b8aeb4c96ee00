//! What each engine gives back for numbers a tree of `f64`/`i64` cannot
//! hold: printed before the measurements, because an engine that is fast
//! but changes data is not a candidate.

use faucet_core::bytes::Bytes;

/// A page of one record holding a 38-digit decimal, an integer beyond
/// `u64`, `-0` and a number beyond `f64`.
const PAGE: &str = r#"{"data":[{"d":12345678901234567890.123456789012345678,"big":18446744073709551617,"z":-0,"h":1e400}]}"#;

/// Prints, per engine, the record as the engine returns it, or its error.
pub(crate) fn report() {
    eprintln!("Fidelity, record {}:", &PAGE[9..PAGE.len() - 2]);
    let tree = serde_json::from_str::<serde_json::Value>(PAGE);
    show(
        "serde_json Value",
        tree.map(|v| v["data"][0].to_string())
            .map_err(|e| e.to_string()),
    );
    let body = Bytes::from_static(PAGE.as_bytes());
    let records = super::engines::faucet_raw_split(&body);
    show("serde_json RawValue", Ok(records[0].to_string()));
    #[cfg(feature = "engines")]
    engines();
}

#[cfg(feature = "engines")]
fn engines() {
    use simd_json::prelude::*;
    let lazy =
        sonic_rs::get(PAGE, &sonic_rs::pointer!["data", 0]).map(|v| v.as_raw_str().to_owned());
    show("sonic-rs LazyValue", lazy.map_err(|e| e.to_string()));
    let mut copy = PAGE.as_bytes().to_vec();
    let simd = simd_json::to_borrowed_value(&mut copy).map(|v| {
        v.get("data")
            .and_then(|d| d.get_idx(0))
            .map(|r| r.encode())
            .unwrap_or_default()
    });
    show("simd-json borrowed", simd.map_err(|e| e.to_string()));
}

fn show(engine: &str, result: Result<String, String>) {
    match result {
        Ok(text) => eprintln!("  {engine:<22} {text}"),
        Err(err) => eprintln!("  {engine:<22} error: {err}"),
    }
}
