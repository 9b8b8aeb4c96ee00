//! URLs made safe for errors and logs.

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

/// `url` with user name, password and secret query parameters (the
/// well-known names above, plus `extra`) replaced by `***`. A string that
/// is not a URL is returned with everything after `?` dropped.
pub fn redact_url(url: &str, extra: &[String]) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.split('?').next().unwrap_or("").to_owned();
    };
    redact_parsed(&mut parsed, extra);
    parsed.to_string()
}

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
        assert_eq!(redact_url("not a url?token=x", &[]), "not a url");
    }
}
