//! A `${TOKEN}` bearer token never appears in what `validate`, `run
//! --dry-run`, `check`, or failing runs print, logs included.

mod support;

use faucet_testkit::fixture::{FixtureAuth, FixtureConfig, FixtureServer};
use support::{faucet, output, write};

const TOKEN: &str = "tok_live_9f8e7d6c5b4a";

fn pipeline(base_url: &str, extra_sink: &str) -> String {
    format!(
        "source:\n  type: rest\n  base_url: \"{base_url}\"\n  path: /records/page\n  records: data\n  \
         auth: {{kind: bearer, token: \"${{TOKEN}}\"}}\n  headers: {{X-Echo: \"${{TOKEN}}\"}}\n  \
         http: {{retry: {{max_attempts: 1}}}}\n  \
         pagination: {{kind: page_number, size_param: per_page, size: 10}}\n\
         sink:\n  type: jsonl\n  path: \"{}.jsonl\"\n{extra_sink}",
        base_url.replace([':', '/', '.'], "_")
    )
}

async fn assert_never_printed(
    dir: &std::path::Path,
    args: &[&str],
    file: &std::path::Path,
    token: &str,
) -> std::process::Output {
    let mut cmd = faucet(dir);
    cmd.args(args).arg(file).arg("-vv").env("TOKEN", token);
    let result = output(cmd).await;
    let all = format!("{}{}", support::stdout(&result), support::stderr(&result));
    assert!(
        !all.contains(token),
        "`faucet {args:?}` printed the token:\n{all}"
    );
    result
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_never_appears_in_output() {
    let config = FixtureConfig::new(100).with_auth(FixtureAuth::Bearer(TOKEN.into()));
    let server = FixtureServer::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.yaml", &pipeline(&server.url(), ""));

    let result = assert_never_printed(dir.path(), &["validate"], &good, TOKEN).await;
    assert!(result.status.success());
    let result = assert_never_printed(dir.path(), &["run", "--dry-run"], &good, TOKEN).await;
    assert!(result.status.success(), "{}", support::stderr(&result));
    assert_eq!(support::stdout(&result).lines().count(), 10);
    let result = assert_never_printed(dir.path(), &["check"], &good, TOKEN).await;
    assert!(result.status.success(), "{}", support::stdout(&result));

    // A rejected token: the run fails (401), naming the cause, not the token.
    let wrong = "tok_wrong_0a1b2c3d4e5f";
    let result = assert_never_printed(dir.path(), &["run"], &good, wrong).await;
    assert_eq!(result.status.code(), Some(1));

    // The token where a number belongs: the config error quotes the value.
    let misplaced = write(
        dir.path(),
        "misplaced.yaml",
        &pipeline(&server.url(), "  commit_records: \"${TOKEN}\"\n"),
    );
    let result = assert_never_printed(dir.path(), &["validate"], &misplaced, TOKEN).await;
    assert_eq!(result.status.code(), Some(2));
    assert!(
        support::stderr(&result).contains("sink.commit_records"),
        "{}",
        support::stderr(&result)
    );

    // Unreachable API: transport errors carry the URL, never the token.
    let down = write(dir.path(), "down.yaml", &pipeline("http://127.0.0.1:9", ""));
    let result = assert_never_printed(dir.path(), &["run"], &down, TOKEN).await;
    assert_eq!(result.status.code(), Some(1));
}
