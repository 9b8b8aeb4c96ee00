//! Paths in a pipeline file: `source.auth.token`, `sink.key[1]`, joined,
//! as JSON pointers, and errors placed at them. Below every other module
//! of `pipeline_file`, so none of them imports another for these.

use faucet_core::FaucetError;

/// `prefix.path`, or `prefix` alone.
pub(crate) fn join(prefix: &str, path: &str) -> String {
    match path {
        "" => prefix.to_owned(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => format!("{prefix}.{p}"),
    }
}

/// `.auth.token` or `.key[1]` as a JSON pointer (`/auth/token`, `/key/1`).
pub(crate) fn pointer(path: &str) -> String {
    path.replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|part| !part.is_empty())
        .map(|part| format!("/{}", part.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// An error as `(path in the file, message)`: a config error's path under
/// `section`, anything else at `section` itself.
pub(crate) fn located(section: &str, err: FaucetError) -> (String, String) {
    match err {
        FaucetError::Config { path, message, .. } => (join(section, &path), message),
        other => (section.to_owned(), other.to_string()),
    }
}
