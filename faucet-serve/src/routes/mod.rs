//! The HTTP endpoints, one file per group.

mod auth;
mod events;
mod extract;
mod info;
mod metrics;
mod named;
mod openapi;
mod pipelines;
mod runs;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use faucet_core::Registry;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::loader::PipelineLoader;
use crate::manager::Registrations;
use crate::options::ServeOptions;
use crate::runs::Runs;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    /// Turns specs into pipelines.
    pub(crate) loader: Arc<dyn PipelineLoader>,
    /// The connectors.
    pub(crate) registry: Arc<Registry>,
    /// The runs.
    pub(crate) runs: Arc<Runs>,
    /// The server's options.
    pub(crate) options: Arc<ServeOptions>,
    /// Registrations with the manager so far.
    pub(crate) registrations: Arc<Registrations>,
}

/// Every endpoint, with the body limit; all but `/health` behind the
/// token.
pub(crate) fn router(state: AppState) -> Router {
    let limit = state.options.max_body_bytes;
    let guarded = axum::middleware::from_fn_with_state(state.clone(), auth::require_token);
    let public = Router::new().route("/health", get(info::health));
    Router::new()
        .route("/ready", get(info::ready))
        .route("/manifest", get(info::manifest))
        .route("/metrics", get(metrics::metrics))
        .route("/openapi.json", get(openapi::openapi))
        .route("/pipelines/validate", post(pipelines::validate))
        .route("/pipelines/check", post(pipelines::check))
        .route("/runs", post(runs::start).get(runs::list))
        .route("/runs/{id}", get(runs::get))
        .route("/runs/{id}/cancel", post(runs::cancel))
        .route("/runs/{id}/events", get(events::events))
        .route_layer(guarded)
        .merge(public)
        .fallback(no_endpoint)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// 404 for a path the server does not serve.
async fn no_endpoint() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "no such endpoint")
}

/// SHA-256 of a spec, hex.
pub(crate) fn spec_hash(spec: &str) -> String {
    Sha256::digest(spec.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
