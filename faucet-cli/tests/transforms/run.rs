//! `faucet run` with transforms against the test kit's fixture API on
//! 127.0.0.1 and a JSON Lines sink.

use std::path::PathBuf;
use std::process::Output;

use faucet_testkit::fixture::{Fault, FaultRule, FixtureConfig, FixtureServer};
use serde_json::Value;

use crate::support::{jsonl_ids, output, rest_to_jsonl, stderr, stdout, write};
use crate::{faucet, on_runtime};

/// A fixture API and a pipeline file `NAME.yaml` reading it, 100 records a
/// page, through `transforms` into `out.jsonl`.
struct Setup {
    server: FixtureServer,
    dir: tempfile::TempDir,
    out: PathBuf,
    file: PathBuf,
}

impl Setup {
    async fn new(records: u64, name: &str, transforms: &str) -> Self {
        let server = FixtureServer::start(FixtureConfig::new(records))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let text = format!(
            "{}transforms:\n{transforms}",
            rest_to_jsonl(&server.url(), 100, &out)
        );
        let file = write(dir.path(), &format!("{name}.yaml"), &text);
        Self {
            server,
            dir,
            out,
            file,
        }
    }

    /// `faucet ARGS FILE`, to its end.
    async fn faucet(&self, args: &[&str]) -> Output {
        let mut cmd = faucet(self.dir.path());
        cmd.args(args).arg(&self.file);
        output(cmd).await
    }

    /// The `--report report.json` of the last run.
    fn report(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.path().join("report.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

fn assert_contains(text: &str, expected: &[&str]) {
    for part in expected {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }
}

pub(crate) fn pages_filtered_empty_complete_and_resume_after_them() {
    on_runtime(async {
        let keep = "  - type: keep\n    where: {field: id, multiple_of: 1000}\n";
        let setup = Setup::new(3_000, "kept", keep).await;
        // Pages 1 to 14 are served (only page 10 keeps a record); page 15
        // fails and is not retried.
        let not_found = Fault::Status {
            status: 404,
            retry_after: None,
            headers: Vec::new(),
        };
        let rule = FaultRule::new(not_found).on_path("/records/page").after(14);
        setup.server.inject(rule);
        let first = setup.faucet(&["run"]).await;
        assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
        assert_eq!(jsonl_ids(&setup.out), [1000]);

        setup.server.clear_faults();
        setup.server.clear_log();
        let second = setup.faucet(&["run", "--report", "report.json"]).await;
        let log = stderr(&second);
        assert!(second.status.success(), "{log}");
        // The empty pages 11 to 14 carried their checkpoints: the rerun
        // starts at page 15.
        let pages: Vec<String> = setup
            .server
            .requests_to("/records/page")
            .iter()
            .filter_map(|r| r.query_value("page"))
            .collect();
        assert_eq!(pages.first().map(String::as_str), Some("15"), "{pages:?}");
        assert_eq!(jsonl_ids(&setup.out), [1000, 2000, 3000]);
        assert_contains(
            &log,
            &[
                "Completed pipeline `kept`",
                "1,600 read, 2 written, 2 committed",
                "resumed after",
            ],
        );
        let report = setup.report();
        assert_eq!(report["progress"]["records_read"], 1_600);
        assert_eq!(report["progress"]["records_written"], 2);
    });
}

pub(crate) fn skips_records_a_transform_fails_on_and_counts_them() {
    on_runtime(async {
        let reject = "  - {type: reject, on_error: skip, field: id, multiple_of: 7}\n";
        let setup = Setup::new(1_000, "skip", reject).await;
        let result = setup.faucet(&["run", "--report", "report.json"]).await;
        let log = stderr(&result);
        assert!(result.status.success(), "{log}");
        let kept: Vec<u64> = (1..=1_000).filter(|id| id % 7 != 0).collect();
        assert_eq!(jsonl_ids(&setup.out), kept);
        assert_contains(
            &log,
            &[
                "1,000 read, 858 written, 858 committed",
                "skipped     142 records a transform failed on",
                "transforms[0] (reject)",
            ],
        );
        let report = setup.report();
        assert_eq!(report["progress"]["records_skipped"], 142);
        assert_eq!(report["progress"]["records_read"], 1_000);
        assert_eq!(report["progress"]["records_written"], 858);
    });
}

pub(crate) fn fails_naming_the_transform_and_the_record() {
    on_runtime(async {
        let reject = "  - {type: reject, field: id, multiple_of: 7}\n";
        let setup = Setup::new(1_000, "fail", reject).await;
        let result = setup.faucet(&["run"]).await;
        let log = stderr(&result);
        assert_eq!(result.status.code(), Some(1), "{log}");
        assert_contains(
            &log,
            &[
                "transforms[0] (reject)",
                "page 0, record 6",
                "field `id` is a multiple of 7",
            ],
        );
        assert!(
            jsonl_ids(&setup.out).is_empty(),
            "a failed page was written"
        );
    });
}

pub(crate) fn dry_run_shows_records_after_the_transforms() {
    on_runtime(async {
        let transforms = "  - type: keep\n    where: {field: id, multiple_of: 10}\n  \
                          - {type: rename, fields: {id: key}}\n";
        let setup = Setup::new(1_000, "dry", transforms).await;
        let result = setup.faucet(&["run", "--dry-run"]).await;
        assert!(result.status.success(), "{}", stderr(&result));
        let records: Vec<Value> = stdout(&result)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let keys: Vec<u64> = records.iter().map(|r| r["key"].as_u64().unwrap()).collect();
        assert_eq!(keys, (1..=10).map(|i| i * 10).collect::<Vec<_>>());
        assert!(records.iter().all(|r| r.get("id").is_none()));
        let counts = "100 records, 10 after 2 transforms, showing 10";
        assert_contains(&stderr(&result), &[counts]);

        let result = setup.faucet(&["run", "--dry-run", "--limit", "3"]).await;
        assert!(result.status.success(), "{}", stderr(&result));
        assert_eq!(stdout(&result).lines().count(), 3);
        let counts = "100 records, 10 after 2 transforms, showing 3";
        assert_contains(&stderr(&result), &[counts]);
        assert!(
            !setup.out.exists(),
            "a dry run wrote {}",
            setup.out.display()
        );
    });
}
