//! The conformance kit on a real tap process: a script tap that honours
//! `--state` (so the kit's resume check runs), and bad configs.

mod support;

use faucet_core::conformance;
use faucet_core::connector::*;
use faucet_source_singer::{SingerSource, SingerSourceConfig};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tap_honouring_its_state_passes_the_source_checks() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
start = (STATE or {}).get("next", 0)
schema("numbers", {"n": {"type": "integer"}}, ["n"])
for k in range(start, 95):
    record("numbers", {"n": k})
    if (k + 1) % 20 == 0:
        state({"next": k + 1})
state({"next": 95})
"#;
    let tap = script_tap(dir.path(), "tap-numbers", body);
    let mut config = config_for(&tap);
    config.page_records = 7;
    let source = SingerSource::new(config).unwrap();
    let report = conformance::check_source(&source).await;
    report.assert_passed();
}

#[test]
fn bad_configs_are_errors_naming_the_path() {
    let build = |v: Value| parse_config::<SingerSourceConfig>(v).and_then(SingerSource::new);
    conformance::check_config_errors(
        build,
        &[
            (json!({"executable": ""}), "executable"),
            (
                json!({"executable": "t", "page_records": 0}),
                "page_records",
            ),
            (
                json!({"executable": "t", "idle_timeout_secs": 0}),
                "idle_timeout_secs",
            ),
            (json!({"executable": "t", "select": []}), "select"),
            (
                json!({"executable": "t", "catalog": {"nope": 1}}),
                "catalog",
            ),
            (json!({"executable": "t", "pip_url": " "}), "pip_url"),
            (
                json!({"executable": "t", "full_refresh_streams": ["a"]}),
                "full_refresh_streams",
            ),
            (
                json!({"executable": "t", "page_records": "many"}),
                "page_records",
            ),
            (json!({"executable": "t", "unknown": 1}), "unknown"),
            (json!({}), "executable"),
        ],
    )
    .assert_passed();
}
