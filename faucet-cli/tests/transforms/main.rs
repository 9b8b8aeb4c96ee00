//! Transforms in pipeline files, through a real `faucet` process whose
//! registry holds test transforms (`keep`, `rename`, `reject`; see
//! `registry.rs`): validation at full paths with YAML positions, runs that
//! filter pages empty and still resume, dry runs, `on_error: skip`,
//! `check`, `discover`, `schema` and `connectors`.
//!
//! This test binary is that `faucet`: started with `FAUCET_TEST_CLI` set,
//! it is `faucet_cli::main_with(registry)`, as a third-party binary is;
//! otherwise it runs the tests (the crate declares it `harness = false`).

#[path = "../support/mod.rs"]
mod support;

mod commands;
mod registry;
mod run;
mod validate;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::ExitCode;

/// Set to make this binary the `faucet` command line.
const AS_CLI: &str = "FAUCET_TEST_CLI";

/// The tests, by name.
const TESTS: &[(&str, fn())] = &[
    (
        "validate_reports_every_transform_error_at_its_path_and_position",
        validate::every_transform_error_at_its_path_and_position,
    ),
    (
        "validate_lists_the_transforms_of_a_valid_file",
        validate::lists_the_transforms_of_a_valid_file,
    ),
    (
        "run_with_pages_filtered_empty_completes_and_resumes_after_them",
        run::pages_filtered_empty_complete_and_resume_after_them,
    ),
    (
        "run_skips_records_a_transform_fails_on_and_counts_them",
        run::skips_records_a_transform_fails_on_and_counts_them,
    ),
    (
        "run_fails_naming_the_transform_and_the_record",
        run::fails_naming_the_transform_and_the_record,
    ),
    (
        "dry_run_shows_records_after_the_transforms",
        run::dry_run_shows_records_after_the_transforms,
    ),
    (
        "check_reports_each_transform",
        commands::check_reports_each_transform,
    ),
    (
        "discover_shows_each_stream_after_the_transforms",
        commands::discover_shows_each_stream_after_the_transforms,
    ),
    (
        "schema_and_connectors_know_transforms",
        commands::schema_and_connectors_know_transforms,
    ),
];

fn main() -> ExitCode {
    if std::env::var_os(AS_CLI).is_some() {
        return faucet_cli::main_with(registry::with_test_transforms());
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        TESTS.iter().for_each(|(name, _)| println!("{name}: test"));
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<_> = TESTS
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, test) in chosen.iter().copied() {
        let ok = catch_unwind(AssertUnwindSafe(test)).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        if !ok {
            failed.push(*name);
        }
    }
    let passed = chosen.len() - failed.len();
    if failed.is_empty() {
        println!("\ntest result: ok. {passed} passed; 0 failed\n");
        ExitCode::SUCCESS
    } else {
        println!("\nfailures:\n    {}", failed.join("\n    "));
        println!(
            "\ntest result: FAILED. {passed} passed; {} failed\n",
            failed.len()
        );
        ExitCode::from(101)
    }
}

/// This binary as `faucet`, run in `dir` with a clean environment for the
/// names tests use.
pub(crate) fn faucet(dir: &Path) -> assert_cmd::Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = assert_cmd::Command::new(exe);
    cmd.current_dir(dir)
        .env(AS_CLI, "1")
        .env_remove("RUST_LOG")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Runs `test` on a multi-threaded runtime (the fixture server serves on
/// it while `faucet` runs).
pub(crate) fn on_runtime<F: std::future::Future>(test: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(test)
}
