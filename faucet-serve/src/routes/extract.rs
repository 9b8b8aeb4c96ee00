//! Request bodies and queries whose rejections are JSON errors like every
//! other error of the server.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The request body as text: 413 beyond the body limit, 400 when it is
/// not UTF-8, each as `{"error": …}`.
#[derive(Debug)]
pub(super) struct Text(pub(super) String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        String::from_request(request, state)
            .await
            .map(Text)
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))
    }
}

/// The query string parsed as `T`: 400 `{"error": …}` naming what is
/// wrong.
#[derive(Debug)]
pub(super) struct Params<T>(pub(super) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))
    }
}
