//! The command line: every command, flag and its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Move data from APIs into databases, fast, without losing or duplicating
/// a row.
///
/// Exit codes: 0 ok, 1 the run (or a check) failed, 2 bad config or usage,
/// 130 interrupted (rerun the same command to resume).
#[derive(Debug, Parser)]
#[command(
    name = "faucet",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "First time? `faucet demo` loads a sample API with no network and no database.\n\
                  Then: `faucet init pipeline --source rest --sink postgres -o pipeline.yaml`."
)]
pub(crate) struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub(crate) command: Command,

    /// More log output (`-v` info, `-vv` debug). `RUST_LOG` overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Every `faucet` command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a pipeline file: read the source, write the sink, keep checkpoints.
    Run(RunArgs),
    /// Parse a pipeline file and every connector config, without any I/O.
    Validate(ValidateArgs),
    /// Run each connector's checks (reachable, authorised, writable, …).
    Check(CheckArgs),
    /// List the streams the source reads: name, parent, keys and the
    /// records' schema after the pipeline's transforms.
    Discover(DiscoverArgs),
    /// Print a JSON Schema: of a pipeline file, or of one connector's config.
    Schema(SchemaArgs),
    /// List the registered sources, sinks and transforms.
    Connectors(FormatArgs),
    /// Show or forget where a pipeline would resume.
    #[command(subcommand)]
    State(StateCommand),
    /// Write a new pipeline file, or scaffold a connector crate.
    #[command(subcommand)]
    Init(InitCommand),
    /// Serve a sample API in-process and load it: no network, no database.
    Demo(DemoArgs),
    /// Serve pipelines over HTTP: validate, check, start, watch and cancel
    /// runs; `GET /openapi.json` documents every endpoint.
    Serve(crate::commands::serve::ServeArgs),
    /// Print a shell completion script (e.g. `faucet completions bash`).
    Completions(CompletionsArgs),
}

/// Where the pipeline file is and where its variables come from.
#[derive(Debug, Args)]
pub(crate) struct FileArgs {
    /// The pipeline file (YAML or JSON).
    pub(crate) pipeline: PathBuf,

    /// A `.env` file of variables for `${VAR}` references. Default:
    /// `./.env` when it exists. The environment wins over the file.
    #[arg(long, value_name = "FILE")]
    pub(crate) env_file: Option<PathBuf>,
}

/// `faucet run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The pipeline file and its variables.
    #[command(flatten)]
    pub(crate) file: FileArgs,

    /// Stop after N records (a later run resumes after the last full page).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<u64>,

    /// Write only these streams, comma-separated (overrides the file's
    /// `streams:`); `faucet discover` lists them. A selected child stream's
    /// parents are still read, not written.
    #[arg(long, value_name = "A,B", value_delimiter = ',', num_args = 1..)]
    pub(crate) streams: Option<Vec<String>>,

    /// Read one page and print its records (at most `--limit`); write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Ignore the stored checkpoint and read everything again. After a
    /// completed run into an append sink this appends every record a second
    /// time: that is what it is for.
    #[arg(long, conflicts_with = "dry_run")]
    pub(crate) restart: bool,

    /// Keep checkpoints in DIR for sinks that do not keep their own
    /// (overrides the file's `state.dir`).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,

    /// Write the run's report (counts, checkpoints, outcome) as JSON to FILE
    /// when the run ends, however it ends.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,

    /// How to show progress. Default: a bar on a terminal, log lines otherwise.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub(crate) progress: ProgressMode,

    /// How the final summary is printed: `text` on stderr, or `json`: the
    /// run's report (as `--report` writes it, with per-stream counts) on
    /// stdout.
    #[command(flatten)]
    pub(crate) format: FormatArgs,
}

/// How `faucet run` shows progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgressMode {
    /// A bar when stderr is a terminal, else log lines.
    Auto,
    /// A progress bar.
    Bar,
    /// A log line every few seconds.
    Log,
    /// Only the final summary.
    Quiet,
}

/// `faucet validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Pipeline files to validate.
    #[arg(required = true)]
    pub(crate) pipelines: Vec<PathBuf>,

    /// A `.env` file of variables for `${VAR}` references.
    #[arg(long, value_name = "FILE")]
    pub(crate) env_file: Option<PathBuf>,

    /// Output format.
    #[command(flatten)]
    pub(crate) format: FormatArgs,
}

