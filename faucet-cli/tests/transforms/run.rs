//! `faucet run` with transforms against the test kit's fixture API on
//! 127.0.0.1 and a JSON Lines sink.

use faucet_testkit::fixture::{Fault, FaultRule, FixtureConfig, FixtureServer};
use serde_json::Value;

use crate::support::{jsonl_ids, output, rest_to_jsonl, stderr, stdout, write};
use crate::{faucet, on_runtime};

/// `rest_to_jsonl` with a `transforms:` section.
fn with_transforms(base_url: &str, out: &std::path::Path, transforms: &str) -> String {
    format!(
        "{}transforms:\n{transforms}",
        rest_to_jsonl(base_url, 100, out)
    )
}

pub(crate) fn pages_filtered_empty_complete_and_resume_after_them() {
    on_runtime(async {
        let server = FixtureServer::start(FixtureConfig::new(3_000))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("kept.jsonl");
        let keep = "  - type: keep\n    where: {field: id, multiple_of: 1000}\n";
        let file = write(
            dir.path(),
            "kept.yaml",
            &with_transforms(&server.url(), &out, keep),
        );
        // Pages 1 to 14 are served (only page 10 keeps a record); page 15
        // fails and is not retried.
        let not_found = Fault::Status {
            status: 404,
            retry_after: None,
            headers: Vec::new(),
        };
        server.inject(FaultRule::new(not_found).on_path("/records/page").after(14));
        let mut cmd = faucet(dir.path());
        cmd.arg("run").arg(&file);
        let first = output(cmd).await;
        assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
        assert_eq!(jsonl_ids(&out), [1000]);

        server.clear_faults();
        server.clear_log();
        let mut cmd = faucet(dir.path());
        cmd.args(["run", "--report", "report.json"]).arg(&file);
        let second = output(cmd).await;
        let log = stderr(&second);
        assert!(second.status.success(), "{log}");
        // The empty pages 11 to 14 carried their checkpoints: the rerun
        // starts at page 15.
        let pages: Vec<String> = server
            .requests_to("/records/page")
            .iter()
            .filter_map(|r| r.query_value("page"))
            .collect();
        assert_eq!(pages.first().map(String::as_str), Some("15"), "{pages:?}");
        assert_eq!(jsonl_ids(&out), [1000, 2000, 3000]);
        for expected in [
            "Completed pipeline `kept`",
            "1,600 read, 2 written, 2 committed",
            "resumed after",
        ] {
            assert!(log.contains(expected), "{expected:?} not in:\n{log}");
        }
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["progress"]["records_read"], 1_600);
        assert_eq!(report["progress"]["records_written"], 2);
    });
}

pub(crate) fn skips_records_a_transform_fails_on_and_counts_them() {
    on_runtime(async {
        let server = FixtureServer::start(FixtureConfig::new(1_000))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let reject = "  - {type: reject, on_error: skip, field: id, multiple_of: 7}\n";
        let file = write(
            dir.path(),
            "skip.yaml",
            &with_transforms(&server.url(), &out, reject),
        );
        let mut cmd = faucet(dir.path());
        cmd.args(["run", "--report", "report.json"]).arg(&file);
        let result = output(cmd).await;
        let log = stderr(&result);
        assert!(result.status.success(), "{log}");
        let kept: Vec<u64> = (1..=1_000).filter(|id| id % 7 != 0).collect();
        assert_eq!(jsonl_ids(&out), kept);
        for expected in [
            "1,000 read, 858 written, 858 committed",
            "skipped     142 records a transform failed on",
            "transforms[0] (reject)",
        ] {
            assert!(log.contains(expected), "{expected:?} not in:\n{log}");
        }
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["progress"]["records_skipped"], 142);
        assert_eq!(report["progress"]["records_read"], 1_000);
        assert_eq!(report["progress"]["records_written"], 858);
    });
}

pub(crate) fn fails_naming_the_transform_and_the_record() {
    on_runtime(async {
        let server = FixtureServer::start(FixtureConfig::new(1_000))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let reject = "  - {type: reject, field: id, multiple_of: 7}\n";
        let file = write(
            dir.path(),
            "fail.yaml",
            &with_transforms(&server.url(), &out, reject),
        );
        let mut cmd = faucet(dir.path());
        cmd.arg("run").arg(&file);
        let result = output(cmd).await;
        let log = stderr(&result);
        assert_eq!(result.status.code(), Some(1), "{log}");
        assert!(
            log.contains("transforms[0] (reject)") && log.contains("page 0, record 6"),
            "{log}"
        );
        assert!(log.contains("field `id` is a multiple of 7"), "{log}");
        assert!(
            jsonl_ids(&out).is_empty(),
            "a failed first page wrote records"
        );
    });
}

pub(crate) fn dry_run_shows_records_after_the_transforms() {
    on_runtime(async {
        let server = FixtureServer::start(FixtureConfig::new(1_000))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let transforms = "  - type: keep\n    where: {field: id, multiple_of: 10}\n  \
                          - {type: rename, fields: {id: key}}\n";
        let file = write(
            dir.path(),
            "dry.yaml",
            &with_transforms(&server.url(), &out, transforms),
        );
        let mut cmd = faucet(dir.path());
        cmd.args(["run", "--dry-run"]).arg(&file);
        let result = output(cmd).await;
        assert!(result.status.success(), "{}", stderr(&result));
        let records: Vec<Value> = stdout(&result)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let keys: Vec<u64> = records.iter().map(|r| r["key"].as_u64().unwrap()).collect();
        assert_eq!(keys, (1..=10).map(|i| i * 10).collect::<Vec<_>>());
        assert!(records.iter().all(|r| r.get("id").is_none()));
        assert!(
            stderr(&result).contains("100 records, 10 after 2 transforms, showing 10"),
            "{}",
            stderr(&result)
        );
        let mut cmd = faucet(dir.path());
        cmd.args(["run", "--dry-run", "--limit", "3"]).arg(&file);
        let result = output(cmd).await;
        assert!(result.status.success(), "{}", stderr(&result));
        assert_eq!(stdout(&result).lines().count(), 3);
        assert!(
            stderr(&result).contains("100 records, 10 after 2 transforms, showing 3"),
            "{}",
            stderr(&result)
        );
        assert!(!out.exists(), "a dry run wrote {}", out.display());
    });
}
