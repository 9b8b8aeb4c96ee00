//! Keeps secrets out of everything the CLI prints.
//!
//! While a pipeline file is read, every value that may be a secret is
//! registered here: values at keys named like credentials (`token`,
//! `password`, `secret`, `authorization`, a hash transform's `salt`, …),
//! values of environment variables named like credentials (`TOKEN`,
//! `API_KEY`, `PGPASSWORD`, `PII_SALT`, …),
//! and the password part of every URL. Error messages, log lines, dry-run
//! records and summaries pass through [`redact`] before they are written.

use std::borrow::Cow;
use std::sync::RwLock;

/// What replaces a secret in output.
pub(crate) const MASK: &str = "***";

/// Secrets shorter than this are not masked: masking every `1` or `ab` in
/// the output would garble it while protecting nothing.
const MIN_SECRET_LEN: usize = 4;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers `value` as a secret to mask from now on, and its last word
/// too (the credential in `Bearer abc…` or `Basic xyz…`).
pub(crate) fn register(value: &str) {
    if let Some((_, last)) = value.trim().rsplit_once(' ') {
        register_one(last);
    }
    register_one(value);
}

fn register_one(value: &str) {
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_owned());
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Every secret registered so far (for a server that masks them itself).
pub(crate) fn registered() -> Vec<String> {
    SECRETS.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `text` with every registered secret replaced by [`MASK`].
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// Whether a config key names a credential (faucet-core's rule, shared
/// with `faucet serve`).
pub(crate) fn is_secret_key(key: &str) -> bool {
    faucet_core::secrets::is_secret_key(key)
}

/// Whether an environment variable's name says it holds a credential.
pub(crate) fn is_secret_var(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    const WORDS: [&str; 9] = [
        "TOKEN",
        "SALT",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "KEY",
        "CREDENTIAL",
    ];
    WORDS.iter().any(|w| name.contains(w)) || name.contains("AUTH")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_registered_secrets_longest_first() {
        register("s3cr3t-token");
        register("s3cr3t");
        register("ab");
        register("Bearer xyz-987");
        assert_eq!(
            redact("Bearer s3cr3t-token and s3cr3t, ab"),
            "Bearer *** and ***, ab"
        );
        assert_eq!(redact("token xyz-987"), "token ***");
    }

    #[test]
    fn recognises_credential_names() {
        assert!(is_secret_key("token"));
        assert!(is_secret_key("client_secret"));
        assert!(is_secret_key("Authorization"));
        assert!(!is_secret_key("key"));
        assert!(!is_secret_key("table"));
        assert!(!is_secret_key("token_url"));
        assert!(is_secret_var("GITHUB_TOKEN"));
        assert!(is_secret_var("PGPASSWORD"));
        assert!(is_secret_key("salt") && is_secret_var("PII_SALT"));
        assert!(!is_secret_var("BASE_URL"));
    }
}
