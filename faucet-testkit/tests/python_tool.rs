//! The Python tool helper installs a real package from the registry.

#[test]
fn a_pinned_tap_is_installed_once_and_runs() {
    let tap = faucet_testkit::python::tool("tap-jsonl", "0.3.1", "tap-jsonl");
    let again = faucet_testkit::python::tool("tap-jsonl", "0.3.1", "tap-jsonl");
    assert_eq!(tap, again);
    let about = std::process::Command::new(&tap)
        .args(["--about", "--format", "json"])
        .output()
        .unwrap();
    assert!(about.status.success(), "{about:?}");
    let about: serde_json::Value = serde_json::from_slice(&about.stdout).unwrap();
    assert_eq!(about["name"], "tap-jsonl");
    assert_eq!(about["version"], "0.3.1");
}