/// `--format text|json`.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct FormatArgs {
    /// `text` for people, `json` for scripts and CI jobs (on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
}

/// `faucet check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The pipeline file and its variables.
    #[command(flatten)]
    pub(crate) file: FileArgs,

    /// Output format.
    #[command(flatten)]
    pub(crate) format: FormatArgs,
}

/// `faucet discover`.
#[derive(Debug, Args)]
pub(crate) struct DiscoverArgs {
    /// The pipeline file and its variables.
    #[command(flatten)]
    pub(crate) file: FileArgs,

    /// Output format (`json`: every stream with its full JSON Schema).
    #[command(flatten)]
    pub(crate) format: FormatArgs,
}

/// `faucet state …`.
#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// Where the next run would start, and how the last one ended.
    Show(StateShowArgs),
    /// Forget the stored checkpoint: the next run starts from the beginning.
    Reset(StateResetArgs),
}

/// `faucet state show`.
#[derive(Debug, Args)]
pub(crate) struct StateShowArgs {
    /// The pipeline file and its variables.
    #[command(flatten)]
    pub(crate) file: FileArgs,

    /// The state directory, as given to `faucet run --state`.
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,

    /// Output format.
    #[command(flatten)]
    pub(crate) format: FormatArgs,
}

/// `faucet state reset`.
#[derive(Debug, Args)]
pub(crate) struct StateResetArgs {
    /// The pipeline file and its variables.
    #[command(flatten)]
    pub(crate) file: FileArgs,

    /// The state directory, as given to `faucet run --state`.
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,

    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

/// `faucet schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// `source`, `sink` or `transform`; omit both arguments for the
    /// pipeline file schema.
    #[arg(value_enum, requires = "name")]
    pub(crate) kind: Option<KindArg>,

    /// The connector's type name, e.g. `rest`, `postgres` or `filter`.
    pub(crate) name: Option<String>,
}

/// A connector role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// A source.
    Source,
    /// A sink.
    Sink,
    /// A transform.
    Transform,
}

/// `faucet init …`.
#[derive(Debug, Subcommand)]
pub(crate) enum InitCommand {
    /// Write a commented pipeline file from the connectors' schemas.
    Pipeline(InitPipelineArgs),
    /// Scaffold a `faucet-source-NAME` crate that passes the conformance kit.
    Source(InitCrateArgs),
    /// Scaffold a `faucet-sink-NAME` crate that passes the conformance kit.
    Sink(InitCrateArgs),
    /// Scaffold a `faucet-transform-NAME` crate that passes the conformance kit.
    Transform(InitCrateArgs),
}

/// `faucet init pipeline`.
#[derive(Debug, Args)]
pub(crate) struct InitPipelineArgs {
    /// The source type.
    #[arg(long, default_value = "rest")]
    pub(crate) source: String,

    /// The sink type.
    #[arg(long, default_value = "jsonl")]
    pub(crate) sink: String,

    /// Write here instead of standard output (never overwrites a file).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// `faucet init source|sink|transform`.
#[derive(Debug, Args)]
pub(crate) struct InitCrateArgs {
    /// The connector's name, e.g. `github` makes `faucet-source-github`.
    pub(crate) name: String,

    /// Directory to create. Default: `./faucet-source-NAME` (or `-sink-`,
    /// `-transform-`).
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,

    /// The faucet checkout to depend on by path (its root, or its
    /// `faucet-core` directory). Default: the checkout this `faucet` was
    /// built from, when it is still there; else faucet's git repository.
    /// (faucet's crates are not on crates.io under these names yet: the
    /// `faucet-core` there is an unrelated crate.)
    #[arg(long, value_name = "PATH")]
    pub(crate) core_path: Option<PathBuf>,
}

/// `faucet demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Records the sample API serves.
    #[arg(long, default_value_t = 50_000)]
    pub(crate) records: u64,

    /// Load into this PostgreSQL database instead of a JSON Lines file
    /// (table `faucet_demo`, upsert by `id`).
    #[arg(long, value_name = "URL")]
    pub(crate) postgres: Option<String>,

    /// The PostgreSQL schema of the demo table and its checkpoint.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "public",
        requires = "postgres"
    )]
    pub(crate) schema: String,

    /// Directory for the pipeline file and the output.
    #[arg(long, value_name = "DIR", default_value = "faucet-demo")]
    pub(crate) dir: PathBuf,

    /// How to show progress.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub(crate) progress: ProgressMode,
}

/// `faucet completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}
