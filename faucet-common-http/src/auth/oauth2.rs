//! OAuth2 tokens: fetched from the token endpoint, cached, refreshed
//! before expiry and on demand after a 401.

use std::time::Duration;

use faucet_core::{CancellationToken, FaucetError};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::AuthConfig;
use crate::redact::{body_excerpt, redact_url};
use crate::secret::Secret;

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

#[derive(Debug)]
struct Grant {
    token_url: url::Url,
    client_id: String,
    client_secret: Option<Secret>,
    scopes: Vec<String>,
    margin: Duration,
}

/// The token cache of one client.
#[derive(Debug)]
pub(crate) struct OAuth2Tokens {
    grant: Grant,
    /// The refresh token in use (rotated when the server sends a new one).
    refresh_token: Mutex<Option<Secret>>,
    cached: Mutex<Option<Cached>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl OAuth2Tokens {
    pub(crate) fn new(config: &AuthConfig, path: &str) -> Result<Self, FaucetError> {
        let AuthConfig::OAuth2 {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scopes,
            refresh_margin_secs,
        } = config
        else {
            unreachable!("OAuth2Tokens::new is only called for oauth2 configs");
        };
        let token_url = url::Url::parse(token_url)
            .map_err(|e| FaucetError::config(format!("{path}.token_url"), e.to_string()))?;
        let client_secret = client_secret
            .as_ref()
            .map(|s| s.resolve(&format!("{path}.client_secret")))
            .transpose()?;
        let refresh_token = refresh_token
            .as_ref()
            .map(|s| s.resolve(&format!("{path}.refresh_token")))
            .transpose()?;
        if refresh_token.is_none() && client_secret.is_none() {
            return Err(FaucetError::config(
                path,
                "oauth2 needs `client_secret` (client credentials) or `refresh_token`",
            ));
        }
        Ok(Self {
            grant: Grant {
                token_url,
                client_id: client_id.clone(),
                client_secret,
                scopes: scopes.clone(),
                margin: Duration::from_secs(*refresh_margin_secs),
            },
            refresh_token: Mutex::new(refresh_token),
            cached: Mutex::new(None),
        })
    }

    /// A valid access token, fetching a new one when none is cached or the
    /// cached one is about to expire.
    pub(crate) async fn token(
        &self,
        client: &reqwest::Client,
        cancel: &CancellationToken,
    ) -> Result<Secret, FaucetError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(FaucetError::Cancelled),
            fresh = self.fetch(client) => fresh?,
        };
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets the cached token after a 401, if it is still `rejected`
    /// (concurrent requests rejected with the same token refresh once).
    pub(crate) async fn invalidate(&self, rejected: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == rejected) {
            *cached = None;
        }
    }

    async fn fetch(&self, client: &reqwest::Client) -> Result<Cached, FaucetError> {
        let g = &self.grant;
        let url = redact_url(g.token_url.as_str(), &[]);
        let mut form: Vec<(&str, String)> = vec![("client_id", g.client_id.clone())];
        if let Some(secret) = &g.client_secret {
            form.push(("client_secret", secret.expose().to_owned()));
        }
        let refresh = self.refresh_token.lock().await.clone();
        match &refresh {
            Some(token) => {
                form.push(("grant_type", "refresh_token".into()));
                form.push(("refresh_token", token.expose().to_owned()));
            }
            None => form.push(("grant_type", "client_credentials".into())),
        }
        if !g.scopes.is_empty() {
            form.push(("scope", g.scopes.join(" ")));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let auth_err = |message: String| FaucetError::auth(message);
        let response = client
            .post(g.token_url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                auth_err(format!(
                    "token endpoint {url} unreachable: {}",
                    e.without_url()
                ))
            })?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| auth_err(format!("token endpoint {url}: {}", e.without_url())))?;
        if !(200..300).contains(&status) {
            let mut secrets: Vec<&str> = g.client_secret.iter().map(Secret::expose).collect();
            secrets.extend(refresh.as_ref().map(Secret::expose));
            let start = body_excerpt(&bytes, &secrets);
            return Err(auth_err(format!(
                "token endpoint {url} answered HTTP {status}: {start}"
            )));
        }
        let parsed: TokenResponse = serde_json::from_slice(&bytes).map_err(|e| {
            auth_err(format!(
                "token endpoint {url} sent no usable access_token: {e}"
            ))
        })?;
        if let Some(rotated) = parsed.refresh_token.filter(|_| refresh.is_some()) {
            *self.refresh_token.lock().await = Some(Secret::new(rotated));
        }
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        tracing::debug!(
            expires_in_secs = lifetime.as_secs(),
            "Fetched an OAuth2 access token"
        );
        Ok(Cached {
            token: Secret::new(parsed.access_token),
            refresh_at: Instant::now() + lifetime.saturating_sub(g.margin.min(lifetime / 2)),
        })
    }
}
