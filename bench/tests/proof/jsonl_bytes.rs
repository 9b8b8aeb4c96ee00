//! REST → JSON Lines keeps the API's bytes: through the real `faucet`
//! binary, the output file is exactly the records' text as the fixture
//! server sent it, one per line, in order, for page-number (concurrent)
//! and cursor pagination.

use faucet_bench::pipeline::{self, RestSource, Style};
use serde_json::value::RawValue;

use crate::support::*;

const RECORDS: u64 = 2_500;
const PAGE: u64 = 1_000;

/// The records' text as served: every page of `style` fetched in order,
/// its `data` array split into the items' exact text.
async fn served_lines(base_url: &str, style: Style) -> String {
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
        #[serde(default)]
        next_cursor: Option<String>,
    }
    let client = reqwest::Client::new();
    let mut out = String::new();
    let (mut page_number, mut cursor) = (1u64, None::<String>);
    loop {
        let mut request = client
            .get(format!("{base_url}{}", style.path()))
            .query(&[("per_page", PAGE), ("limit", PAGE)]);
        request = match (style, &cursor) {
            (Style::Cursor, Some(c)) => request.query(&[("cursor", c)]),
            (Style::Cursor, None) => request,
            _ => request.query(&[("page", page_number)]),
        };
        let body = request.send().await.unwrap().bytes().await.unwrap();
        let page: Page<'_> = serde_json::from_slice(&body).unwrap();
        if page.data.is_empty() {
            break;
        }
        for record in &page.data {
            out.push_str(record.get());
            out.push('\n');
        }
        page_number += 1;
        cursor = page.next_cursor;
        if style == Style::Cursor && cursor.is_none() {
            break;
        }
    }
    out
}

async fn output_is_the_served_text(style: Style) {
    let server = fixture(RECORDS, PAGE, 0).await;
    let dir = workdir();
    let out = dir.path().join("out.jsonl");
    let source = RestSource::new(server.url(), style, PAGE).to_value();
    let p = pipeline::pipeline("jsonl-bytes", source, pipeline::jsonl_sink(&out, 1_000));
    let file = write_pipeline(dir.path(), &p);
    let exit = bounded(RUN_DEADLINE, "faucet run", run_faucet(&file)).await;
    assert_ok(&exit, "REST → JSON Lines");
    let want = served_lines(&server.url(), style).await;
    assert_eq!(
        want.lines().count() as u64,
        RECORDS,
        "the oracle read every page"
    );
    let got = std::fs::read_to_string(&out).unwrap();
    assert_eq!(got.lines().count() as u64, RECORDS, "one line per record");
    if let Some((i, (g, w))) = got
        .lines()
        .zip(want.lines())
        .enumerate()
        .find(|(_, (g, w))| g != w)
    {
        panic!(
            "{}: line {} differs from the served text:\n wrote {g}\nserved {w}",
            style.name(),
            i + 1
        );
    }
    assert_eq!(got, want, "{}: the output is the served text", style.name());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_number_output_is_byte_identical_to_the_api() {
    output_is_the_served_text(Style::PageNumber).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_output_is_byte_identical_to_the_api() {
    output_is_the_served_text(Style::Cursor).await;
}
