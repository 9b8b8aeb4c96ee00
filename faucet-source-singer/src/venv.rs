//! Managed virtualenvs: `pip_url` installed once into a folder of its own.
//!
//! `<venvs_dir>/<first 16 hex digits of sha256(pip_url)>/` is made with
//! the system `python3 -m venv`, and `pip install`s the requirements of
//! `pip_url`. A file lock beside it makes runs starting at once wait for
//! one installation, and a marker file written only after pip succeeds
//! says the folder is ready: an interrupted installation is redone.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use faucet_core::{FaucetError, Result};
use sha2::{Digest, Sha256};

/// The file whose presence says the installation finished.
const READY: &str = ".faucet-installed";

/// The folder of `pip_url`'s virtualenv under `root`.
pub(crate) fn venv_dir(root: &Path, pip_url: &str) -> PathBuf {
    let digest = Sha256::digest(pip_url.trim().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    root.join(hex)
}

/// The path of `executable` in `pip_url`'s virtualenv, installing it
/// first if needed. Blocking: call from `spawn_blocking`.
pub(crate) fn ensure(root: &Path, pip_url: &str, executable: &str) -> Result<PathBuf> {
    let venv = venv_dir(root, pip_url);
    fs::create_dir_all(root).map_err(|e| io_error("create", root, e))?;
    let lock_path = venv.with_extension("lock");
    let lock = File::create(&lock_path).map_err(|e| io_error("create", &lock_path, e))?;
    lock.lock().map_err(|e| io_error("lock", &lock_path, e))?;
    if !venv.join(READY).is_file() {
        install(&venv, pip_url)?;
    }
    let path = venv.join("bin").join(executable);
    if !path.is_file() {
        return Err(FaucetError::config(
            "executable",
            format!(
                "`{executable}` is not an executable of the virtualenv of pip_url `{}` ({})",
                hide_userinfo(pip_url),
                venv.display()
            ),
        ));
    }
    Ok(path)
}

fn install(venv: &Path, pip_url: &str) -> Result<()> {
    if venv.exists() {
        fs::remove_dir_all(venv).map_err(|e| io_error("remove the unfinished", venv, e))?;
    }
    tracing::info!(
        venv = %venv.display(),
        pip_url = %hide_userinfo(pip_url),
        "Installing the tap into a virtualenv"
    );
    run(
        Command::new("python3").arg("-m").arg("venv").arg(venv),
        "making a virtualenv needs `python3` with its `venv` module \
         (Debian: apt-get install python3-venv)",
    )?;
    run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(pip_url.split_whitespace()),
        "pip_url must name packages the package index (or PIP_INDEX_URL) has",
    )?;
    File::create(venv.join(READY)).map_err(|e| io_error("mark installed", venv, e))?;
    Ok(())
}

/// Runs `command`; on failure an error with `hint` and its last output
/// lines.
fn run(command: &mut Command, hint: &str) -> Result<()> {
    // A pip_url may carry a token (`git+https://TOKEN@host/...`).
    let shown = hide_userinfo(&format!("{command:?}"));
    let output = command.output().map_err(|e| {
        FaucetError::source_error(format!("cannot run {shown}: {e}; {hint}")).with_source(e)
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let tail = hide_userinfo(&lines[lines.len().saturating_sub(20)..].join("\n"));
    Err(FaucetError::source_error(format!(
        "{shown} failed ({}); {hint}:\n{tail}",
        output.status
    )))
}

/// `text` with the user information of every URL in it (`https://TOKEN@`,
/// `https://user:password@`) replaced by the mask.
pub(crate) fn hide_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\''))
            .unwrap_or(after.len());
        match after[..end].rfind('@') {
            Some(userinfo) => {
                out.push_str(crate::mask::MASK);
                rest = &after[userinfo..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> FaucetError {
    FaucetError::source_error(format!("cannot {what} {}: {e}", path.display())).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_folder_per_pip_url() {
        let root = Path::new("/r");
        let a = venv_dir(root, "tap-a==1");
        assert_eq!(a, venv_dir(root, " tap-a==1 "));
        assert_ne!(a, venv_dir(root, "tap-a==2"));
        assert_eq!(a.file_name().unwrap().len(), 16);
    }

    #[test]
    fn tokens_in_pip_urls_are_hidden() {
        assert_eq!(
            hide_userinfo("pip install git+https://ghp_SECRET@github.com/o/tap.git tap-x==1"),
            "pip install git+https://******@github.com/o/tap.git tap-x==1"
        );
        assert_eq!(
            hide_userinfo(r#"["git+https://u:p%40ss@host/x", "https://host/y"]"#),
            r#"["git+https://******@host/x", "https://host/y"]"#
        );
        assert_eq!(hide_userinfo("tap-x==1 no url"), "tap-x==1 no url");
    }

    #[test]
    fn a_missing_program_is_an_error() {
        let err = run(&mut Command::new("/nonexistent/python3"), "hint").unwrap_err();
        assert!(err.to_string().contains("cannot run"), "{err}");
    }
}
