//! The one error type of faucet.
//!
//! Variants are named for what the caller can do about them. Whether a
//! failure is worth retrying is decided once, where it enters (an HTTP
//! status, a SQLSTATE), and recorded in the error: retry loops only ask
//! [`FaucetError::is_retryable`].
//!
//! Messages never hold secrets: constructors take URLs that the caller has
//! already redacted (see `faucet-common-http`), and configs holding
//! credentials write their own `Debug`.

use std::error::Error as StdError;
use std::time::Duration;

/// A boxed error that keeps its `source()` chain.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`FaucetError`] as the default error.
pub type Result<T, E = FaucetError> = std::result::Result<T, E>;

/// Everything that can go wrong in a faucet pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaucetError {
    /// A configuration value is missing, of the wrong type or out of range.
    /// Fix the value at `path` (e.g. `source.pagination.kind`).
    #[error("invalid config at `{path}`: {message}")]
    Config {
        /// Dotted path of the offending value, from the root of the config
        /// being read (empty for the root itself).
        path: String,
        /// What is wrong and, where possible, what would be accepted.
        message: String,
        /// The underlying error (a parser's), when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// Credentials were rejected or could not be obtained.
    #[error("authentication failed: {message}")]
    Auth {
        /// What was rejected; never the credential itself.
        message: String,
        /// The underlying error (a token endpoint's transport error, …).
        #[source]
        source: Option<BoxError>,
    },

    /// A remote endpoint answered with an error status.
    #[error("HTTP {status} from {url}{}", fmt_body(body))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The URL, with credentials and secret query parameters redacted.
        url: String,
        /// The start of the response body, for diagnosis.
        body: String,
        /// The underlying error (reading the body failed, …).
        #[source]
        source: Option<BoxError>,
    },

    /// The remote side asked us to slow down and the wait would exceed what
    /// the configuration allows.
    #[error("rate limited by {url}{}", fmt_retry_after(retry_after))]
    RateLimited {
        /// The URL, redacted.
        url: String,
        /// How long the server asked us to wait, when it said.
        retry_after: Option<Duration>,
    },

    /// A connection could not be made or broke (refused, reset, timed out).
    #[error("cannot reach {target}: {message}")]
    Transport {
        /// What we tried to reach (a redacted URL, a host:port).
        target: String,
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },

    /// Data could not be decoded (malformed JSON, a record of the wrong shape).
    #[error("malformed data from {location}: {message}")]
    Decode {
        /// Where the data came from (a URL, a file, a record position).
        location: String,
        /// What is wrong, with a byte offset or a path where known.
        message: String,
        /// The parser's error, when there is one.
        #[source]
        source: Option<BoxError>,
    },

    /// The connector does not support the requested operation.
    #[error("{connector} does not support {operation}")]
    Unsupported {
        /// The connector's type name.
        connector: String,
        /// The operation, e.g. `discover`.
        operation: String,
    },

    /// The source failed for a reason of its own.
    #[error("source failed: {message}")]
    Source {
        /// What failed.
        message: String,
        /// Whether trying again may succeed.
        retryable: bool,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },

    /// The sink failed for a reason of its own.
    #[error("sink failed: {message}")]
    Sink {
        /// What failed.
        message: String,
        /// Whether trying again may succeed.
        retryable: bool,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },

    /// Reading or writing pipeline state (checkpoints) failed.
    #[error("state store failed: {message}")]
    State {
        /// What failed, naming the file or table.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },

    /// The run was cancelled before it could finish.
    #[error("cancelled")]
    Cancelled,

    /// The pipeline's last run read its source to the end into a sink that
    /// appends, and the source cannot continue incrementally: running it
    /// again would append every record a second time. Restart it on purpose
    /// (`Pipeline::with_restart`), or load with a mode that is repeatable.
    ///
    /// With `streams`, the source continues incrementally but these streams
    /// are read in full on every run and the sink appends them.
    #[error(
        "pipeline `{pipeline}` completed{}; {}",
        fmt_completed_at(*at_unix),
        fmt_completed_why(streams)
    )]
    Completed {
        /// The pipeline's name (its state key).
        pipeline: String,
        /// When the completed run ended, in seconds since the Unix epoch
        /// (0 when unknown).
        at_unix: u64,
        /// The streams that would be appended again, when the rest of the
        /// pipeline could continue incrementally; empty when the whole
        /// source would be read again.
        streams: Vec<String>,
    },

    /// Another run of the same pipeline holds its lock.
    #[error("pipeline `{pipeline}` is already running ({holder})")]
    AlreadyRunning {
        /// The pipeline's name (its state key).
        pipeline: String,
        /// Who holds the lock, as far as the sink can tell (process id,
        /// host, since when).
        holder: String,
    },

    /// A transform failed on a record (under `on_error: fail`, or by
    /// panicking). Names the transform as `transforms[i] (name)` and the
    /// record by its position in the run, never by its content.
    #[error("{stage} failed at {position}: {source}")]
    Transform {
        /// `transforms[2] (filter)`.
        stage: String,
        /// `page 4, record 17`: the page of this run and the record's
        /// index in what the source gave.
        position: String,
        /// What the transform said.
        source: Box<FaucetError>,
    },

    /// Any other error, kept with its chain.
    #[error(transparent)]
    Custom(BoxError),
}

