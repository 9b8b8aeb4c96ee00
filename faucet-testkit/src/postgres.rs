//! A real PostgreSQL for tests, demos and benchmarks.
//!
//! [`server`] finds or starts one server per test binary, the first time
//! any test asks, and shares it between that binary's tests:
//!
//! 1. `FAUCET_TEST_DATABASE_URL`, when set, is used as is;
//! 2. else a server answering on `127.0.0.1:5432` as user `postgres`;
//! 3. else a throwaway cluster ([`PgCluster::start`]) made with the
//!    installed `initdb` and `pg_ctl` (found on `PATH`, then in
//!    `pg_config --bindir`, then in `/usr/lib/postgresql/*/bin`) in a fresh
//!    temporary directory, on a free port of 127.0.0.1, with trust
//!    authentication and its socket in that directory. When running as
//!    root, it runs as the `postgres` user. A small watchdog process stops
//!    it (`pg_ctl stop -m immediate`) and removes the directory once the
//!    test process has exited, however it exits.
//!
//! If none of these works, [`server`] panics with a message saying what to
//! install or set: tests never skip silently.
//!
//! Each test isolates itself in its own schema ([`PgServer::fresh_schema`]),
//! with a random name, a connection string whose `search_path` is that
//! schema, and a connected client. Schemas are not dropped: the throwaway
//! cluster goes away with its directory; on a server of your own, drop the
//! `faucet_test_*` schemas when you like.
//!
//! Crash tests that need to kill PostgreSQL itself start a cluster of their
//! own with [`PgCluster::start`] (so they do not disturb other tests), then
//! use [`PgCluster::stop_immediate`] and [`PgCluster::restart`], or run
//! the binaries in [`PgCluster::bin_dir`] on [`PgCluster::data_dir`]
//! themselves.
//!
//! ```no_run
//! # async fn demo() {
//! let schema = faucet_testkit::postgres::server().fresh_schema().await;
//! let row = schema.client().query_one("SELECT 1::int4", &[]).await.unwrap();
//! assert_eq!(row.get::<_, i32>(0), 1);
//! // Give `schema.url()` to the code under test; `schema.name()` is the schema.
//! # }
//! ```

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use rand::RngExt;
use tokio_postgres::{Client, NoTls};

/// Environment variable naming a PostgreSQL server to use instead of
/// finding or starting one, e.g. `postgresql://me:pw@db:5432/faucet_test`.
pub const DATABASE_URL_ENV: &str = "FAUCET_TEST_DATABASE_URL";

const HELP: &str = "Tests need PostgreSQL. Either set FAUCET_TEST_DATABASE_URL to a server \
     you can create schemas in, or run one on 127.0.0.1:5432 accepting user `postgres` \
     without a password, or install the PostgreSQL server binaries (`initdb`, `pg_ctl`; on \
     Debian/Ubuntu: `apt-get install postgresql`) so the tests can start a throwaway cluster";

/// The server shared by this test binary's tests.
#[derive(Debug)]
pub struct PgServer {
    url: String,
    cluster: Option<PgCluster>,
}

/// The shared server of this test binary, found or started on first use
/// (see the [module docs](self)). Blocks while a cluster starts; safe to
/// call from async tests.
///
/// # Panics
///
/// When no PostgreSQL can be found or started, with a message saying what
/// to install or set.
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    let found = SERVER.get_or_init(|| {
        // A thread of its own: probing connects with a private runtime,
        // which cannot run inside the caller's.
        std::thread::spawn(find_or_start)
            .join()
            .unwrap_or_else(|_| Err("the PostgreSQL helper panicked".to_owned()))
    });
    match found {
        Ok(server) => server,
        Err(message) => panic!("{message}"),
    }
}

fn find_or_start() -> Result<PgServer, String> {
    if let Ok(url) = std::env::var(DATABASE_URL_ENV) {
        return match probe(&url) {
            Ok(()) => Ok(PgServer { url, cluster: None }),
            Err(err) => Err(format!(
                "{DATABASE_URL_ENV} is set but connecting to it failed: {err}. Fix or unset it."
            )),
        };
    }
    let local = "postgresql://postgres@127.0.0.1:5432/postgres";
    let addr = SocketAddr::from(([127, 0, 0, 1], 5432));
    if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() && probe(local).is_ok()
    {
        return Ok(PgServer {
            url: local.to_owned(),
            cluster: None,
        });
    }
    let cluster =
        PgCluster::start().map_err(|err| format!("{HELP}. Starting one failed: {err}"))?;
    Ok(PgServer {
        url: cluster.url(),
        cluster: Some(cluster),
    })
}

