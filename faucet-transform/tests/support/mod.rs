//! What every test of this crate uses: text records, one transform over
//! records, a pipeline from a source of text records into a collecting
//! sink.

#![allow(dead_code, unreachable_pub)]

pub mod generate;

use std::sync::{Arc, Mutex};

use faucet_core::Pipeline;
use faucet_core::connector::*;

/// A text record, as a source that reads JSON makes it.
pub fn text(json: &str) -> Record {
    Record::from_json(json.as_bytes().to_vec()).expect("valid JSON")
}

/// Text records, one per JSON text.
pub fn texts(jsons: &[&str]) -> Vec<Record> {
    jsons.iter().map(|t| text(t)).collect()
}

/// The outputs of `transform` for one record.
pub fn apply(transform: &dyn Transform, record: Record) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    transform.transform(record, &mut out)?;
    Ok(out)
}

/// The text of the one output of `transform` for `json`.
pub fn one(transform: &dyn Transform, json: &str) -> String {
    let out = apply(transform, text(json)).expect("transformed");
    assert_eq!(out.len(), 1, "one output for {json}");
    out[0].to_string()
}

/// The error of building a registered transform from `config`.
pub fn build_error(name: &str, config: Value) -> FaucetError {
    let mut registry = faucet_core::Registry::new();
    faucet_transform::register(&mut registry);
    match registry.build_transform(name, config) {
        Ok(_) => panic!("`{name}` accepted a bad config"),
        Err(e) => e,
    }
}

/// Whether `transform` passes `json` on as the very same text.
pub fn passes_as_is(transform: &dyn Transform, json: &str) -> bool {
    let out = apply(transform, text(json)).expect("transformed");
    out.len() == 1 && out[0].raw_json() == Some(json.as_bytes())
}

/// The message of the error `transform` gives for `json`.
pub fn error(transform: &dyn Transform, json: &str) -> String {
    match apply(transform, text(json)) {
        Ok(out) => panic!("expected an error for {json}, got {out:?}"),
        Err(e) => e.to_string(),
    }
}

/// A source of text records, one page per slice.
pub struct TextSource(pub Vec<Vec<&'static str>>);

#[async_trait]
impl Source for TextSource {
    async fn fetch(&self, _ctx: &SourceContext) -> Result<Vec<Record>> {
        Ok(self.0.iter().flatten().map(|t| text(t)).collect())
    }

    fn stream_pages<'a>(&'a self, _ctx: SourceContext) -> PageStream<'a> {
        let pages = self.0.iter().enumerate().map(|(i, page)| {
            let records = page.iter().map(|t| text(t)).collect();
            Ok(Page::new(records).with_checkpoint(json!({ "page": i })))
        });
        stream::iter(pages).boxed()
    }
}

/// A sink that keeps what it is given.
#[derive(Clone, Default)]
pub struct MemorySink(pub Arc<Mutex<Vec<Record>>>);

#[async_trait]
impl Sink for MemorySink {
    async fn write_batch(&self, records: &[Record]) -> Result<usize> {
        self.0.lock().unwrap().extend_from_slice(records);
        Ok(records.len())
    }
}

/// Runs `pages` of text records through `transform` into a memory sink;
/// gives the stored records as text.
pub async fn pipeline(
    transform: impl Transform + 'static,
    pages: Vec<Vec<&'static str>>,
) -> Result<Vec<String>> {
    let sink = MemorySink::default();
    Pipeline::new(TextSource(pages), sink.clone())
        .transform(transform)
        .run()
        .await?;
    let stored = sink.0.lock().unwrap();
    Ok(stored.iter().map(|r| r.to_string()).collect())
}
