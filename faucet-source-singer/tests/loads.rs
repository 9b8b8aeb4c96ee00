//! Full loads from real taps: tap-jsonl from the package registry, and
//! script taps for many streams and exact resume.

mod support;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_jsonl::{JsonlSink, JsonlSinkConfig};
use faucet_source_singer::SingerSource;
use support::*;

/// `n` people as tap-jsonl's input file.
fn people_file(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("people.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..n {
        let person = json!({
            "id": i,
            "name": format!("person \"{i}\" é"),
            "amount": i as f64 * 1.25,
            "at": format!("2024-01-{:02}T00:00:00Z", i % 28 + 1),
            "tags": ["a", i.to_string()],
        });
        writeln!(file, "{person}").unwrap();
    }
    path
}

#[tokio::test(flavor = "current_thread")]
async fn tap_jsonl_loads_every_record_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let n = 2_500;
    let input = people_file(dir.path(), n);
    let mut config = config_for(&tap_jsonl());
    config.page_records = 300;
    config.config = json!({"path": input, "stream_name": "people"})
        .as_object()
        .unwrap()
        .clone();
    let source = SingerSource::new(config).unwrap();
    let out = dir.path().join("out.jsonl");
    let sink = JsonlSink::new(JsonlSinkConfig::new(&out)).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("people")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_written, n as u64);
    assert!(
        report.progress.pages >= (n / 300) as u64,
        "{:?}",
        report.progress
    );
    assert_eq!(report.progress.streams["people"].records_written, n as u64);
    let rows = read_jsonl(&out);
    assert_eq!(rows.len(), n);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["id"], json!(i));
        assert_eq!(row["name"], json!(format!("person \"{i}\" é")));
        assert_eq!(row["amount"].as_f64(), Some(i as f64 * 1.25));
        assert_eq!(
            row["at"],
            json!(format!("2024-01-{:02}T00:00:00Z", i % 28 + 1))
        );
        assert_eq!(row["tags"], json!(["a", i.to_string()]));
        assert_eq!(row["_sdc_stream"], json!("people"));
    }
    // The last checkpoint is the tap's final state, inside the completion marker.
    let last = report.last_checkpoint.unwrap();
    let state = &last.as_value()["faucet_completed"]["checkpoint"]["singer_state"];
    assert!(state["bookmarks"]["people"].is_object(), "{last}");
}

#[tokio::test(flavor = "current_thread")]
async fn pages_name_their_stream_and_carry_the_tap_schema() {
    let dir = tempfile::tempdir().unwrap();
    let input = people_file(dir.path(), 10);
    let mut config = config_for(&tap_jsonl());
    config.config = json!({"path": input, "stream_name": "people", "primary_keys": ["id"]})
        .as_object()
        .unwrap()
        .clone();
    let source = SingerSource::new(config).unwrap();
    let mut pages = source.stream_pages(SourceContext::new());
    let mut records = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        if page.is_empty() {
            continue;
        }
        records += page.len();
        assert_eq!(page.stream(), Some("people"));
        let schema = page.schema().expect("a schema");
        assert_eq!(
            schema["properties"]["id"]["type"],
            json!(["integer", "null"])
        );
        assert_eq!(schema["properties"]["at"]["format"], json!("date-time"));
        assert_eq!(
            schema["properties"]["amount"]["type"],
            json!(["null", "number"])
        );
        assert_eq!(schema["x-key-properties"], json!(["id"]));
        assert_eq!(
            schema["x-bookmark-properties"],
            json!(["_sdc_last_modified"])
        );
    }
    assert_eq!(records, 10);
    let streams = source.discover().await.unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0].name, "people");
    assert_eq!(streams[0].primary_key, vec!["id".to_owned()]);
    let check = source.check().await.unwrap();
    assert!(check.passed(), "{check:?}");
}

/// Two streams interleaved, a state every 10 records; honours `--state`
/// (`{"next": k}`: start at record k), and fails after `FAIL_AT` records.
const TWO_STREAMS: &str = r#"
start = (STATE or {}).get("next", 0)
fail_at = int(os.environ.get("FAIL_AT", "-1"))
schema("orders", {"id": {"type": "integer"}, "total": {"type": "number"}}, ["id"])
schema("users", {"id": {"type": "integer"}, "name": {"type": "string"}}, ["id"])
for k in range(start, 300):
    if k == fail_at:
        sys.stdout.flush()
        print("CRITICAL | tap-two | lost the connection", file=sys.stderr)
        sys.exit(3)
    if k % 3 == 0:
        record("users", {"id": k, "name": "u%d" % k})
    else:
        record("orders", {"id": k, "total": k * 0.5})
    if (k + 1) % 10 == 0:
        state({"next": k + 1})
