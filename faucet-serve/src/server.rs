//! The running server: its address, and a way to stop it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use faucet_core::Registry;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::ServeError;
use crate::loader::PipelineLoader;
use crate::manager::{self, ManagerOptions, Registrations};
use crate::options::ServeOptions;
use crate::routes::{self, AppState};
use crate::runs::Runs;

/// A server listening on its own task, until [`Server::shutdown`].
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    runs: Arc<Runs>,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Opens the run store, marks the runs it recorded as running
    /// `interrupted`, binds `options.bind` and serves on a task of its
    /// own. Without a token it listens only on a loopback address
    /// ([`ServeError::NoToken`] otherwise).
    pub async fn start(
        loader: Arc<dyn PipelineLoader>,
        registry: Arc<Registry>,
        options: ServeOptions,
    ) -> Result<Self, ServeError> {
        if options.token.is_none() && !options.bind.ip().is_loopback() {
            return Err(ServeError::NoToken { addr: options.bind });
        }
        let runs = Arc::new(Runs::open(options.state_dir.as_deref(), options.max_runs)?);
        let listener = tokio::net::TcpListener::bind(options.bind)
            .await
            .map_err(|source| ServeError::Bind {
                addr: options.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(ServeError::Http)?;
        let registrations = Arc::new(Registrations::default());
        let stop = CancellationToken::new();
        if let Some(manager) = options.manager.clone() {
            let manifest = crate::manifest::Manifest::of(&registry, &options).to_value();
            let counts = Arc::clone(&registrations);
            tokio::spawn(manager::register(manager, manifest, counts, stop.clone()));
        }
        let state = AppState {
            loader,
            registry,
            runs: Arc::clone(&runs),
            options: Arc::new(options),
            registrations,
        };
        let app = routes::router(state);
        let signal = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
        });
        tracing::info!(%addr, "Serving.");
        Ok(Self {
            addr,
            runs,
            stop,
            task,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cancels every run in flight, waits until each has stopped at a page
    /// boundary with its checkpoint kept (state `cancelled`), then stops
    /// serving.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        self.runs.shutdown().await;
        self.stop.cancel();
        match self.task.await {
            Ok(result) => result.map_err(ServeError::Http),
            Err(err) => Err(ServeError::Http(std::io::Error::other(err))),
        }
    }

    /// Serves until `signal` completes, then shuts down as
    /// [`Server::shutdown`] does.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), ServeError> {
        signal.await;
        tracing::info!("Shutting down: cancelling runs in flight.");
        self.shutdown().await
    }
}

/// Serves pipelines over HTTP until Ctrl-C or SIGTERM, then cancels every
/// run in flight gracefully (checkpoints kept) and returns. Without
/// [`ServeOptions::manager`], registers with the manager that
/// `FAUCET_MANAGER_URL` names, if set ([`ManagerOptions::from_env`]).
///
/// ```no_run
/// use std::sync::Arc;
/// use faucet_core::Registry;
/// use faucet_serve::{JsonLoader, ServeOptions, serve};
///
/// # async fn run() -> Result<(), faucet_serve::ServeError> {
/// let registry = Registry::new(); // register your connectors here
/// serve(Arc::new(JsonLoader), Arc::new(registry), ServeOptions::default()).await
/// # }
/// ```
pub async fn serve(
    loader: Arc<dyn PipelineLoader>,
    registry: Arc<Registry>,
    mut options: ServeOptions,
) -> Result<(), ServeError> {
    if options.manager.is_none() {
        options.manager = ManagerOptions::from_env();
    }
    let server = Server::start(loader, registry, options).await?;
    server.run_until(stop_signal()).await
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
