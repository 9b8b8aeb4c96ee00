//! The server against a real HTTP client, a real (gated) source and the
//! real JSON Lines sink.

mod auth;
mod connector_logs;
mod info;
mod limits;
mod manager;
mod persistence;
mod pipelines;
mod runs;
mod support;
