//! `faucet serve`: the pipelines of this binary's registry as an HTTP
//! service ([`faucet_serve`]), with pipeline specs read as pipeline files
//! are.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use faucet_core::Registry;
use faucet_serve::{
    LoadedPipeline, PipelineLoader, PipelineSettings, ServeOptions, Spec, SpecError,
};

use crate::exit::{Exit, UsageError};
use crate::pipeline_file::{self, Text};
use crate::secrets;

/// `faucet serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on. Beyond loopback a token is required.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8484")]
    pub(crate) listen: SocketAddr,

    /// Bearer token every request but `GET /health` must carry (prefer
    /// `--token-file`: a command line is visible to other users).
    #[arg(long, env = "FAUCET_SERVE_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,

    /// A file holding the bearer token (surrounding whitespace ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub(crate) token_file: Option<PathBuf>,

    /// Serve without a token; allowed only on a loopback address.
    #[arg(long, conflicts_with_all = ["token", "token_file"])]
    pub(crate) no_auth: bool,

    /// Directory of run records (`runs.jsonl`), kept across restarts.
    #[arg(long, value_name = "DIR", default_value = ".faucet/serve")]
    pub(crate) state_dir: PathBuf,

    /// Directory of pipeline files that `POST /runs?pipeline=NAME` runs;
    /// their `${VAR}`s come from the environment and `./.env`.
    #[arg(long, value_name = "DIR")]
    pub(crate) pipelines_dir: Option<PathBuf>,

    /// Runs in flight at once; more are answered 429.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub(crate) max_runs: usize,

    /// Environment variables a spec sent in a request body may use as
    /// `${VAR}` (comma-separated). Default: none, so a caller cannot read
    /// the server's environment.
    #[arg(long, value_name = "VARS", value_delimiter = ',')]
    pub(crate) allow_env: Vec<String>,
}

/// Serves until Ctrl-C or SIGTERM, which cancel runs at a page boundary.
pub(crate) async fn run(args: ServeArgs, registry: Arc<Registry>) -> anyhow::Result<Exit> {
    let mut options = ServeOptions::new(args.listen)
        .with_identity("faucet", env!("CARGO_PKG_VERSION"))
        .with_state_dir(&args.state_dir)
        .with_max_runs(args.max_runs);
    let token = match &args.token_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| usage(format!("--token-file {}: {e}", file.display())))?
                .trim()
                .to_owned(),
        ),
        None => args.token.clone(),
    };
    match &token {
        Some(token) if token.len() < MIN_TOKEN_LEN => {
            return Err(usage(format!(
                "the token must be at least {MIN_TOKEN_LEN} characters"
            )));
        }
        Some(token) => {
            secrets::register(token);
            options = options.with_token(token);
        }
        None if !args.no_auth => {
            return Err(usage(
                "give a token (--token-file FILE or FAUCET_SERVE_TOKEN), or --no-auth to \
                 serve without one on a loopback address"
                    .to_owned(),
            ));
        }
        None if !args.listen.ip().is_loopback() => {
            return Err(usage(format!(
                "--no-auth serves only a loopback address, not {}: give a token",
                args.listen
            )));
        }
        None => {}
    }
    if let Some(dir) = &args.pipelines_dir {
        options = options.with_pipelines_dir(dir);
    }
    let loader = CliLoader {
        allow_env: args.allow_env,
    };
    eprintln!("faucet serve: listening on http://{}", args.listen);
    faucet_serve::serve(Arc::new(loader), registry, options).await?;
    Ok(Exit::Ok)
}

/// The shortest token accepted: one a caller cannot guess.
const MIN_TOKEN_LEN: usize = 16;

/// A usage error (exit 2) with `message`.
fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(message))
}

/// Reads specs as `faucet run` reads pipeline files.
struct CliLoader {
    allow_env: Vec<String>,
}

impl CliLoader {
    /// A variable for `${NAME}`: any, for a file of the operator's
    /// pipelines directory; only allowed ones for a request's spec.
    fn lookup(&self, trusted: bool) -> impl Fn(&str) -> Option<String> + '_ {
        let dotenv = match trusted && std::path::Path::new(".env").is_file() {
            true => {
                pipeline_file::read_dotenv_file(std::path::Path::new(".env")).unwrap_or_default()
            }
            false => Default::default(),
        };
        move |name: &str| {
            if !trusted && !self.allow_env.iter().any(|a| a == name) {
                return None;
            }
            std::env::var(name)
                .ok()
                .or_else(|| dotenv.get(name).cloned())
        }
    }
}

impl PipelineLoader for CliLoader {
    fn load(&self, spec: Spec<'_>, registry: &Registry) -> Result<LoadedPipeline, Vec<SpecError>> {
        let text = Text {
            raw: spec.text,
            file: spec
                .file
                .map_or_else(|| "the spec".to_owned(), |f| f.display().to_string()),
            default_name: spec.file.map_or_else(
                || faucet_core::DEFAULT_PIPELINE_NAME.to_owned(),
                pipeline_file::default_name,
            ),
        };
        let lookup = self.lookup(spec.file.is_some());
        let (file, connectors) =
            pipeline_file::load_text(&text, &lookup, registry).map_err(|e| {
                e.errors
                    .into_iter()
                    .map(|(path, message)| SpecError::new(path, secrets::redact(&message)))
                    .collect::<Vec<_>>()
            })?;
        let mut settings = PipelineSettings::default();
        settings.channel_depth = file.settings.channel_depth;
        settings.limit = file.settings.limit;
        settings.state_dir = file.state.map(|s| s.dir);
        if let Some(streams) = file.streams {
            settings.streams = faucet_core::StreamSelection::only(streams);
        }
        let mut pipeline = LoadedPipeline::new(file.name, connectors.source, connectors.sink)
            .with_settings(settings)
            .with_secrets(secrets::registered());
        for (transform, on_error) in connectors.transforms {
            pipeline = pipeline.with_transform(transform, on_error);
        }
        Ok(pipeline)
    }
}
