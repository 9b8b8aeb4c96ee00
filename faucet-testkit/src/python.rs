//! Real Python tools for tests: a pinned package from the Python package
//! registry, installed once into a throwaway virtualenv of its own.
//!
//! The Singer bridge is tested against real taps and targets, never
//! imitations of them. [`tool`] creates a virtualenv with the system
//! `python3 -m venv`, `pip install`s the pinned package into it and returns
//! the path of one of its executables. Every package gets its own
//! virtualenv (as Meltano does), so two tools never fight over versions.
//!
//! Virtualenvs are cached, so a suite pays for each installation once:
//! under `FAUCET_TEST_VENVS` when set, else next to the build's `target/`
//! folder (`target/faucet-test-venvs/`), else in the temporary directory.
//! A file lock makes test processes running at once wait for one
//! installation instead of racing. A virtualenv counts as installed only
//! once pip has succeeded (a marker file), so an interrupted installation
//! is redone, not trusted.
//!
//! There is no silent skip: without `python3`, its `venv` module or a
//! reachable package registry, [`tool`] panics with a message that says
//! what is missing and how to provide it.
//!
//! ```no_run
//! let tap = faucet_testkit::python::tool("tap-jsonl", "0.3.1", "tap-jsonl");
//! let about = std::process::Command::new(&tap).arg("--about").output().unwrap();
//! assert!(about.status.success());
//! ```

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The file whose presence says the virtualenv's installation finished.
const READY: &str = ".faucet-installed";

/// The path of `executable` from `package==version`, installed into a
/// cached virtualenv of its own (see the [module docs](self)).
///
/// # Panics
///
/// When the virtualenv cannot be created or the package cannot be
/// installed; the message names the command that failed and its output.
pub fn tool(package: &str, version: &str, executable: &str) -> PathBuf {
    match install(package, version) {
        Ok(venv) => {
            let path = venv.join("bin").join(executable);
            assert!(
                path.is_file(),
                "{package}=={version} is installed in {} but has no executable `{executable}`",
                venv.display()
            );
            path
        }
        Err(message) => panic!("{message}"),
    }
}

/// The folder that holds the cached virtualenvs.
pub fn venvs_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FAUCET_TEST_VENVS") {
        return PathBuf::from(dir);
    }
    // Test binaries live in `<target>/<profile>/deps/`.
    let target = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.file_name().is_some_and(|name| name == "deps"))
            .and_then(|deps| deps.parent()?.parent().map(Path::to_path_buf))
    });
    target
        .unwrap_or_else(std::env::temp_dir)
        .join("faucet-test-venvs")
}

/// Installs `package==version` into its virtualenv unless that is done.
fn install(package: &str, version: &str) -> Result<PathBuf, String> {
    let root = venvs_dir();
    fs::create_dir_all(&root).map_err(|e| {
        format!(
            "cannot create the virtualenv folder {}: {e}",
            root.display()
        )
    })?;
    let venv = root.join(format!("{package}-{version}"));
    let lock_path = root.join(format!("{package}-{version}.lock"));
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    if venv.join(READY).is_file() {
        return Ok(venv);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv).map_err(|e| {
            format!(
                "cannot remove the unfinished virtualenv {}: {e}",
                venv.display()
            )
        })?;
    }
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "creating a virtualenv needs `python3` with its `venv` module \
         (Debian: apt-get install python3-venv)",
    )?;
    run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("{package}=={version}")),
        "installing a test tool needs the Python package registry (pypi.org) \
         or a mirror set with PIP_INDEX_URL",
    )?;
    File::create(venv.join(READY))
        .map_err(|e| format!("cannot mark {} installed: {e}", venv.display()))?;
    Ok(venv)
}

/// Runs `command`; on failure, a message with `hint` and the output.
fn run(command: &mut Command, hint: &str) -> Result<(), String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}; {hint}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "{shown} failed ({}); {hint}:\n{}",
        output.status,
        tail.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_command_names_itself_the_hint_and_its_output() {
        let err = run(
            Command::new("sh").args(["-c", "echo broken >&2; exit 3"]),
            "the hint",
        )
        .unwrap_err();
        assert!(err.contains("\"sh\""), "{err}");
        assert!(err.contains("the hint"), "{err}");
        assert!(err.contains("broken"), "{err}");
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_panic() {
        let err = run(&mut Command::new("/nonexistent/python3"), "hint").unwrap_err();
        assert!(err.starts_with("cannot run"), "{err}");
    }
}
