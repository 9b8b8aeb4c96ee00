//! Getting a run ready: the executable (installed when `pip_url` says),
//! the files given to the tap, and its command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faucet_core::serde_json::{self, Value};
use faucet_core::{FaucetError, Result};
use tempfile::NamedTempFile;

use crate::catalog;
use crate::config::{SingerCatalog, SingerSourceConfig};
use crate::mask::Masker;
use crate::process::Launch;
use crate::venv;

/// A command line and the temporary files it names (deleted on drop).
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) launch: Launch,
    _files: Vec<NamedTempFile>,
}

/// Resolves the executable: the managed virtualenv's, a path, or a name
/// found on `PATH`.
pub(crate) async fn executable(config: &SingerSourceConfig) -> Result<PathBuf> {
    if let Some(pip_url) = &config.pip_url {
        let (root, pip_url, exe) = (
            config.venvs_dir.clone(),
            pip_url.clone(),
            config.executable.clone(),
        );
        return tokio::task::spawn_blocking(move || venv::ensure(&root, &pip_url, &exe))
            .await
            .map_err(|e| {
                FaucetError::source_error(format!("the installation task failed: {e}"))
            })?;
    }
    let exe = Path::new(&config.executable);
    if exe.components().count() > 1 {
        return if exe.is_file() {
            Ok(exe.to_path_buf())
        } else {
            Err(FaucetError::config(
                "executable",
                format!("no file {}", exe.display()),
            ))
        };
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(exe))
            .find(|p| p.is_file())
    });
    found.ok_or_else(|| {
        FaucetError::config(
            "executable",
            format!(
                "`{}` is not on PATH (give a path, or pip_url to install the tap)",
                config.executable
            ),
        )
    })
}

/// The base command: the executable, `args`, `env` and `--config`.
pub(crate) async fn base(config: &SingerSourceConfig) -> Result<Prepared> {
    let program = executable(config).await?;
    let name = Path::new(&config.executable)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| config.executable.clone());
    let config_file = temp_json(&Value::Object(config.config.clone()), "config")?;
    let mut args = config.args.clone();
    args.push("--config".to_owned());
    args.push(config_file.path().display().to_string());
    Ok(Prepared {
        launch: Launch {
            name,
            program,
            args,
            env: config
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            grace: Duration::from_secs(config.kill_grace_secs),
        },
        _files: vec![config_file],
    })
}

/// The command of a sync run: the base, the catalog (selected) and the
/// state to resume from.
pub(crate) async fn sync(
    config: &SingerSourceConfig,
    masker: &Masker,
    state: &Value,
) -> Result<Prepared> {
    let mut prepared = base(config).await?;
    if let Some(catalog) = resolve_catalog(config, &prepared.launch, masker).await? {
        let file = temp_json(&catalog, "catalog")?;
        prepared.launch.args.push(config.catalog_flag.clone());
        prepared.launch.args.push(file.path().display().to_string());
        prepared._files.push(file);
    }
    if !state.is_null() {
        let file = temp_json(state, "state")?;
        prepared.launch.args.push(config.state_flag.clone());
        prepared.launch.args.push(file.path().display().to_string());
        prepared._files.push(file);
    }
    Ok(prepared)
}

/// The catalog to give the tap: `catalog` (or the tap's `--discover`
/// output when only `select` is set) with `select` applied.
pub(crate) async fn resolve_catalog(
    config: &SingerSourceConfig,
    base: &Launch,
    masker: &Masker,
) -> Result<Option<Value>> {
    let mut catalog = match &config.catalog {
        Some(SingerCatalog::Inline(map)) => Value::Object(map.clone()),
        Some(SingerCatalog::Path(path)) => {
            let text = std::fs::read(path).map_err(|e| {
                FaucetError::config("catalog", format!("cannot read {}: {e}", path.display()))
            })?;
            serde_json::from_slice(&text).map_err(|e| {
                FaucetError::config("catalog", format!("{} is not JSON: {e}", path.display()))
            })?
        }
        None if config.select.is_some() => {
            let idle = Duration::from_secs(config.idle_timeout_secs);
            catalog::discover(base, masker, idle).await?
        }
        None => return Ok(None),
    };
    if let Some(select) = &config.select {
        catalog::select(&mut catalog, select)?;
    }
    Ok(Some(catalog))
}

/// `value` in a new temporary file readable only by this user.
fn temp_json(value: &Value, what: &str) -> Result<NamedTempFile> {
    let fail = |e: std::io::Error| {
        FaucetError::source_error(format!("cannot write the tap's {what} file: {e}")).with_source(e)
    };
    // tempfile creates files with mode 0600.
    let mut file = tempfile::Builder::new()
        .prefix(&format!("faucet-singer-{what}-"))
        .suffix(".json")
        .tempfile()
        .map_err(fail)?;
    serde_json::to_writer(&mut file, value).map_err(|e| fail(e.into()))?;
    file.flush().map_err(fail)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_config_file_is_private() {
        let file = temp_json(&serde_json::json!({"password": "x"}), "config").unwrap();
        let mode = file.path().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[tokio::test]
    async fn a_missing_executable_is_a_config_error() {
        let err = executable(&SingerSourceConfig::new("no-such-tap-anywhere"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, FaucetError::Config { ref path, .. } if path == "executable"),
            "{err}"
        );
    }
}
