//! Which config keys hold credentials: the rule every faucet tool uses to
//! keep their values out of logs, errors and reports.

/// Whether a config key names a credential. Keys that name where a
/// credential goes or comes from (`token_url`, `api_key_param`) do not.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace('-', "_");
    const NOT_SECRET: [&str; 6] = ["_url", "_path", "_param", "_header", "_location", "_type"];
    if NOT_SECRET.iter().any(|suffix| key.ends_with(suffix)) {
        return false;
    }
    const WORDS: [&str; 10] = [
        "token",
        "salt",
        "password",
        "passwd",
        "secret",
        "authorization",
        "credential",
        "api_key",
        "apikey",
        "private_key",
    ];
    WORDS.iter().any(|w| key.contains(w))
}

/// The password in a `scheme://user:password@host/…` URL, if any: what a
/// connector masks in a connection string it was given.
pub fn url_password(text: &str) -> Option<&str> {
    let rest = &text[text.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

#[cfg(test)]
mod tests {
    use super::{is_secret_key, url_password};

    #[test]
    fn finds_url_passwords() {
        assert_eq!(url_password("postgresql://u:pw@h:5432/db"), Some("pw"));
        assert_eq!(url_password("postgresql://u@h/db"), None);
        assert_eq!(url_password("http://h/a@b:c"), None);
        assert_eq!(url_password("not a url"), None);
    }

    #[test]
    fn credentials_are_named_and_where_they_go_is_not() {
        assert!(is_secret_key("token") && is_secret_key("client_secret"));
        assert!(is_secret_key("Authorization") && is_secret_key("pii-salt"));
        assert!(!is_secret_key("table") && !is_secret_key("token_url"));
        assert!(!is_secret_key("api_key_param"));
    }
}