"#;

fn check_two_streams(dir: &std::path::Path) {
    let users = read_jsonl(&dir.join("out/users.jsonl"));
    let orders = read_jsonl(&dir.join("out/orders.jsonl"));
    let expected_users: Vec<Value> = (0..300)
        .filter(|k| k % 3 == 0)
        .map(|k| json!({"id": k, "name": format!("u{k}")}))
        .collect();
    let expected_orders: Vec<Value> = (0..300)
        .filter(|k| k % 3 != 0)
        .map(|k| json!({"id": k, "total": k as f64 * 0.5}))
        .collect();
    assert_eq!(users, expected_users);
    assert_eq!(orders, expected_orders);
}

#[tokio::test(flavor = "current_thread")]
async fn many_streams_land_in_their_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let tap = script_tap(dir.path(), "tap-two", TWO_STREAMS);
    let mut config = config_for(&tap);
    config.page_records = 7;
    let source = SingerSource::new(config).unwrap();
    let sink = JsonlSink::new(JsonlSinkConfig::new(dir.path().join("out/{stream}.jsonl"))).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("two")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.streams["users"].records_written, 100);
    assert_eq!(report.progress.streams["orders"].records_written, 200);
    check_two_streams(dir.path());
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_run_resumes_from_the_tap_state_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let tap = script_tap(dir.path(), "tap-two", TWO_STREAMS);
    let sink_config = JsonlSinkConfig::new(dir.path().join("out/{stream}.jsonl"));
    // Records 0..=54 go out; the last state is {"next": 50}, so the
    // checkpoint after them is that state plus 5 records (per stream).
    let mut config = config_for(&tap);
    config.page_records = 4;
    config.env.insert("FAIL_AT".into(), "55".into());
    let source = SingerSource::new(config.clone()).unwrap();
    let sink = JsonlSink::new(sink_config.clone()).unwrap();
    let (report, result) = Pipeline::new(&source, sink)
        .with_name("two")
        .run_with_report()
        .await;
    let err = result.expect("the run fails").to_string();
    assert!(
        err.contains("exited with code 3") && err.contains("lost the connection"),
        "{err}"
    );
    assert_eq!(
        report.progress.records_committed, 55,
        "{:?}",
        report.progress
    );
    let checkpoint = report.last_checkpoint.unwrap();
    assert_eq!(checkpoint.as_value()["singer_state"], json!({"next": 50}));
    let counts = &checkpoint.as_value()["records_after_state"];
    assert_eq!(
        counts["users"].as_u64().unwrap() + counts["orders"].as_u64().unwrap(),
        5
    );

    config.env.clear();
    let source = SingerSource::new(config).unwrap();
    let sink = JsonlSink::new(sink_config).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("two")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_written, 245);
    check_two_streams(dir.path());
}

#[tokio::test(flavor = "current_thread")]
async fn batch_messages_deliver_their_files_records_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
import gzip
d = CONFIG["dir"]
schema("s", {"id": {"type": "integer"}})
record("s", {"id": 0})
with gzip.open(d + "/b1.jsonl.gz", "wt") as f:
    for i in range(1, 1001):
        f.write(json.dumps({"id": i}) + "\n")
with open(d + "/b 2.jsonl", "w") as f:
    for i in range(1001, 1501):
        f.write(json.dumps({"id": i}) + "\n")
emit({"type": "BATCH", "stream": "s", "encoding": {"format": "jsonl", "compression": "gzip"},
      "manifest": ["file://" + d + "/b1.jsonl.gz"]})
emit({"type": "BATCH", "stream": "s", "encoding": {"format": "jsonl", "compression": "none"},
      "manifest": ["file://" + d.replace(" ", "%20") + "/b%202.jsonl"]})
record("s", {"id": 1501})
state({"done": True})
"#;
    let tap = script_tap(dir.path(), "tap-batch", body);
    let mut config = config_for(&tap);
    config.config = json!({"dir": dir.path()}).as_object().unwrap().clone();
    let source = SingerSource::new(config).unwrap();
    let out = dir.path().join("out.jsonl");
    let sink = JsonlSink::new(JsonlSinkConfig::new(&out)).unwrap();
    let report = Pipeline::new(&source, sink)
        .with_name("batch")
        .run()
        .await
        .unwrap();
    assert_eq!(report.progress.records_written, 1502);
    let ids: Vec<Value> = read_jsonl(&out)
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, (0..1502).map(|i| json!(i)).collect::<Vec<_>>());
}
