//! `--version`, `--help`, `connectors`, `schema`, `completions`, and
//! `validate` errors.

mod support;

use faucet_core::schema::undocumented_properties;
use serde_json::Value;
use support::{faucet, stderr, stdout, validate, write};

#[test]
fn version_and_help_work_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("faucet {}", env!("CARGO_PKG_VERSION"))
    );
    for command in [
        vec!["run"],
        vec!["validate"],
        vec!["check"],
        vec!["schema"],
        vec!["connectors"],
        vec!["state", "show"],
        vec!["state", "reset"],
        vec!["init"],
        vec!["init", "pipeline"],
        vec!["init", "source"],
        vec!["init", "sink"],
        vec!["demo"],
        vec!["completions"],
    ] {
        let out = faucet(dir.path())
            .args(&command)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{command:?} --help failed");
        assert!(
            stdout(&out).contains("Usage: faucet"),
            "{command:?}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path()).arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = faucet(dir.path())
        .args(["run", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.yaml"), "{}", stderr(&out));
}

#[test]
fn connectors_lists_sources_sinks_and_transforms_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path()).arg("connectors").output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    let builtin = [
        ("source", "rest"),
        ("source", "singer"),
        ("sink", "jsonl"),
        ("sink", "postgres"),
        ("sink", "singer"),
        ("transform", "cast"),
        ("transform", "dedupe"),
        ("transform", "drop"),
        ("transform", "explode"),
        ("transform", "filter"),
        ("transform", "flatten"),
        ("transform", "hash"),
        ("transform", "metadata"),
        ("transform", "redact"),
        ("transform", "rename"),
        ("transform", "select"),
        ("transform", "set"),
    ];
    for (kind, name) in builtin {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().take(2).eq([kind, name]))
            .unwrap_or_else(|| panic!("no `{kind} {name}` line in:\n{text}"));
        assert!(
            line.split_whitespace().count() > 3,
            "no description: {line}"
        );
    }
    let out = faucet(dir.path())
        .args(["connectors", "--format", "json"])
        .output()
        .unwrap();
    let list: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<(&str, &str)> = list
        .iter()
        .map(|c| (c["kind"].as_str().unwrap(), c["name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, builtin);
    assert!(
        list.iter()
            .all(|c| c["description"].as_str().is_some_and(|d| !d.is_empty()))
    );
}

fn schema_of(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path())
        .arg("schema")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("schema output is JSON")
}

/// Every `$ref` points at a definition that exists.
fn assert_refs_resolve(schema: &Value) {
    let text = schema.to_string();
    for part in text.split("\"$ref\":\"#/$defs/").skip(1) {
        let name = &part[..part.find('"').unwrap()];
        assert!(schema["$defs"].get(name).is_some(), "dangling $ref {name}");
    }
}

#[test]
fn schemas_are_json_schema_with_every_property_described() {
    let whole = schema_of(&[]);
    assert!(
        whole["$schema"]
            .as_str()
            .unwrap()
            .contains("json-schema.org")
    );
    assert_eq!(whole["type"], "object");
    assert_refs_resolve(&whole);
    assert_eq!(undocumented_properties(&whole), Vec::<String>::new());
    for role in ["source", "sink"] {
        let variants = whole["properties"][role]["oneOf"].as_array().unwrap();
        assert!(!variants.is_empty(), "no {role} variants");
        for v in variants {
            assert!(v["properties"]["type"]["const"].is_string(), "{v}");
        }
    }
    for (kind, name) in [("source", "rest"), ("sink", "jsonl"), ("sink", "postgres")] {
        let schema = schema_of(&[kind, name]);
        assert_eq!(schema["type"], "object", "{kind} {name}");
        assert_refs_resolve(&schema);
        assert_eq!(
            undocumented_properties(&schema),
            Vec::<String>::new(),
            "{kind} {name}"
        );
    }
}

#[test]
fn schema_of_an_unknown_connector_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path())
        .args(["schema", "sink", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown sink type `nope`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_are_printed_for_bash_and_zsh() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [("bash", "_faucet()"), ("zsh", "#compdef faucet")] {
        let out = faucet(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(
            text.contains(marker),
            "{shell}: {}",
            &text[..text.len().min(200)]
        );
        assert!(
            text.contains("validate"),
            "{shell} completions lack subcommands"
        );
    }
}

#[test]
fn validate_reports_every_error_with_its_path_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "source:\n  type: rest\n  base_url: http://127.0.0.1:1\n  pagination:\n    kind: cursr\n\
         sink:\n  type: jsonl\n  commit_records: many\nsettings:\n  channel_depth: -1\nextra: 1\n",
    );
    let out = validate(dir.path(), &file);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    for expected in [
        "source.pagination.kind: unknown variant `cursr`, expected one of",
        "sink.commit_records: invalid type: string \"many\"",
        "settings.channel_depth: invalid value",
        "extra: unknown key",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let out = faucet(dir.path())
        .args(["validate", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["valid"], false);
    let paths: Vec<&str> = doc["files"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    for path in [
        "source.pagination.kind",
        "sink.commit_records",
        "settings.channel_depth",
        "extra",
    ] {
        assert!(paths.contains(&path), "{path} not in {paths:?}");
    }
}

#[test]
fn validate_accepts_a_good_file_and_names_a_missing_variable() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.yaml",
        "source: {type: rest, base_url: 'http://127.0.0.1:1'}\nsink: {type: jsonl, path: out.jsonl}\n",
    );
    let out = validate(dir.path(), &good);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("✓"), "{}", stdout(&out));
    let missing = write(
        dir.path(),
        "missing.yaml",
        "source: {type: rest, base_url: '${API_URL_NOT_SET}'}\nsink: {type: jsonl}\n",
    );
    let out = validate(dir.path(), &missing);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("source.base_url: environment variable `API_URL_NOT_SET` is not set"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn variables_come_from_dot_env_or_env_file_and_json_files_work() {
    let dir = tempfile::tempdir().unwrap();
    let text = "source:\n  type: rest\n  base_url: '${API_URL}'\n  concurrency: ${CONCURRENCY}\nsink: {type: jsonl}\n";
    let file = write(dir.path(), "p.yaml", text);
    write(
        dir.path(),
        ".env",
        "API_URL=http://127.0.0.1:1\nCONCURRENCY=2\n",
    );
    let out = validate(dir.path(), &file);
    assert!(out.status.success(), "./.env is read: {}", stderr(&out));

    // A typed value from a variable is checked like one written in place.
    write(
        dir.path(),
        "other.env",
        "API_URL=http://127.0.0.1:1\nCONCURRENCY=lots\n",
    );
    let out = faucet(dir.path())
        .args(["validate", "--env-file", "other.env"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("source.concurrency: invalid type"),
        "{}",
        stderr(&out)
    );

    let json = write(
        dir.path(),
        "p.json",
        r#"{"name": "j", "source": {"type": "rest", "base_url": "http://127.0.0.1:1"}, "sink": {"type": "jsonl"}}"#,
    );
    let out = validate(dir.path(), &json);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("pipeline `j`"), "{}", stdout(&out));
}

#[test]
fn a_variable_in_a_string_field_stays_a_string_whatever_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "typed.yaml",
        "source:\n  type: rest\n  base_url: http://127.0.0.1:1\n  path: /x\n  records: data\n  \
         auth:\n    kind: bearer\n    token: ${API_TOKEN}\n  \
         pagination: {kind: page_number, size_param: per_page, size: 50}\n\
         sink:\n  type: jsonl\n  path: out.jsonl\n  commit_records: ${COMMIT}\n",
    );
    for token in ["12345", "true", "1.5"] {
        let out = faucet(dir.path())
            .env("API_TOKEN", token)
            .env("COMMIT", "100")
            .arg("validate")
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "API_TOKEN={token}: {}", stderr(&out));
    }
    // A number field still takes a number, and a string there is an error.
    let out = faucet(dir.path())
        .env("API_TOKEN", "1")
        .env("PAGE", "50")
        .env("COMMIT", "many")
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("sink.commit_records: invalid type"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn validate_lists_every_mistake_in_one_connector_at_its_full_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "many.yaml",
        "source:\n  type: rest\n  base_url: http://127.0.0.1:1\n  \
         pagination: {kind: page_number, size_param: per_page, size: ten}\n  \
         auth: {kind: bearer, tokn: abc}\n\
         sink: {type: jsonl, path: out.jsonl}\n",
    );
    let out = validate(dir.path(), &file);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    for expected in [
        "has 3 errors",
        "source.pagination.size: invalid type: string \"ten\", expected u64 (line 4, column 57)",
        "source.auth.tokn: unknown field `tokn`",
        "(line 5, column 24)",
        "source.auth.token: missing field `token`",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

/// A wrong value beside values of the same type inside a tagged union
/// (`stop: {empty_page: true, total_path: true}`) is named by its own key,
/// not by the mapping that holds it; a concurrency too large to run is a
/// config error, not a crash.
#[test]
fn validate_names_the_one_wrong_value_among_look_alikes_and_bounds_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "alike.yaml",
        "source:\n  type: rest\n  base_url: http://127.0.0.1:1\n  \
         concurrency: 18446744073709551615\n  \
         pagination: {kind: page_number, size: 10, stop: {empty_page: true, total_path: true, max_pages: 5}}\n\
         sink: {type: jsonl, path: out.jsonl}\n",
    );
    let out = validate(dir.path(), &file);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("source.pagination.stop.total_path: invalid type: boolean `true`"),
        "{text}"
    );
    let file = write(
        dir.path(),
        "wide.yaml",
        "source: {type: rest, base_url: \"http://127.0.0.1:1\", concurrency: 18446744073709551615}\n\
         sink: {type: jsonl, path: out.jsonl}\n",
    );
    let out = validate(dir.path(), &file);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("source.concurrency: must be between 1 and 1024"),
        "{}",
        stderr(&out)
    );
}

/// The binary tunes mimalloc before `main` (memory committed on demand,
/// freed pages returned after 50 ms), and a `MIMALLOC_*` variable still
/// wins: losing the tuning doubled peak RSS in the benchmark once, and no
/// functional test noticed. mimalloc prints its options when verbose.
#[test]
fn the_allocator_is_tuned_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let out = faucet(dir.path())
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.contains("option 'arena_eager_commit': 0"), "{err}");
    assert!(err.contains("option 'purge_delay': 50"), "{err}");
    let out = faucet(dir.path())
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .env("MIMALLOC_PURGE_DELAY", "7")
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("option 'purge_delay': 7"),
        "{}",
        stderr(&out)
    );
}
