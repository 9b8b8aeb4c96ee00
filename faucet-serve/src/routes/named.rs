//! Pipeline files of the server's pipelines directory, by name.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;

use crate::error::ApiError;

/// The extensions a pipeline file may have, in the order looked for.
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The path and text of pipeline file `name` in `dir`, or why not.
pub(super) fn read(dir: Option<&Path>, name: &str) -> Result<(PathBuf, String), ApiError> {
    let Some(dir) = dir else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "this server has no pipelines directory: send the spec in the body",
        ));
    };
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a pipeline name is letters, digits, `_`, `-` and `.`, not starting with `.`",
        ));
    }
    for extension in EXTENSIONS {
        let path = dir.join(format!("{name}.{extension}"));
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok((path, text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "Could not read a pipeline file.");
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("pipeline file `{name}` cannot be read"),
                ));
            }
        }
    }
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no pipeline file `{name}` (.yaml, .yml or .json) in the pipelines directory"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "{}").unwrap();
        assert_eq!(read(Some(dir.path()), "a").unwrap().1, "{}");
        for bad in ["", "../a", "a/b", ".hidden", "a\\b"] {
            assert!(read(Some(dir.path()), bad).is_err(), "{bad}");
        }
        assert!(read(None, "a").is_err());
        assert!(read(Some(dir.path()), "b").is_err());
    }
}