fn fmt_body(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

fn fmt_completed_why(streams: &[String]) -> String {
    if streams.is_empty() {
        return "nothing to resume, and reading it again would append every record a second time"
            .to_owned();
    }
    let names: Vec<String> = streams.iter().map(|s| format!("`{s}`")).collect();
    format!(
        "its other streams continue incrementally, but {} {} read in full on every run and the sink appends {}: reading {} again would append every record a second time",
        names.join(", "),
        if streams.len() == 1 { "is" } else { "are" },
        if streams.len() == 1 { "it" } else { "them" },
        if streams.len() == 1 { "it" } else { "them" },
    )
}

fn fmt_completed_at(at_unix: u64) -> String {
    if at_unix == 0 {
        String::new()
    } else {
        format!(" at {}", utc_timestamp(at_unix))
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (the civil
/// calendar from a day count, after Howard Hinnant's `civil_from_days`).
pub(crate) fn utc_timestamp(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3_600, rem % 3_600 / 60, rem % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

fn fmt_retry_after(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (asked to wait {:.1}s)", d.as_secs_f64()),
        None => String::new(),
    }
}

impl FaucetError {
    /// A [`FaucetError::Config`] error at `path`.
    pub fn config(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config {
            path: path.into(),
            message: message.into(),
            source: None,
        }
    }

    /// A [`FaucetError::Auth`] error.
    pub fn auth(message: impl Into<String>) -> Self {
        Self::Auth {
            message: message.into(),
            source: None,
        }
    }

    /// A [`FaucetError::Http`] error; `url` must be redacted already.
    pub fn http(status: u16, url: impl Into<String>, body: impl Into<String>) -> Self {
        Self::Http {
            status,
            url: url.into(),
            body: body.into(),
            source: None,
        }
    }

    /// A [`FaucetError::Decode`] error about data from `location`.
    pub fn decode(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Decode {
            location: location.into(),
            message: message.into(),
            source: None,
        }
    }

    /// A permanent [`FaucetError::Source`] error.
    pub fn source_error(message: impl Into<String>) -> Self {
        Self::Source {
            message: message.into(),
            retryable: false,
            source: None,
        }
    }

    /// A permanent [`FaucetError::Sink`] error.
    pub fn sink_error(message: impl Into<String>) -> Self {
        Self::Sink {
            message: message.into(),
            retryable: false,
            source: None,
        }
    }

    /// A [`FaucetError::State`] error.
    pub fn state_error(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::State {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Wraps any error, keeping its chain.
    pub fn custom(err: impl Into<BoxError>) -> Self {
        Self::Custom(err.into())
    }

    /// Attaches an underlying cause. Every variant that can have one
    /// takes it (`Config`, `Auth`, `Http`, `Transport`, `Decode`,
    /// `Source`, `Sink`, `State`); the others are conditions of faucet's
    /// own (`RateLimited`, `Unsupported`, `Cancelled`, `Completed`,
    /// `AlreadyRunning`, and `Transform` and `Custom`, which wrap one
    /// already) and are returned unchanged.
    #[must_use]
    pub fn with_source(mut self, err: impl Into<BoxError>) -> Self {
        match &mut self {
            Self::Config { source, .. }
            | Self::Auth { source, .. }
            | Self::Http { source, .. }
            | Self::Decode { source, .. }
            | Self::Source { source, .. }
            | Self::Sink { source, .. }
            | Self::State { source, .. }
            | Self::Transport { source, .. } => *source = Some(err.into()),
            _ => {}
        }
        self
    }

    /// Marks a `Source` or `Sink` error as retryable; other variants keep
    /// their own rule.
    #[must_use]
    pub fn retryable(mut self) -> Self {
        if let Self::Source { retryable, .. } | Self::Sink { retryable, .. } = &mut self {
            *retryable = true;
        }
        self
    }

    /// Prefixes the path of a [`FaucetError::Config`] error with `prefix`
    /// (e.g. `source`), so a connector's error names its place in a
    /// pipeline file. Other variants are returned unchanged.
    #[must_use]
    pub fn at_path(self, prefix: &str) -> Self {
        match self {
            Self::Config {
                path,
                message,
                source,
            } if !prefix.is_empty() => Self::Config {
                path: if path.is_empty() {
                    prefix.to_owned()
                } else if path.starts_with('[') {
                    format!("{prefix}{path}")
                } else {
                    format!("{prefix}.{path}")
                },
                message,
                source,
            },
            other => other,
        }
    }

    /// Whether trying the same operation again may succeed: connection
    /// failures, HTTP 408/429/5xx gateway errors, rate limits, and source or
    /// sink errors that were marked retryable where they arose.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } => Self::is_retryable_status(*status),
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::Source { retryable, .. } | Self::Sink { retryable, .. } => *retryable,
            _ => false,
        }
    }
}

impl FaucetError {
    /// The HTTP statuses worth retrying, decided here once for every
    /// connector: 408, 429, 500, 502, 503 and 504.
    pub fn is_retryable_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// A short, stable name of the variant (`config`, `http`, `decode`, …),
    /// for reports and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Config { .. } => "config",
            Self::Auth { .. } => "auth",
            Self::Http { .. } => "http",
            Self::RateLimited { .. } => "rate_limited",
            Self::Transport { .. } => "transport",
            Self::Decode { .. } => "decode",
            Self::Unsupported { .. } => "unsupported",
            Self::Source { .. } => "source",
            Self::Sink { .. } => "sink",
            Self::State { .. } => "state",
            Self::Cancelled => "cancelled",
            Self::Completed { .. } => "completed",
            Self::AlreadyRunning { .. } => "already_running",
            Self::Transform { .. } => "transform",
            Self::Custom(_) => "custom",
        }
    }
}

impl From<serde_json::Error> for FaucetError {
    /// Malformed JSON is a [`FaucetError::Decode`] keeping the parser's
    /// error; a failure to read or write (serde_json's `io` category) is
    /// not bad data and stays a [`FaucetError::Custom`] with its chain.
    fn from(err: serde_json::Error) -> Self {
        if err.is_io() {
            return Self::Custom(Box::new(err));
        }
        Self::Decode {
            location: "JSON".to_owned(),
            message: err.to_string(),
            source: Some(Box::new(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_error_names_the_path() {
        let err =
            FaucetError::config("pagination.kind", "unknown variant `cursr`").at_path("source");
        assert_eq!(
            err.to_string(),
            "invalid config at `source.pagination.kind`: unknown variant `cursr`"
        );
    }

    #[test]
    fn retryability_is_decided_by_the_variant() {
        let http = |status| FaucetError::http(status, "http://x/", "");
        assert!(http(429).is_retryable());
        assert!(http(503).is_retryable());
        assert!(!http(404).is_retryable());
        assert!(!FaucetError::sink_error("boom").is_retryable());
        assert!(FaucetError::sink_error("boom").retryable().is_retryable());
        assert!(!FaucetError::config("a", "b").is_retryable());
    }

    #[test]
    fn completed_names_the_pipeline_and_when_in_utc() {
        let err = FaucetError::Completed {
            pipeline: "orders".into(),
            at_unix: 1_796_212_800,
            streams: Vec::new(),
        };
        assert_eq!(
            err.to_string(),
            "pipeline `orders` completed at 2026-12-02T12:00:00Z; nothing to resume, \
             and reading it again would append every record a second time"
        );
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn custom_keeps_the_chain() {
        let io = std::io::Error::other("disk full");
        let err = FaucetError::sink_error("write failed").with_source(io);
        let source = StdError::source(&err).expect("chain kept");
        assert_eq!(source.to_string(), "disk full");
        let custom = FaucetError::custom(std::io::Error::other("inner"));
        assert_eq!(custom.to_string(), "inner");
    }
}
