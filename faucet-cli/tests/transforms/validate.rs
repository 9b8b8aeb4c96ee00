//! `faucet validate` with transforms: every error at its full path, with
//! its line and column in the YAML.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::faucet;
use crate::support::{stderr, stdout, write};

const SOURCE: &str = "source:\n  type: rest\n  base_url: \"http://127.0.0.1:1\"\n  \
                      path: /records/page\n  records: data\n";
const SINK: &str = "sink:\n  type: jsonl\n  path: out.jsonl\n";

/// Lines 6 to 26: one mistake per item, except the last.
const TRANSFORMS: &str = "\
transforms:
  - type: rename
    fields:
      createdAt: \"\"
  - type: filtr
    where: x
  - type: keep
    where: {field: id, multiple_of: 0}
  - type: keep
    on_error: sometimes
    where: {field: id, multiple_of: 2}
  - type: keep
    where:
      field: 3
      multiple_of: 2
  - type: keep
    wher: {field: id, multiple_of: 2}
  - type: reject
    on_error: skip
    field: id
    multiple_of: 7
";

/// `faucet validate [--format json] FILE` in `dir`, to its end.
fn validate(dir: &Path, file: &Path, json: bool) -> Output {
    let mut cmd = faucet(dir);
    cmd.arg("validate");
    if json {
        cmd.args(["--format", "json"]);
    }
    cmd.arg(file).output().unwrap()
}

pub(crate) fn every_transform_error_at_its_path_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        &format!("{SOURCE}{TRANSFORMS}{SINK}"),
    );
    let out = validate(dir.path(), &file, false);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    for expected in [
        "has 7 errors",
        "transforms[0].fields.createdAt: the new name must not be empty (line 9, column 7)",
        "transforms[1].type: unknown transform type `filtr`; registered transforms: keep, \
         reject, rename (line 10, column 5)",
        "transforms[2].where.multiple_of: must be at least 1 (line 13, column 24)",
        "transforms[3].on_error: unknown variant `sometimes`, expected one of `fail`, `skip`, \
         `dead_letter` (line 15, column 5)",
        "transforms[4].where.field: invalid type: integer `3`, expected a string (line 19, \
         column 7)",
        "transforms[5].wher: unknown field `wher`",
        "(line 22, column 5)",
        "transforms[5].where: missing field `where` (line 21, column 3)",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(!text.contains("transforms[6]"), "{text}");

    let out = validate(dir.path(), &file, true);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut paths: Vec<&str> = doc["files"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    // Items that do not split (a bad `type` or `on_error`) are reported
    // before configs that do not build.
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "transforms[0].fields.createdAt",
            "transforms[1].type",
            "transforms[2].where.multiple_of",
            "transforms[3].on_error",
            "transforms[4].where.field",
            "transforms[5].wher",
            "transforms[5].where",
        ]
    );

    let not_a_list = write(
        dir.path(),
        "list.yaml",
        &format!("{SOURCE}transforms: {{type: keep}}\n{SINK}"),
    );
    let out = validate(dir.path(), &not_a_list, false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "transforms: expected a list of transforms, each a mapping with a `type` key \
             (line 6, column 1)"
        ),
        "{}",
        stderr(&out)
    );
}

pub(crate) fn lists_the_transforms_of_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "good.yaml",
        &format!(
            "{SOURCE}transforms:\n  - type: keep\n    where: {{field: id, multiple_of: 2}}\n  \
             - {{type: rename, on_error: skip, fields: {{id: key}}}}\n{SINK}"
        ),
    );
    let out = validate(dir.path(), &file, false);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("source `rest` → transforms `keep`, `rename` → sink `jsonl`"),
        "{}",
        stdout(&out)
    );
    let out = validate(dir.path(), &file, true);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        doc["files"][0]["transforms"],
        serde_json::json!(["keep", "rename"])
    );
}
