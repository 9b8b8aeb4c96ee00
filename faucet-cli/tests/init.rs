//! `faucet init source|sink` crates compile and pass their conformance
//! tests.

mod support;

use std::process::Command as Std;

use support::{faucet, stderr, stdout, workspace_root};

/// Scaffolds a crate and runs its tests against this workspace's
/// faucet-core, reusing this workspace's lock file, offline.
fn scaffold_and_test(role: &str) {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join(format!("faucet-{role}-acme"));
    let out = faucet(dir.path())
        .args(["init", role, "acme", "--core-path"])
        .arg(workspace_root().join("faucet-core"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for file in [
        "Cargo.toml",
        "README.md",
        "src/lib.rs",
        "src/config.rs",
        "tests/conformance.rs",
    ] {
        assert!(crate_dir.join(file).is_file(), "{file} missing");
    }
    let io_file = if role == "source" {
        "src/stream.rs"
    } else {
        "src/sink.rs"
    };
    assert!(crate_dir.join(io_file).is_file());
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap();
    let deps = deps.split("[dev-dependencies]").next().unwrap();
    assert_eq!(
        deps.trim().lines().count(),
        1,
        "depends on faucet-core only:\n{deps}"
    );
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .unwrap();

    // The workspace's own target directory: the scaffold shares its
    // dependencies' builds, so this takes seconds.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let out = Std::new(env!("CARGO"))
        .args(["test", "--offline", "--quiet"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo test in the scaffolded {role} crate failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("passes_the_conformance_kit") || text.contains("test result: ok"),
        "{text}"
    );

    let out = faucet(dir.path())
        .args(["init", role, "acme"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing directory is refused"
    );
    let out = faucet(dir.path())
        .args(["init", role, "Bad_Name"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_source_scaffolds_a_crate_that_passes_the_conformance_kit() {
    scaffold_and_test("source");
}

#[test]
fn init_sink_scaffolds_a_crate_that_passes_the_conformance_kit() {
    scaffold_and_test("sink");
}
