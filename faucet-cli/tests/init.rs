//! `faucet init source|sink|transform` crates pass their own next steps as a new
//! connector author runs them: `cargo fmt --check`, `cargo clippy -D
//! warnings` (the `faucet-NAME` binary included) and `cargo test`, whose
//! conformance tests must run by name.

mod support;

use std::path::Path;
use std::process::Command as Std;

use support::{faucet, stderr, stdout, workspace_root};

/// Runs `cargo ARGS` in `dir` against this workspace's target directory
/// (shared dependency builds: seconds, not minutes), offline, and returns
/// its stdout; fails the test when cargo fails.
fn cargo(dir: &Path, args: &[&str]) -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let out = Std::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`cargo {}` in {} failed:\n{}\n{}",
        args.join(" "),
        dir.display(),
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Scaffolds `faucet-ROLE-acme` with the default dependencies and checks
/// its files and manifest.
fn scaffold(dir: &Path, role: &str) -> std::path::PathBuf {
    let crate_dir = dir.join(format!("faucet-{role}-acme"));
    let out = faucet(dir).args(["init", role, "acme"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let root = workspace_root();
    assert!(
        stderr(&out).contains(&format!(
            "by path, from the faucet checkout at {}",
            root.display()
        )),
        "{}",
        stderr(&out)
    );
    let io_file = match role {
        "source" => "src/stream.rs",
        "sink" => "src/sink.rs",
        _ => "src/transform.rs",
    };
    for file in [
        "Cargo.toml",
        "README.md",
        "src/lib.rs",
        "src/main.rs",
        "src/config.rs",
        io_file,
        "tests/conformance.rs",
    ] {
        assert!(crate_dir.join(file).is_file(), "{file} missing");
    }
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    let core = format!(
        "faucet-core = {{ path = \"{}\" }}",
        root.join("faucet-core").display()
    );
    assert!(manifest.contains(&core), "not {core}:\n{manifest}");
    assert!(
        !manifest.contains("version = \"0.1.0\" }"),
        "a crates.io faucet-core:\n{manifest}"
    );
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap();
    assert!(
        readme.contains("not on\ncrates.io under these names yet"),
        "{readme}"
    );
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    crate_dir
}

#[test]
fn init_scaffolds_crates_that_pass_fmt_clippy_and_their_conformance_tests() {
    let dir = tempfile::tempdir().unwrap();
    for role in ["source", "sink", "transform"] {
        let crate_dir = scaffold(dir.path(), role);
        cargo(&crate_dir, &["fmt", "--check"]);
        cargo(
            &crate_dir,
            &[
                "clippy",
                "--offline",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ],
        );
        let text = cargo(&crate_dir, &["test", "--offline", "--test", "conformance"]);
        for name in [
            "passes_the_conformance_kit",
            "rejects_bad_config_with_a_path",
        ] {
            assert!(
                text.contains(&format!("test {name} ... ok")),
                "{role}: {name} did not run:\n{text}"
            );
        }
        assert!(
            text.contains("test result: ok. 2 passed; 0 failed"),
            "{role}:\n{text}"
        );
    }
    let out = faucet(dir.path())
        .args(["init", "source", "acme"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing directory is refused"
    );
    let out = faucet(dir.path())
        .args(["init", "source", "Bad_Name"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
