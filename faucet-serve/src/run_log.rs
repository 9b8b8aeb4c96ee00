//! Connectors' log lines in their run's event log: a `tracing` layer that
//! sends each event emitted inside a run's span to that run.
//!
//! A run executes inside a span named [`SPAN`] whose field `faucet_run`
//! is a key unique in the process; [`Route`] maps the key to the run while
//! it is in flight. The layer finds the innermost such span of an event
//! and hands the formatted line to the run, which masks its secrets and
//! tells its followers. Events outside runs are ignored; so are events of
//! a run that has ended.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The name of the span a run executes in.
pub(crate) const SPAN: &str = "faucet_run";

/// The field of that span holding the run's key.
const KEY_FIELD: &str = "faucet_run";

/// A [`tracing_subscriber::Layer`] that copies the log events emitted
/// while a run of `faucet serve` executes (a REST source's retries, a
/// sink's warnings) into that run's event log: `log` events of
/// `GET /runs/{id}/events`, with the run's secrets masked.
///
/// Install it next to the binary's own output, with a filter of its own
/// so that what runs report does not depend on what the terminal shows:
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// use tracing_subscriber::{Layer, filter::LevelFilter};
///
/// let subscriber = tracing_subscriber::registry()
///     .with(faucet_serve::RunLogLayer::new().with_filter(LevelFilter::INFO));
/// # drop(subscriber);
/// ```
///
/// Without it, runs' event logs hold only the server's own lines (run
/// started, ended).
#[derive(Debug, Clone, Copy)]
pub struct RunLogLayer {
    level: Level,
}

impl Default for RunLogLayer {
    fn default() -> Self {
        Self { level: Level::INFO }
    }
}

impl RunLogLayer {
    /// The layer, keeping events at `info` and above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps events at `level` and above. Default: `INFO`.
    #[must_use]
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

/// What takes a run's log lines: the server's runs (kept apart from them
/// as a trait, so this module does not depend on the run table).
pub(crate) trait RunLines: Send + Sync {
    /// Adds `line` at `level` to run `id`'s log, masked with the run's
    /// secrets.
    fn line(&self, id: &str, level: &'static str, line: &str);
}

/// Where a run's key sends its lines.
struct Target {
    runs: Weak<dyn RunLines>,
    id: String,
}

fn routes() -> &'static Mutex<HashMap<u64, Target>> {
    static ROUTES: OnceLock<Mutex<HashMap<u64, Target>>> = OnceLock::new();
    ROUTES.get_or_init(Default::default)
}

/// A run's entry in the routes, removed when dropped (the run ended).
pub(crate) struct Route {
    key: u64,
}

impl Route {
    /// Routes events of the span keyed [`Route::key`] to run `id` of
    /// `runs`.
    pub(crate) fn open<R: RunLines + 'static>(runs: &Arc<R>, id: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let key = NEXT.fetch_add(1, Ordering::Relaxed);
        let runs: Arc<dyn RunLines> = runs.clone();
        let target = Target {
            runs: Arc::downgrade(&runs),
            id: id.to_owned(),
        };
        lock_routes().insert(key, target);
        Self { key }
    }

    /// The span the run executes in.
    pub(crate) fn span(&self) -> tracing::Span {
        tracing::info_span!(SPAN, faucet_run = self.key)
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        lock_routes().remove(&self.key);
    }
}

fn lock_routes() -> std::sync::MutexGuard<'static, HashMap<u64, Target>> {
    routes().lock().unwrap_or_else(|e| e.into_inner())
}

/// The key of a run's span, kept in its extensions.
struct RunKey(u64);

thread_local! {
    /// Set while this thread hands a line to a run, so an event emitted
    /// on the way cannot recurse into the run's lock.
    static ROUTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl<S> tracing_subscriber::Layer<S> for RunLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != SPAN {
            return;
        }
        let mut key = KeyVisitor(None);
        attrs.record(&mut key);
        if let (Some(key), Some(span)) = (key.0, ctx.span(id)) {
            span.extensions_mut().insert(RunKey(key));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() > self.level {
            return;
        }
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        let Some(key) = scope
            .into_iter()
            .find_map(|span| span.extensions().get::<RunKey>().map(|k| k.0))
        else {
            return;
        };
        if ROUTING.with(|r| r.replace(true)) {
            return;
        }
        let target = lock_routes()
            .get(&key)
            .and_then(|t| Some((t.runs.upgrade()?, t.id.clone())));
        if let Some((runs, id)) = target {
            let level = level_name(*event.metadata().level());
            let line = format_event(event);
            runs.line(&id, level, &line);
        }
        ROUTING.with(|r| r.set(false));
    }
}

/// The level as the events' JSON names it.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// The event's message, then its other fields as `key=value`.
fn format_event(event: &Event<'_>) -> String {
    let mut visitor = LineVisitor::default();
    event.record(&mut visitor);
    let mut line = visitor.message;
    if !visitor.fields.is_empty() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&visitor.fields);
    }
    line
}

#[derive(Default)]
struct LineVisitor {
    message: String,
    fields: String,
}

impl Visit for LineVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
            return;
        }
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={value:?}", field.name());
    }
}

struct KeyVisitor(Option<u64>);

impl Visit for KeyVisitor {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == KEY_FIELD {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn fmt::Debug) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            self.0.lock().unwrap().push(format_event(event));
        }
    }

    #[test]
    fn an_event_is_its_message_then_its_fields() {
        let capture = Capture::default();
        let lines = Arc::clone(&capture.0);
        let subscriber = tracing_subscriber::registry().with(capture);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(url = %"http://x/a", attempt = 2, "Request failed; retrying");
            tracing::info!(ok = true);
        });
        assert_eq!(
            *lines.lock().unwrap(),
            [
                "Request failed; retrying url=http://x/a attempt=2",
                "ok=true"
            ]
        );
    }
}
