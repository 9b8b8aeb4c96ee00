//! What of a URL or a response body may be shown in errors and logs: one
//! set of rules for every connector.
//!
//! - A URL keeps its scheme, host, path and harmless query parameters; its
//!   user name, password and secret query parameters (well-known names,
//!   plus the caller's) become `***`.
//! - Text that is not an absolute URL with a host (a relative link, a
//!   key=value connection string) keeps what comes before its `?`; if that
//!   part holds `@` or `=` (credentials, settings), it is hidden entirely.
//! - A body excerpt is the body's first bytes, with any known secret value
//!   in it replaced by `***`.

use url::Url;

/// Query parameter names whose values are always redacted.
const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "token",
    "secret",
    "client_secret",
    "password",
    "sig",
    "signature",
    "refresh_token",
];

/// What hidden text is shown as.
const HIDDEN: &str = "<unparsable URL hidden>";

/// Bytes of a body quoted in error messages.
const EXCERPT_BYTES: usize = 300;

/// Secret values shorter than this are not searched for in bodies (they
/// would match ordinary text).
const MIN_SECRET_LEN: usize = 4;

/// `url` with user name, password and secret query parameters (the
/// well-known names above, plus `extra`) replaced by `***`. Text that is
/// not an absolute URL with a host is cut at its `?`, or hidden when what
/// is left holds `@` or `=`.
pub fn redact_url(url: &str, extra: &[String]) -> String {
    match Url::parse(url) {
        // `user:password@host` parses as scheme `user`, without a host.
        Ok(mut parsed) if !parsed.cannot_be_a_base() => {
            redact_parsed(&mut parsed, extra);
            parsed.to_string()
        }
        _ => {
            let before_query = url.split('?').next().unwrap_or("");
            if before_query.contains(['@', '=']) {
                HIDDEN.to_owned()
            } else {
                before_query.to_owned()
            }
        }
    }
}

/// Redacts a parsed URL in place (see [`redact_url`]).
pub(crate) fn redact_parsed(url: &mut Url, extra: &[String]) {
    if !url.username().is_empty() {
        let _ = url.set_username("***");
    }
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_none() {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let secret = SECRET_PARAMS.iter().any(|s| k.eq_ignore_ascii_case(s))
                || extra.iter().any(|s| k.eq_ignore_ascii_case(s));
            let value = if secret {
                "***".to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// The first bytes of `body` as text (lossy UTF-8, trimmed, `…` when cut),
/// with each of `secrets` replaced by `***`.
pub(crate) fn body_excerpt<S: AsRef<str>>(body: &[u8], secrets: &[S]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES)]);
    let mut text = text.trim().to_owned();
    if body.len() > EXCERPT_BYTES {
        text.push('…');
    }
    for secret in secrets {
        let secret = secret.as_ref();
        if secret.len() >= MIN_SECRET_LEN {
            text = text.replace(secret, "***");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_secret_params_are_redacted() {
        let url = "https://user:pw@api.example.com/v1/items?page=2&api_key=s3cr3t&mykey=zz";
        let redacted = redact_url(url, &["mykey".to_owned()]);
        assert_eq!(
            redacted,
            "https://***:***@api.example.com/v1/items?page=2&api_key=***&mykey=***"
        );
        let db = "postgres://loader:hunter2@db:5432/x?sslmode=require&password=p2";
        assert_eq!(
            redact_url(db, &[]),
            "postgres://***:***@db:5432/x?sslmode=require&password=***"
        );
    }

    #[test]
    fn text_that_is_not_a_url_keeps_only_what_is_harmless() {
        assert_eq!(redact_url("not a url?token=x", &[]), "not a url");
        assert_eq!(redact_url("/records/next?cursor=abc", &[]), "/records/next");
        assert_eq!(redact_url("host=db password=hunter2", &[]), HIDDEN);
        assert_eq!(redact_url("loader:hunter2@db/x", &[]), HIDDEN);
    }

    #[test]
    fn excerpts_are_short_and_hide_secrets() {
        let body = format!(
            "  {{\"echo\": \"s3cr3t-key\", \"pad\": \"{}\"}}",
            "x".repeat(400)
        );
        let excerpt = body_excerpt(body.as_bytes(), &["s3cr3t-key", "abc"]);
        assert!(excerpt.starts_with("{\"echo\": \"***\""), "{excerpt}");
        assert!(excerpt.ends_with('…'));
        assert_eq!(body_excerpt(b"abcd abcd", &["abcd"]), "*** ***");
        assert_eq!(body_excerpt(b"ab", &["ab"]), "ab");
    }
}
