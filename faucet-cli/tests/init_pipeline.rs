//! `faucet init pipeline` writes a commented file that validates once its
//! placeholders are filled in.

mod support;

use support::{faucet, stderr, validate};

/// A value for each placeholder `init pipeline` writes; a new required
/// field makes this test fail until it is given one here.
fn fill(key: &str) -> &'static str {
    match key {
        "base_url" => "http://127.0.0.1:9",
        "url" => "postgresql://loader@127.0.0.1:5432/warehouse",
        "table" => "users",
        "path" => "out.jsonl",
        "records" => "data",
        "pagination.kind" => "none",
        other => panic!("no test value for the placeholder of `{other}`"),
    }
}

#[test]
fn init_pipeline_writes_a_file_that_validates_once_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    for (source, sink) in [("rest", "postgres"), ("rest", "jsonl")] {
        let file = dir.path().join(format!("{source}-{sink}.yaml"));
        let out = faucet(dir.path())
            .args(["init", "pipeline", "--source", source, "--sink", sink, "-o"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains(&format!("type: {source}")) && text.contains(&format!("type: {sink}"))
        );
        assert!(
            text.contains("# required"),
            "required fields are marked:\n{text}"
        );

        // As written, every placeholder is an error at its path.
        let out = validate(dir.path(), &file);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("source.base_url: still the placeholder"),
            "{}",
            stderr(&out)
        );
        for key in ["source.path", "source.records", "source.pagination.kind"] {
            assert!(
                stderr(&out).contains(&format!("{key}: still the placeholder")),
                "{key}: {}",
                stderr(&out)
            );
        }
        let filled = text
            .split("\"FILL IN: ")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    return part.to_owned();
                }
                let (key, rest) = part.split_once('"').unwrap();
                format!("\"{}\"{rest}", fill(key))
            })
            .collect::<String>();
        std::fs::write(&file, filled).unwrap();
        let out = validate(dir.path(), &file);
        assert!(
            out.status.success(),
            "{source}→{sink}: {}\n{}",
            stderr(&out),
            std::fs::read_to_string(&file).unwrap()
        );

        // It never overwrites.
        let out = faucet(dir.path())
            .args(["init", "pipeline", "-o"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
}
