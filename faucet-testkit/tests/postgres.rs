//! The PostgreSQL helper against a real server.

use faucet_testkit::postgres;

#[tokio::test]
async fn connects_and_selects_one() {
    let client = postgres::server().connect().await;
    let row = client.query_one("SELECT 1::int4", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);
}

#[tokio::test]
async fn fresh_schemas_are_isolated() {
    let a = postgres::server().fresh_schema().await;
    let b = postgres::server().fresh_schema().await;
    assert_ne!(a.name(), b.name());
    a.client()
        .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    b.client()
        .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (2), (3)")
        .await
        .unwrap();
    // A new connection from each schema's URL sees only its own table.
    let sum = |url: String| async move {
        let client = postgres::connect(&url).await;
        let row = client
            .query_one("SELECT sum(v)::int8 FROM t", &[])
            .await
            .unwrap();
        row.get::<_, i64>(0)
    };
    assert_eq!(sum(a.url().to_owned()).await, 1);
    assert_eq!(sum(b.url().to_owned()).await, 5);
}

#[tokio::test]
async fn a_throwaway_cluster_reports_where_it_lives() {
    let server = postgres::server();
    let Some(cluster) = server.cluster() else {
        // An external server was configured: nothing of ours to inspect.
        assert!(
            std::env::var(postgres::DATABASE_URL_ENV).is_ok() || server.url().contains(":5432/"),
            "no cluster was started, yet no external server is in use"
        );
        return;
    };
    assert!(cluster.data_dir().join("PG_VERSION").is_file());
    assert!(cluster.bin_dir().join("pg_ctl").is_file());
    assert_eq!(server.url(), cluster.url());
}

#[tokio::test]
async fn a_private_cluster_survives_an_immediate_stop_and_restart() {
    let cluster = tokio::task::spawn_blocking(postgres::PgCluster::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let client = postgres::connect(&cluster.url()).await;
    client
        .batch_execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
        .await
        .unwrap();
    drop(client);
    cluster.stop_immediate().unwrap();
    assert!(
        tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls)
            .await
            .is_err(),
        "the server still answers after an immediate stop"
    );
    cluster.restart().unwrap();
    let client = postgres::connect(&cluster.url()).await;
    let row = client.query_one("SELECT v FROM kept", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
}
