//! Authentication: the config a user writes ([`AuthConfig`]) and what a
//! request gets from it.

mod oauth2;

use faucet_core::FaucetError;
use faucet_core::schemars::{self, JsonSchema};
use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::secret::Secret;
pub(crate) use oauth2::OAuth2Tokens;

/// How requests authenticate. Secrets may be written as `${ENV_VAR}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(transform = faucet_core::schema::describe_kind_tags)]
pub enum AuthConfig {
    /// No authentication.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: Secret,
    },
    /// HTTP Basic authentication.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An API key in a header or a query parameter.
    ApiKey {
        /// The header or query parameter name, e.g. `X-Api-Key`.
        name: String,
        /// The key.
        value: Secret,
        /// Where the key goes. Default: `header`.
        #[serde(default)]
        location: ApiKeyLocation,
    },
    /// OAuth2 access tokens from a token endpoint: the refresh-token grant
    /// when `refresh_token` is set, otherwise client credentials. Tokens
    /// are cached, refreshed before they expire, and once more on a 401.
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// The token endpoint URL.
        token_url: String,
        /// The client id.
        client_id: String,
        /// The client secret (required for client credentials).
        #[serde(default)]
        client_secret: Option<Secret>,
        /// A refresh token: use the refresh-token grant.
        #[serde(default)]
        refresh_token: Option<Secret>,
        /// Scopes to request, joined with spaces. Default: none.
        #[serde(default)]
        scopes: Vec<String>,
        /// Refresh this many seconds before the token expires. Default: `60`.
        #[serde(default = "default_refresh_margin")]
        refresh_margin_secs: u64,
    },
}

fn default_refresh_margin() -> u64 {
    60
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// A request header.
    #[default]
    Header,
    /// A query parameter.
    Query,
}

/// Validated authentication, ready to apply to requests.
#[derive(Debug)]
pub(crate) enum Auth {
    None,
    Header(HeaderName, HeaderValue),
    Query(String, Secret),
    OAuth2(Box<OAuth2Tokens>),
}

fn sensitive(value: &str, path: &str) -> Result<HeaderValue, FaucetError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| FaucetError::config(path, "not a valid HTTP header value"))?;
    value.set_sensitive(true);
    Ok(value)
}

impl Auth {
    /// Validates `config` (resolving `${ENV}` secrets); `path` is where the
    /// auth config sits, for errors.
    pub(crate) fn new(config: &AuthConfig, path: &str) -> Result<Self, FaucetError> {
        let at = |field: &str| format!("{path}.{field}");
        Ok(match config {
            AuthConfig::None => Self::None,
            AuthConfig::Bearer { token } => {
                let token = token.resolve(&at("token"))?;
                let value = sensitive(&format!("Bearer {}", token.expose()), &at("token"))?;
                Self::Header(reqwest::header::AUTHORIZATION, value)
            }
            AuthConfig::Basic { username, password } => {
                use base64::Engine;
                let password = password.resolve(&at("password"))?;
                let raw = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                let value = sensitive(&format!("Basic {encoded}"), &at("password"))?;
                Self::Header(reqwest::header::AUTHORIZATION, value)
            }
            AuthConfig::ApiKey {
                name,
                value,
                location,
            } => {
                let value = value.resolve(&at("value"))?;
                match location {
                    ApiKeyLocation::Header => {
                        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                            FaucetError::config(at("name"), "not a valid header name")
                        })?;
                        Self::Header(header, sensitive(value.expose(), &at("value"))?)
                    }
                    ApiKeyLocation::Query => Self::Query(name.clone(), value),
                }
            }
            AuthConfig::OAuth2 { .. } => Self::OAuth2(Box::new(OAuth2Tokens::new(config, path)?)),
        })
    }

    /// Query parameter names holding secrets, for redaction.
    pub(crate) fn secret_params(&self) -> Vec<String> {
        match self {
            Self::Query(name, _) => vec![name.clone()],
            _ => Vec::new(),
        }
    }

    /// The static credentials' values (API key, header value and its
    /// token part), for redaction of text the server echoes.
    pub(crate) fn secret_values(&self) -> Vec<String> {
        match self {
            Self::Query(_, value) => vec![value.expose().to_owned()],
            Self::Header(_, value) => {
                let text = value.to_str().unwrap_or_default();
                let mut values = vec![text.to_owned()];
                values.extend(text.split_once(' ').map(|(_, token)| token.to_owned()));
                values
            }
            Self::None | Self::OAuth2(_) => Vec::new(),
        }
    }

    /// Adds the credentials to a URL (API key in the query).
    pub(crate) fn apply_to_url(&self, url: &mut Url) {
        if let Self::Query(name, value) = self {
            url.query_pairs_mut().append_pair(name, value.expose());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_config_parses_and_hides_secrets() {
        let config: AuthConfig = serde_json::from_value(serde_json::json!({
            "kind": "api_key", "name": "X-Api-Key", "value": "k3y"
        }))
        .unwrap();
        assert!(!format!("{config:?}").contains("k3y"));
        let auth = Auth::new(&config, "source.auth").unwrap();
        assert!(matches!(auth, Auth::Header(..)));
        assert!(!format!("{auth:?}").contains("k3y"));
        let bad = AuthConfig::ApiKey {
            name: "bad header".into(),
            value: Secret::new("k"),
            location: ApiKeyLocation::Header,
        };
        let err = Auth::new(&bad, "source.auth").unwrap_err().to_string();
        assert!(err.contains("source.auth.name"), "{err}");
    }
}
