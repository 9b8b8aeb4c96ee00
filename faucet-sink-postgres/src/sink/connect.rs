//! Connecting (rustls TLS, `sslmode` from the URL) and turning driver
//! errors into [`FaucetError`]s whose retryability is decided here, from
//! the SQLSTATE.

use faucet_core::FaucetError;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::config::{Settings, redact_url};

/// Opens a connection and drives it on a task of the current runtime.
pub(crate) async fn connect(settings: &Settings) -> Result<Client, FaucetError> {
    let target = redact_url(&settings.url);
    let mut config: tokio_postgres::Config = settings
        .connect_url
        .parse()
        .map_err(|e| FaucetError::config("url", format!("not a PostgreSQL URL ({target}): {e}")))?;
    config.connect_timeout(settings.connect_timeout);
    if config.get_application_name().is_none() {
        config.application_name("faucet");
    }
    let tls =
        tokio_postgres_rustls::MakeRustlsConnect::new(super::verify::client_config(&settings.tls)?);
    let connecting = config.connect(tls);
    let (client, connection) = tokio::time::timeout(settings.connect_timeout * 2, connecting)
        .await
        .map_err(|_| FaucetError::Transport {
            target: target.clone(),
            message: format!("no connection after {:?}", settings.connect_timeout * 2),
            source: None,
        })?
        .map_err(|e| connect_error(&target, e))?;
    // In the caller's span, so the server's notices keep their run.
    tokio::spawn(tracing::Instrument::in_current_span(drive(connection)));
    Ok(client)
}

/// Drives `connection` to its end, logging the server's notices (`DROP
/// TABLE IF EXISTS` of a missing table, a function's `RAISE NOTICE`):
/// warnings at `warn`, the rest at `info`.
async fn drive<S, T>(mut connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(tokio_postgres::AsyncMessage::Notice(notice))) => {
                let (severity, code) = (notice.severity(), notice.code().code());
                if severity == "WARNING" {
                    tracing::warn!(severity, code, "PostgreSQL says: {}", notice.message());
                } else {
                    tracing::info!(severity, code, "PostgreSQL says: {}", notice.message());
                }
            }
            Some(Ok(_)) => {}
            Some(Err(err)) => {
                tracing::debug!(error = %err, "PostgreSQL connection ended with an error");
                return;
            }
            None => return,
        }
    }
}

fn connect_error(target: &str, err: tokio_postgres::Error) -> FaucetError {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return FaucetError::auth(format!(
                "{target}: {} (SQLSTATE {})",
                db.message(),
                code.code()
            ));
        }
        return pg_error(&format!("connecting to {target}"), err);
    }
    // The driver's message ("error performing TLS handshake") says
    // little without its cause (e.g. the certificate's complaint).
    let mut message = err.to_string();
    if let Some(cause) = std::error::Error::source(&err) {
        message.push_str(&format!(": {cause}"));
    }
    FaucetError::Transport {
        target: target.to_owned(),
        message,
        source: Some(Box::new(err)),
    }
}

/// SQLSTATEs worth retrying from the last committed batch: serialization
/// failures, deadlocks, shutdowns, connection failures, too many
/// connections.
fn is_transient(code: &str) -> bool {
    matches!(
        code,
        "40001" | "40P01" | "57P01" | "57P02" | "57P03" | "53300"
    ) || code.starts_with("08")
}

/// A sink error for a failed statement, naming what was being done and,
/// for common permanent failures, what to change.
pub(crate) fn pg_error(doing: &str, err: tokio_postgres::Error) -> FaucetError {
    pg_error_granting(doing, err, "")
}

/// [`pg_error`] for a statement whose permission failure (SQLSTATE 42501)
/// `grant` resolves: the message then says what to run.
pub(crate) fn pg_error_granting(
    doing: &str,
    err: tokio_postgres::Error,
    grant: &str,
) -> FaucetError {
    let Some(db) = err.as_db_error() else {
        // No server answer: the connection broke.
        return FaucetError::Sink {
            message: format!("{doing}: {err}"),
            retryable: true,
            source: Some(Box::new(err)),
        };
    };
    let code = db.code().code();
    let denied = format!(" (to allow it: {grant})");
    let hint = match code {
        "23505" => " (a row with this key exists: use `mode: upsert` to update it)",
        "42501" if !grant.is_empty() => &denied,
        "42501" => " (the connecting role lacks the privilege named above)",
        "23502" => " (a key or NOT NULL column got no value)",
        _ => "",
    };
    let mut message = format!("{doing}: {} (SQLSTATE {code}){hint}", db.message());
    if let Some(detail) = db.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(column) = db.column() {
        message.push_str(&format!(" [column {column}]"));
    }
    FaucetError::Sink {
        message,
        retryable: is_transient(code),
        source: Some(Box::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_states_are_retryable() {
        for code in ["40001", "40P01", "57P01", "08006"] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "42501", "22P02"] {
            assert!(!is_transient(code), "{code}");
        }
    }
}
