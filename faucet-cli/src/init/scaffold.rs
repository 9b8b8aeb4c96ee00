//! `faucet init source|sink NAME`: a connector crate that depends on
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
    let core = core_dependency(args.core_path.as_deref())?;
    let vars = variables(&args.name, &crate_name, role, core);
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
        "Created {} in {}. Next: `cd {} && cargo test`.",
        crate_name,
        dir.display(),
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

/// The faucet-core dependency, from crates.io or a local checkout.
fn core_dependency(core_path: Option<&Path>) -> anyhow::Result<String> {
    let version = env!("CARGO_PKG_VERSION");
    let Some(path) = core_path else {
        return Ok(format!("version = \"{version}\""));
    };
    let path = path
        .canonicalize()
        .map_err(|e| UsageError(format!("--core-path {}: {e}", path.display())))?;
    if !path.join("Cargo.toml").is_file() {
        return Err(UsageError(format!(
            "--core-path {}: no Cargo.toml there",
            path.display()
        ))
        .into());
    }
    let path = path.display().to_string().replace('\\', "/");
    Ok(format!("path = \"{path}\", version = \"{version}\""))
}

fn variables(
    name: &str,
    crate_name: &str,
    role: Role,
    core: String,
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
    let (role_title, io_file) = match role {
        Role::Source => ("Source", "stream.rs"),
        Role::Sink => ("Sink", "sink.rs"),
    };
    vec![
        ("crate", crate_name.to_owned()),
        ("snake_crate", crate_name.replace('-', "_")),
        ("name", name.to_owned()),
        ("role", role.as_str().to_owned()),
        ("Role", role_title.to_owned()),
        ("Type", type_name),
        ("core", core),
        ("io_file", io_file.to_owned()),
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
        let vars = variables(
            "my-api",
            "faucet-source-my-api",
            Role::Source,
            String::new(),
        );
        assert!(vars.contains(&("Type", "MyApi".to_owned())));
        assert!(vars.contains(&("snake_crate", "faucet_source_my_api".to_owned())));
    }
}