/// Connects to `url` and runs `SELECT 1`, on a private runtime.
fn probe(url: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let connect = tokio_postgres::connect(url, NoTls);
        let (client, connection) = tokio::time::timeout(Duration::from_secs(5), connect)
            .await
            .map_err(|_| "timed out after 5 s".to_owned())?
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        client
            .simple_query("SELECT 1")
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    })
}

impl PgServer {
    /// Connection string of the server's default database (no schema set).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The throwaway cluster, when this helper started one.
    pub fn cluster(&self) -> Option<&PgCluster> {
        self.cluster.as_ref()
    }

    /// A new client on the default database, its connection driven by a
    /// task on the current runtime.
    pub async fn connect(&self) -> Client {
        connect(&self.url).await
    }

    /// A new schema with a random `faucet_test_…` name, for one test.
    pub async fn fresh_schema(&self) -> TestSchema {
        let client = self.connect().await;
        let suffix: u64 = rand::rng().random();
        let name = format!("faucet_test_{suffix:016x}");
        client
            .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("cannot create schema {name}: {e}"));
        client
            .batch_execute(&format!("SET search_path TO \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("cannot set search_path to {name}: {e}"));
        let url = with_search_path(&self.url, &name);
        TestSchema { name, url, client }
    }
}

/// A schema of one's own, with a client whose `search_path` is set to it.
#[derive(Debug)]
pub struct TestSchema {
    name: String,
    url: String,
    client: Client,
}

impl TestSchema {
    /// The schema's name (a plain lowercase identifier).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection string whose sessions have `search_path` set to this
    /// schema (through the `options` parameter).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client whose `search_path` is this schema.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Another client on this schema (e.g. one per concurrent task).
    pub async fn connect(&self) -> Client {
        connect(&self.url).await
    }
}

/// Connects to `url` without TLS and drives the connection on a task of the
/// current runtime.
///
/// # Panics
///
/// When the connection fails.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Adds `options=-c search_path=<schema>` to `url`, percent-encoded the way
/// libpq and tokio-postgres decode it (`%20`, not `+`). `schema` is a plain
/// identifier.
fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// A throwaway PostgreSQL cluster in a temporary directory, stopped and
/// removed by a watchdog process when the process that started it exits.
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    run_as: Option<String>,
}

impl PgCluster {
    /// Creates and starts a new cluster on a free port of 127.0.0.1 (see
    /// the [module docs](self)). Blocking; takes a few seconds.
    pub fn start() -> Result<PgCluster, String> {
        Self::start_configured(None)
    }

    /// Like [`start`](Self::start), with TLS on (`ssl = on`) using the
    /// given PEM server certificate (chain) and private key. Plain
    /// connections stay allowed; `sslmode` decides.
    pub fn start_with_tls(cert_pem: &str, key_pem: &str) -> Result<PgCluster, String> {
        Self::start_configured(Some((cert_pem, key_pem)))
    }

    fn start_configured(tls: Option<(&str, &str)>) -> Result<PgCluster, String> {
        let bin_dir = find_bin_dir()?;
        let run_as = running_as_root().then(|| "postgres".to_owned());
        let dir = tempfile::Builder::new()
            .prefix("faucet-pg-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?
            .keep();
        let mut cluster = PgCluster {
            dir,
            bin_dir,
            port: 0,
            run_as,
        };
        cluster.arm_watchdog()?;
        if let Some(user) = &cluster.run_as {
            run(Command::new("chown").arg("-R").arg(user).arg(&cluster.dir))?;
        }
        cluster.initdb()?;
        if let Some((cert, key)) = tls {
            cluster.configure_tls(cert, key)?;
        }
        // Another process may take the free port before the server binds
        // it: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => return Ok(cluster),
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    /// Connection string of the cluster's `postgres` database as user
    /// `postgres` (trust authentication).
    pub fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port the cluster listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The directory holding the Unix socket and the server log
    /// (`server.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `initdb`, `pg_ctl`, `postgres` and (usually) `psql` are.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The user the server runs as (`Some("postgres")` when the tests run
    /// as root); commands on the data directory must run as this user.
    pub fn run_as(&self) -> Option<&str> {
        self.run_as.as_deref()
    }

    /// A command running `program` from [`bin_dir`](Self::bin_dir) as the
    /// cluster's user.
    pub fn command(&self, program: &str) -> Command {
        let program = self.bin_dir.join(program);
        match &self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.arg("-u").arg(user).arg("--").arg(program);
                cmd
            }
            None => Command::new(program),
        }
    }

