//! `faucet init source|sink|transform NAME`: a connector crate that depends on
//! faucet-core only, compiles, and passes the conformance kit as written.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Role, templates};
use crate::cli::InitCrateArgs;
use crate::exit::{Exit, UsageError};

/// Writes the crate and says how to test it.
pub(crate) fn run(args: &InitCrateArgs, role: Role) -> anyhow::Result<Exit> {
    check_name(&args.name)?;
    let crate_name = format!("faucet-{}-{}", role.as_str(), args.name);
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&crate_name));
    if dir.exists() {
        return Err(UsageError(format!(
            "{} already exists; choose another --dir",
            dir.display()
        ))
        .into());
    }
    let origin = origin(args.core_path.as_deref())?;
    let vars = variables(&args.name, &crate_name, role, &origin);
    for (path, template) in templates::files(role) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, templates::render(template, &vars))
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    eprintln!(
        "Created {} in {}, depending on faucet {}. Next: `cd {} && cargo test`.",
        crate_name,
        dir.display(),
        origin.describe(),
        dir.display()
    );
    Ok(Exit::Ok)
}

/// Lowercase letters, digits and `-`, starting with a letter.
fn check_name(name: &str) -> Result<(), UsageError> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(UsageError(format!(
            "`{name}` is not a connector name: use lowercase letters, digits and `-`, starting with a letter (e.g. `github`)"
        )))
    }
}

/// faucet's git repository, for scaffolds made away from a checkout.
const GIT: &str = "https://github.com/faucet-rs/faucet";

/// Where the scaffold's faucet crates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A local checkout: its root directory.
    Path(PathBuf),
    /// faucet's git repository.
    Git,
}

impl Origin {
    /// The dependency fields for faucet crate `name` (e.g. `faucet-core`).
    pub(crate) fn fields(&self, name: &str) -> String {
        match self {
            Self::Path(root) => {
                let path = root.join(name).display().to_string().replace('\\', "/");
                format!("path = \"{path}\"")
            }
            Self::Git => format!("git = \"{GIT}\""),
        }
    }

    /// For the message and the README.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Path(root) => format!("by path, from the faucet checkout at {}", root.display()),
            Self::Git => format!("from git ({GIT})"),
        }
    }
}

/// `--core-path` (a checkout or its `faucet-core`), else the checkout this
/// binary was built from if it is still there, else git.
pub(crate) fn origin(core_path: Option<&Path>) -> anyhow::Result<Origin> {
    let Some(path) = core_path else {
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
        return Ok(match built_from {
            Some(root) if root.join("faucet-core/Cargo.toml").is_file() => {
                Origin::Path(root.to_path_buf())
            }
            _ => Origin::Git,
        });
    };
    let path = path
        .canonicalize()
        .map_err(|e| UsageError(format!("--core-path {}: {e}", path.display())))?;
    let root = if path.join("faucet-core/Cargo.toml").is_file() {
        path
    } else if path.join("Cargo.toml").is_file() && path.ends_with("faucet-core") {
        path.parent().map(Path::to_path_buf).unwrap_or(path)
    } else {
        return Err(UsageError(format!(
            "--core-path {}: neither a faucet checkout nor its faucet-core directory",
            path.display()
        ))
        .into());
    };
    Ok(Origin::Path(root))
}

fn variables(
    name: &str,
    crate_name: &str,
    role: Role,
    origin: &Origin,
) -> Vec<(&'static str, String)> {
    let type_name: String = name
        .split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    let (role_title, io_file, io_role) = match role {
        Role::Source => ("Source", "stream.rs", "the only module that does I/O"),
        Role::Sink => ("Sink", "sink.rs", "the only module that does I/O"),
        Role::Transform => (
            "Transform",
            "transform.rs",
            "the change itself, record by record (no I/O)",
        ),
    };
    vec![
        ("crate", crate_name.to_owned()),
        ("snake_crate", crate_name.replace('-', "_")),
        ("name", name.to_owned()),
        ("role", role.as_str().to_owned()),
        ("Role", role_title.to_owned()),
        ("Type", type_name),
        ("core", origin.fields("faucet-core")),
        ("cli", origin.fields("faucet-cli")),
        ("origin", origin.describe()),
        ("io_file", io_file.to_owned()),
        ("io_role", io_role.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_turned_into_types() {
        assert!(check_name("github").is_ok());
        assert!(check_name("my-api2").is_ok());
        for bad in ["", "GitHub", "2x", "a_b", "a-", "a b"] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        let vars = variables("my-api", "faucet-source-my-api", Role::Source, &Origin::Git);
        assert!(vars.contains(&("Type", "MyApi".to_owned())));
        assert!(vars.contains(&("snake_crate", "faucet_source_my_api".to_owned())));
    }
}
