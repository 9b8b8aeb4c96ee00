//! Secrets that never show up in `Debug`, logs or errors.

use std::fmt;

use faucet_core::FaucetError;
use faucet_core::schemars::{self, JsonSchema};
use serde::{Deserialize, Serialize};

/// A credential (token, password, key). Its `Debug` and `Display` print
/// `***`; only [`Secret::expose`] gives the value, for the request that
/// needs it.
///
/// In config it is a plain string; a value that is exactly `${NAME}` is
/// read from the environment variable `NAME` when the config is
/// validated.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Resolves a `${NAME}` value from the environment; other values are
    /// kept as they are. `path` names the config field in the error.
    pub fn resolve(&self, path: &str) -> Result<Secret, FaucetError> {
        let Some(name) = self.0.strip_prefix("${").and_then(|s| s.strip_suffix('}')) else {
            return Ok(self.clone());
        };
        std::env::var(name).map(Secret).map_err(|_| {
            FaucetError::config(
                path,
                format!("environment variable `{name}` is not set (or not UTF-8)"),
            )
        })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "\"***\" ***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn env_references_resolve_or_name_the_variable() {
        let missing = Secret::new("${FAUCET_TEST_SURELY_UNSET_VAR}").resolve("auth.token");
        let err = missing.unwrap_err().to_string();
        assert!(
            err.contains("auth.token") && err.contains("FAUCET_TEST_SURELY_UNSET_VAR"),
            "{err}"
        );
        assert_eq!(Secret::new("plain").resolve("x").unwrap().expose(), "plain");
        let path = Secret::new("${PATH}").resolve("x").unwrap();
        assert_eq!(path.expose(), std::env::var("PATH").unwrap());
    }
}