    /// Kills the server as a crash would (`pg_ctl stop -m immediate`):
    /// no shutdown checkpoint, recovery runs at the next start.
    pub fn stop_immediate(&self) -> Result<(), String> {
        run(self
            .command("pg_ctl")
            .arg("stop")
            .arg("-m")
            .arg("immediate")
            .arg("-D")
            .arg(self.data_dir()))
    }

    /// Starts the server again on the same port and data directory, waiting
    /// until it accepts connections.
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl_start()
    }

    fn initdb(&self) -> Result<(), String> {
        run(self
            .command("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync"))
    }

    /// Writes the certificate and key into the data directory and turns
    /// `ssl` on in `postgresql.conf`.
    fn configure_tls(&self, cert: &str, key: &str) -> Result<(), String> {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let data = self.data_dir();
        let write = |name: &str, text: &str| {
            let path = data.join(name);
            std::fs::write(&path, text).map_err(|e| format!("cannot write {name}: {e}"))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot restrict {name}: {e}"))
        };
        write("server.crt", cert)?;
        write("server.key", key)?;
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .map_err(|e| format!("cannot open postgresql.conf: {e}"))?;
        conf.write_all(b"\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
            .map_err(|e| format!("cannot write postgresql.conf: {e}"))?;
        if let Some(user) = &self.run_as {
            run(Command::new("chown").arg("-R").arg(user).arg(&data))?;
        }
        Ok(())
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.display()
        );
        run(self
            .command("pg_ctl")
            .arg("start")
            .arg("-w")
            .args(["-t", "60"])
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .arg("-o")
            .arg(options))
    }

    /// Starts a detached shell, in a session of its own (so Ctrl-C on the
    /// tests does not kill it), that waits for this process to exit, then
    /// stops the cluster and removes its directory.
    fn arm_watchdog(&self) -> Result<(), String> {
        let pg_ctl = self.command("pg_ctl");
        let mut stop = vec![pg_ctl.get_program().to_string_lossy().into_owned()];
        stop.extend(pg_ctl.get_args().map(|a| a.to_string_lossy().into_owned()));
        let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 1; done
shift; dir="$1"; shift
"$@" stop -m immediate -D "$dir/data" >/dev/null 2>&1
rm -rf "$dir""#;
        Command::new("setsid")
            .args(["sh", "-c", script, "faucet-pg-watchdog"])
            .arg(std::process::id().to_string())
            .arg(&self.dir)
            .args(&stop)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("cannot start the cleanup watchdog (setsid sh): {e}"))
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{shown} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `initdb` and `pg_ctl` on `PATH`, else in `pg_config --bindir`, else in
/// the newest `/usr/lib/postgresql/*/bin`.
fn find_bin_dir() -> Result<PathBuf, String> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(dir) = on_path.iter().find(|d| has_tools(d)) {
        // Resolve symlinks (Debian links them from /usr/local/bin or
        // /usr/bin) so `bin_dir` also holds `postgres` and `psql`.
        let initdb = std::fs::canonicalize(dir.join("initdb")).unwrap_or(dir.join("initdb"));
        return Ok(initdb.parent().map_or(dir.clone(), Path::to_path_buf));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has_tools(d))
        .collect();
    versions.sort_by_key(|d| {
        let version = d.parent().and_then(|v| v.file_name());
        version.and_then(|v| v.to_str()?.parse::<u32>().ok())
    });
    versions.pop().ok_or_else(|| {
        "no `initdb`/`pg_ctl` on PATH, in `pg_config --bindir` or in /usr/lib/postgresql/*/bin"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_path_goes_into_the_options_parameter() {
        let url = with_search_path("postgresql://u@h:1/db?sslmode=disable", "s1");
        assert_eq!(
            url,
            "postgresql://u@h:1/db?sslmode=disable&options=-c%20search_path%3Ds1"
        );
    }
}
