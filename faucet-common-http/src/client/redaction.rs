//! What of a request or response may be shown: URLs without credentials,
//! body excerpts without echoed secrets.

use url::Url;

use super::HttpClient;
use crate::redact::{body_excerpt, redact_parsed, redact_url};

impl HttpClient {
    /// `url` with credentials and secret query parameters (the well-known
    /// names and the client's own API key parameter) redacted.
    pub fn redact(&self, url: &Url) -> String {
        let mut url = url.clone();
        redact_parsed(&mut url, &self.inner.secret_params);
        url.to_string()
    }

    /// [`HttpClient::redact`] for text that may not be a URL (a base URL
    /// from a config, a next link as the server sent it), by the rules of
    /// [`redact_url`](crate::redact_url).
    pub fn redact_text(&self, url: &str) -> String {
        redact_url(url, &self.inner.secret_params)
    }

    /// Removes the client's own credentials (an API key in the query) from
    /// `url`, e.g. a next link the server echoed them into, so they are
    /// not stored in checkpoints; the client adds them to every request.
    pub fn strip_credentials(&self, url: &mut Url) {
        let secret = self.inner.auth.secret_params();
        if secret.is_empty() || url.query().is_none() {
            return;
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !secret.iter().any(|s| s == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        if !kept.is_empty() {
            url.query_pairs_mut().extend_pairs(kept);
        }
    }

    /// The first bytes of `body` as text, for error messages, with the
    /// client's static credentials replaced by `***` should the server echo
    /// them.
    pub fn body_excerpt(&self, body: &[u8]) -> String {
        body_excerpt(body, &self.inner.auth.secret_values())
    }
}
