//! How the server runs: where it listens, what it keeps, its limits.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::manager::ManagerOptions;

/// The server's options. Build with [`ServeOptions::new`] and the
/// `with_…` methods.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Where to listen; port 0 picks a free port ([`Server::addr`](crate::Server::addr)
    /// says which). Default: `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// The name `GET /manifest` reports. Default: `faucet`.
    pub name: String,
    /// The version `GET /manifest` reports. Default: this crate's version.
    pub version: String,
    /// Directory of the run store (`runs.jsonl`): run records outlive the
    /// server when it is set. Default: none (runs are kept in memory).
    pub state_dir: Option<PathBuf>,
    /// Runs that may be in flight at once; `POST /runs` beyond it answers
    /// 429. Default: `4`.
    pub max_runs: usize,
    /// The `Retry-After` of a 429, in seconds. Default: `5`.
    pub retry_after_secs: u64,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    /// Default: 1 MiB.
    pub max_body_bytes: usize,
    /// The bearer token every request but `GET /health` must carry
    /// (`Authorization: Bearer <token>`). Without one the server accepts
    /// every request, and refuses to start unless it listens on a loopback
    /// address. Default: none.
    pub token: Option<String>,
    /// Registration with a manager: the manifest POSTed on start and at an
    /// interval. Default: none (the server stands alone; [`serve`](crate::serve)
    /// reads `FAUCET_MANAGER_URL` when this is unset).
    pub manager: Option<ManagerOptions>,
    /// Directory of pipeline files that `POST /runs?pipeline=NAME` runs
    /// (`NAME.yaml`, `NAME.yml` or `NAME.json`). Default: none (runs take
    /// their spec in the body only).
    pub pipelines_dir: Option<PathBuf>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("bind", &self.bind)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("state_dir", &self.state_dir)
            .field("max_runs", &self.max_runs)
            .field("retry_after_secs", &self.retry_after_secs)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("manager", &self.manager)
            .field("pipelines_dir", &self.pipelines_dir)
            .finish()
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            name: "faucet".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            state_dir: None,
            max_runs: 4,
            retry_after_secs: 5,
            max_body_bytes: 1024 * 1024,
            token: None,
            manager: None,
            pipelines_dir: None,
        }
    }
}

impl ServeOptions {
    /// Options listening on `bind`, every other option at its default.
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            ..Self::default()
        }
    }

    /// Sets the name and version `GET /manifest` reports.
    #[must_use]
    pub fn with_identity(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.name = name.into();
        self.version = version.into();
        self
    }

    /// Keeps run records in `dir`.
    #[must_use]
    pub fn with_state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Sets how many runs may be in flight at once (at least 1).
    #[must_use]
    pub fn with_max_runs(mut self, max_runs: usize) -> Self {
        self.max_runs = max_runs.max(1);
        self
    }

    /// Sets the `Retry-After` of a 429, in seconds.
    #[must_use]
    pub fn with_retry_after_secs(mut self, seconds: u64) -> Self {
        self.retry_after_secs = seconds;
        self
    }

    /// Requires `Authorization: Bearer <token>` on every request but
    /// `GET /health`.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Lets `POST /runs?pipeline=NAME` run the pipeline files in `dir`.
    #[must_use]
    pub fn with_pipelines_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.pipelines_dir = Some(dir.into());
        self
    }

    /// Registers with a manager.
    #[must_use]
    pub fn with_manager(mut self, manager: ManagerOptions) -> Self {
        self.manager = Some(manager);
        self
    }

    /// Sets the largest request body accepted, in bytes.
    #[must_use]
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let options = ServeOptions::default().with_token("tok-VERY-SECRET");
        let text = format!("{options:?}");
        assert!(
            !text.contains("tok-VERY-SECRET") && text.contains("***"),
            "{text}"
        );
    }
}
