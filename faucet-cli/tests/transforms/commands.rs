//! `faucet check`, `schema` and `connectors` with transforms registered.

use faucet_testkit::fixture::{FixtureConfig, FixtureServer};
use faucet_testkit::shop::{ShopConfig, ShopServer};
use serde_json::{Value, json};

use crate::support::shop::shop_pipeline;
use crate::support::{output, rest_to_jsonl, stderr, stdout, write};
use crate::{faucet, on_runtime};

pub(crate) fn check_reports_each_transform() {
    on_runtime(async {
        let server = FixtureServer::start(FixtureConfig::new(100)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let text = format!(
            "{}transforms:\n  - {{type: rename, fields: {{id: key}}}}\n  \
             - {{type: keep, where: {{field: key, multiple_of: 2}}}}\n",
            rest_to_jsonl(&server.url(), 10, &out)
        );
        let file = write(dir.path(), "check.yaml", &text);
        let mut cmd = faucet(dir.path());
        cmd.arg("check").arg(&file);
        let result = output(cmd).await;
        let text = stdout(&result);
        assert!(result.status.success(), "{text}{}", stderr(&result));
        for expected in [
            "transforms[0] `rename`\n  – nothing to check\n",
            "transforms[1] `keep`\n  ✓ condition is valid\n",
            "All checks passed.",
        ] {
            assert!(text.contains(expected), "{expected:?} not in:\n{text}");
        }
        let mut cmd = faucet(dir.path());
        cmd.args(["check", "--format", "json"]).arg(&file);
        let result = output(cmd).await;
        let doc: Value = serde_json::from_str(&stdout(&result)).unwrap();
        assert_eq!(doc["passed"], true);
        assert_eq!(doc["transforms"][1]["type"], "keep");
        assert_eq!(doc["transforms"][1]["items"][0]["status"], "passed");
    });
}

pub(crate) fn discover_shows_each_stream_after_the_transforms() {
    on_runtime(async {
        let shop = ShopServer::start(ShopConfig::new(3)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let text = shop_pipeline(&shop, "shop", 5, |file| {
            file["transforms"] = json!([{"type": "rename", "fields": {"id": "key"}}]);
        });
        let file = write(dir.path(), "shop.yaml", &text);
        let mut cmd = faucet(dir.path());
        cmd.args(["discover", "--format", "json"]).arg(&file);
        let result = output(cmd).await;
        assert!(result.status.success(), "{}", stderr(&result));
        let doc: Value = serde_json::from_str(&stdout(&result)).unwrap();
        let streams = doc["streams"].as_array().unwrap();
        assert_eq!(streams.len(), 3, "{doc}");
        for stream in streams {
            let properties = &stream["schema"]["properties"];
            assert!(properties["key"].is_object(), "{doc}");
            assert!(properties.get("id").is_none(), "{doc}");
        }
        assert_eq!(streams[0]["schema"]["properties"]["key"]["type"], "integer");
        let mut cmd = faucet(dir.path());
        cmd.arg("discover").arg(&file);
        let table = stdout(&output(cmd).await);
        let accounts = table.lines().nth(1).unwrap_or_default();
        assert!(
            accounts.starts_with("accounts")
                && accounts.contains("key")
                && !accounts.contains(" id,"),
            "{table}"
        );
    });
}

pub(crate) fn schema_and_connectors_know_transforms() {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path())
        .args(["schema", "transform", "keep"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let schema: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(schema["properties"]["where"].is_object(), "{schema}");

    let out = faucet(dir.path()).arg("schema").output().unwrap();
    let schema: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let transforms = &schema["properties"]["transforms"];
    assert_eq!(transforms["type"], "array");
    let variants = transforms["items"]["oneOf"].as_array().unwrap();
    let names: Vec<&str> = variants
        .iter()
        .map(|v| v["properties"]["type"]["const"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["keep", "reject", "rename"]);
    for variant in variants {
        assert_eq!(
            variant["properties"]["on_error"]["enum"],
            serde_json::json!(["fail", "skip", "dead_letter"])
        );
    }
    // The `where` of `keep` is a reference that resolves.
    let keep = serde_json::to_string(&variants[0]).unwrap();
    let target = keep
        .split("\"$ref\":\"#/$defs/")
        .nth(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .expect("keep's `where` is a $ref");
    assert!(schema["$defs"].get(target).is_some(), "dangling {target}");

    let out = faucet(dir.path()).arg("connectors").output().unwrap();
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("transform") && l.contains("keep")),
        "{text}"
    );
    let out = faucet(dir.path())
        .args(["connectors", "--format", "json"])
        .output()
        .unwrap();
    let list: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        list.iter()
            .any(|c| c["kind"] == "transform" && c["name"] == "rename"),
        "{list:?}"
    );
}
