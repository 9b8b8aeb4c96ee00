//! Managed virtualenvs: a target installed with pip into a folder of its
//! own, once.
//!
//! `pip_url` names what to install; its virtualenv is
//! `<venvs_dir>/<slug>-<hash>`, the hash taken over the whole `pip_url`,
//! so changing it installs afresh beside the old one. The installation
//! runs under an OS file lock on `<venv>.lock`, so two runs starting at
//! once wait for one installation instead of racing, and counts as done
//! only once pip has succeeded (a marker file holding the `pip_url`): an
//! interrupted installation is removed and redone, never trusted.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use faucet_core::connector::*;

use crate::mask::Masker;

/// The file whose presence says the installation finished.
const READY: &str = ".faucet-installed";

/// The executable `executable` of the virtualenv for `pip_url`, installed
/// first if need be. Blocking: call it from `spawn_blocking`.
pub(crate) fn ensure(
    venvs_dir: &Path,
    pip_url: &str,
    executable: &str,
    masker: &Masker,
) -> Result<PathBuf> {
    let venv = venvs_dir.join(folder_name(pip_url));
    install(&venv, pip_url, masker)?;
    let path = venv.join("bin").join(executable);
    if !path.is_file() {
        return Err(FaucetError::config(
            "executable",
            format!(
                "`{}` installs no executable `{executable}` (looked in {})",
                masker.mask(pip_url),
                venv.join("bin").display()
            ),
        ));
    }
    Ok(path)
}

/// `<slug>-<hash>`: the first requirement's name, readable, and a hash of
/// the whole `pip_url`.
fn folder_name(pip_url: &str) -> String {
    let first = pip_url.split_whitespace().next().unwrap_or("target");
    let name = first.rsplit('/').next().unwrap_or(first);
    let slug: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    let slug = slug.trim_start_matches('.');
    let slug = if slug.is_empty() { "target" } else { slug };
    format!("{slug}-{:016x}", fnv1a(pip_url.as_bytes()))
}

/// FNV-1a, 64 bits: a hash that stays the same across builds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn install(venv: &Path, pip_url: &str, masker: &Masker) -> Result<()> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        FaucetError::sink_error(format!("cannot {what} {}", path.display())).with_source(e)
    };
    let parent = venv.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
    let mut lock_name = venv.as_os_str().to_owned();
    lock_name.push(".lock");
    let lock_path = PathBuf::from(lock_name);
    let lock = File::create(&lock_path).map_err(|e| io("create", &lock_path, e))?;
    lock.lock().map_err(|e| io("lock", &lock_path, e))?;
    if venv.join(READY).is_file() {
        return Ok(());
    }
    if venv.exists() {
        fs::remove_dir_all(venv).map_err(|e| io("remove the unfinished virtualenv", venv, e))?;
    }
    tracing::info!(venv = %venv.display(), "Creating a virtualenv for the Singer target");
    run(
        Command::new("python3").arg("-m").arg("venv").arg(venv),
        "creating the target's virtualenv needs `python3` with its `venv` module \
         (Debian: apt-get install python3-venv)",
        masker,
    )?;
    tracing::info!(pip_url = %masker.mask(pip_url), "Installing the Singer target");
    run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(pip_url.split_whitespace()),
        "installing the target needs the Python package registry (pypi.org) or a mirror \
         set with PIP_INDEX_URL",
        masker,
    )?;
    fs::write(venv.join(READY), pip_url.as_bytes()).map_err(|e| io("mark", venv, e))
}

/// Runs `command`; on failure, an error with `hint` and the end of its
/// output, masked.
fn run(command: &mut Command, hint: &str, masker: &Masker) -> Result<()> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command.output().map_err(|e| {
        FaucetError::sink_error(format!("cannot run {program}: {hint}")).with_source(e)
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(FaucetError::sink_error(format!(
        "{program} failed ({}); {hint}:\n{}",
        output.status,
        masker.mask(&tail.join("\n"))
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_named_by_the_package_and_a_stable_hash() {
        let a = folder_name("meltanolabs-target-postgres==0.8.1");
        assert_eq!(
            a,
            format!(
                "meltanolabs-target-postgres-{:016x}",
                fnv1a(b"meltanolabs-target-postgres==0.8.1")
            )
        );
        assert_ne!(a, folder_name("meltanolabs-target-postgres==0.8.2"));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert!(folder_name("git+https://github.com/x/target-y.git").starts_with("target-y.git-"));
        for odd in ["../../etc", ".hidden", "/"] {
            let name = folder_name(odd);
            assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
        }
    }

    #[test]
    fn a_failing_command_is_an_error_with_its_masked_output() {
        let masker = Masker::of(
            faucet_core::serde_json::json!({"password": "hunter22"})
                .as_object()
                .unwrap(),
            &Default::default(),
        );
        let err = run(
            Command::new("sh").args(["-c", "echo bad hunter22 >&2; exit 3"]),
            "the hint",
            &masker,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("the hint") && err.contains("bad ***"), "{err}");
        assert!(!err.contains("hunter22"), "{err}");
    }
}
