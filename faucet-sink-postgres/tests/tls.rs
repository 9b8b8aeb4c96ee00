//! TLS as libpq's `sslmode` means it, against a throwaway server whose
//! certificate is signed by a CA generated here.

mod support;

use std::sync::OnceLock;

use faucet_core::Pipeline;
use faucet_core::connector::*;
use faucet_sink_postgres::{PostgresSink, PostgresSinkConfig};
use faucet_testkit::postgres::PgCluster;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use support::*;

struct TlsServer {
    cluster: PgCluster,
    ca: tempfile::NamedTempFile,
}

/// One cluster with `ssl = on`, its certificate valid for `localhost` only.
fn server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        let cluster = PgCluster::start_with_tls(&cert.pem(), &key.serialize_pem()).unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), ca.pem()).unwrap();
        TlsServer { cluster, ca: file }
    })
}

fn url(host: &str, params: &str) -> String {
    let port = server().cluster.port();
    format!("postgresql://postgres@{host}:{port}/postgres?{params}")
}

/// Loads 3 records through `url` and checks they arrived.
async fn load(url: &str, table: &str) -> Result<bool> {
    let config = PostgresSinkConfig::new(url, table);
    let sink = PostgresSink::new(config)?;
    Pipeline::new(PagedSource::new(people(3), 3), sink)
        .with_name(table)
        .run()
        .await?;
    let client = faucet_testkit::postgres::connect(&server().cluster.url()).await;
    let rows: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 3);
    Ok(true)
}

#[tokio::test]
async fn require_accepts_an_unknown_ca_and_verify_modes_check_the_given_one() {
    let ca = server().ca.path().display().to_string();
    // require: the CA is unknown, yet the connection is made (the driver
    // is given `sslmode=require`, so it is TLS or nothing).
    assert!(
        load(&url("127.0.0.1", "sslmode=require"), "tls_require")
            .await
            .unwrap()
    );
    // verify-full against the generated CA and the certificate's name.
    let full = url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    assert!(load(&full, "tls_full").await.unwrap());
    // verify-ca: chain only, so the IP address (not in the certificate) passes.
    let chain = url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"));
    assert!(load(&chain, "tls_ca").await.unwrap());
}

#[tokio::test]
async fn verify_full_refuses_a_host_name_the_certificate_does_not_name() {
    let ca = server().ca.path().display().to_string();
    let wrong = url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let err = load(&wrong, "tls_wrong").await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // Without the CA, verify-full does not trust the self-made chain.
    let unknown = url("localhost", "sslmode=verify-full");
    let err = load(&unknown, "tls_unknown").await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}

#[tokio::test]
async fn key_value_connection_strings_take_the_same_parameters() {
    let ca = server().ca.path().display().to_string();
    let port = server().cluster.port();
    let conn = format!(
        "host=localhost port={port} user=postgres dbname=postgres sslmode=verify-full sslrootcert='{ca}'"
    );
    assert!(load(&conn, "tls_kv").await.unwrap());
}
