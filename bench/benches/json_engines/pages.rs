//! The page bodies the engines parse: the fixture API's own page (fetched
//! from a real fixture server, byte for byte as faucet receives it), the
//! same records pretty-printed, and a unicode-heavy variant.

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};

/// Records per page, as in `bench/run.sh`.
pub(crate) const RECORDS: u64 = 1_000;

/// One page body to parse, with a name for the report.
pub(crate) struct PageBody {
    /// `fixture`, `pretty` or `unicode`.
    pub(crate) name: &'static str,
    /// The body, `{"data": [...], ...}`.
    pub(crate) body: Vec<u8>,
}

/// The three pages, each holding [`RECORDS`] records under `data`.
pub(crate) fn pages() -> Vec<PageBody> {
    let fixture = fetch_fixture_page();
    let pretty = pretty(&fixture);
    let unicode = unicode(&fixture);
    vec![
        PageBody {
            name: "fixture",
            body: fixture,
        },
        PageBody {
            name: "pretty",
            body: pretty,
        },
        PageBody {
            name: "unicode",
            body: unicode,
        },
    ]
}

/// Page 1 of `/records/page` at 1,000 per page, from a fixture server on
/// 127.0.0.1.
fn fetch_fixture_page() -> Vec<u8> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        let config = FixtureConfig::new(RECORDS).with_page_size(RECORDS);
        let server = FixtureServer::start(config)
            .await
            .expect("the fixture server starts");
        let url = format!("{}/records/page?page=1&per_page={RECORDS}", server.url());
        let body = reqwest::get(&url)
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the fixture server answers")
            .bytes()
            .await
            .expect("the page body arrives");
        body.to_vec()
    })
}

/// The page as an API that pretty-prints would send it (two-space
/// indentation, a line per field), through `serde_json` (key order kept).
fn pretty(fixture: &[u8]) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(fixture).expect("the page is JSON");
    serde_json::to_vec_pretty(&value).expect("a tree serialises")
}

/// Every record with non-ASCII names as raw UTF-8 and a `bio` of `\u`
/// escapes (accents, CJK, an emoji as a surrogate pair): string scanning
/// and unescaping dominate.
fn unicode(fixture: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(fixture).expect("the page is UTF-8");
    text.replace(
        "\"first_name\":\"",
        "\"bio\":\"Caf\\u00e9 \\u65e5\\u672c\\u8a9e \\ud83d\\ude00 \\u00fc\\u00df \\u0416\\u0438\\u0437\\u043d\\u044c\",\
         \"first_name\":\"Zoë Łukasz 東京 😀 ",
    )
    .into_bytes()
}
