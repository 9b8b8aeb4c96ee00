//! `pip_url`: the tap installed by the source into a virtualenv it
//! manages, and the example pipeline file's source.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_jsonl::{JsonlSink, JsonlSinkConfig};
use faucet_source_singer::{SingerSource, SingerSourceConfig};
use support::*;

#[tokio::test(flavor = "current_thread")]
async fn pip_url_installs_the_tap_once_and_runs_it() {
    // Cached with the test tools, so the suite installs it once.
    let venvs = faucet_testkit::python::venvs_dir().join("singer-source-managed");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": 1, \"v\": \"a\"}\n{\"id\": 2, \"v\": \"b\"}\n",
    )
    .unwrap();
    let mut config = SingerSourceConfig::new("tap-jsonl");
    config.pip_url = Some("tap-jsonl==0.3.1".to_owned());
    config.venvs_dir = venvs.clone();
    config.config = json!({"path": input, "stream_name": "kv"})
        .as_object()
        .unwrap()
        .clone();
    let source = SingerSource::new(config.clone()).unwrap();
    let check = source.check().await.unwrap();
    assert!(check.passed(), "{check:?}");
    let out = dir.path().join("out.jsonl");
    let sink = JsonlSink::new(JsonlSinkConfig::new(&out)).unwrap();
    Pipeline::new(&source, sink)
        .with_name("kv")
        .run()
        .await
        .unwrap();
    let rows = read_jsonl(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0]["id"], &rows[0]["v"]), (&json!(1), &json!("a")));
    assert_eq!((&rows[1]["id"], &rows[1]["v"]), (&json!(2), &json!("b")));
    // One folder for the pip_url, marked installed.
    let folders: Vec<_> = std::fs::read_dir(&venvs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    assert!(folders[0].join(".faucet-installed").is_file());

    // A pip_url naming an executable the package lacks is a config error.
    config.executable = "tap-nothing".to_owned();
    let err = SingerSource::new(config)
        .unwrap()
        .discover()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`tap-nothing` is not an executable"),
        "{err}"
    );
}

#[test]
fn the_example_pipeline_source_is_a_valid_config() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/singer-tap-jsonl-postgres.yaml"
    );
    let mut text = std::fs::read_to_string(path).unwrap();
    // `${VAR:-default}` → default, as the CLI does with VAR unset.
    while let Some(start) = text.find("${") {
        let end = start + text[start..].find('}').unwrap();
        let default = text[start..end]
            .split_once(":-")
            .map_or("", |(_, d)| d)
            .to_owned();
        text.replace_range(start..=end, &default);
    }
    let file: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(file["source"]["type"], json!("singer"));
    let mut source = file["source"].clone();
    source.as_object_mut().unwrap().remove("type");
    let config: SingerSourceConfig = faucet_core::serde_json::from_value(source).unwrap();
    SingerSource::new(config).unwrap();
}
