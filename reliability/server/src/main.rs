//! The server the reliability scenarios run against: a few routes that are
//! fast, slow, endless or take uploads, behind the middleware a production
//! app would have (request ids, a deadline; panics caught by default), with
//! every setting from the environment, and its logs on stderr.
//!
//! Environment (milliseconds unless said): `PORT` (0 picks one; the port is
//! printed as `listening on <port>` on stdout), `HEADER_TIMEOUT`,
//! `KEEP_ALIVE`, `DRAIN`, `SHUTDOWN_DELAY`, `MAX_CONNECTIONS` (a count),
//! `TLS_DIR` (a directory: a self-signed certificate for localhost is written
//! there as `cert.pem` and served), `FILES_DIR` (a directory served under
//! `/files`), `LOG` (`info`, `warn`...).

use std::io::Write;
use std::time::Duration;

use waypost::middleware::{RequestId, Timeout};
use waypost::{get, post, routes, App, Bytes, Query, TlsConfig};

#[get("/")]
async fn index() -> &'static str {
    "ok"
}

#[derive(serde::Deserialize)]
struct SlowQuery {
    ms: u64,
}

#[get("/slow")]
async fn slow(Query(query): Query<SlowQuery>) -> String {
    tokio::time::sleep(Duration::from_millis(query.ms)).await;
    format!("slept {} ms", query.ms)
}

#[get("/forever")]
async fn forever() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

#[post("/upload")]
async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

#[get("/users/<id>")]
async fn user(id: u64) -> String {
    format!("user {id}")
}

fn millis(name: &str) -> Option<Duration> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .map(Duration::from_millis)
}

#[tokio::main]
async fn main() {
    let level = std::env::var("LOG")
        .ok()
        .and_then(|level| level.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .init();
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("local address").port();
    // Every request passes through middleware: its futures are placed in a
    // frame, its id goes into a reused extension map (what the soak checks
    // does not grow). The deadline is longer than any scenario waits.
    let mut app = App::new()
        .wrap(RequestId::new())
        .wrap(Timeout::new(Duration::from_secs(300)))
        .mount("/", routes![index, slow, forever, upload, user]);
    if let Ok(dir) = std::env::var("FILES_DIR") {
        app = app.files("/files", dir);
    }
    let mut server = app.serve_listener(listener);
    if let Some(timeout) = millis("HEADER_TIMEOUT") {
        server = server.header_read_timeout(timeout);
    }
    if let Some(timeout) = millis("KEEP_ALIVE") {
        server = server.keep_alive_timeout(timeout);
    }
    if let Some(timeout) = millis("DRAIN") {
        server = server.drain_timeout(timeout);
    }
    if let Some(delay) = millis("SHUTDOWN_DELAY") {
        server = server.shutdown_delay(delay);
    }
    if let Some(max) = std::env::var("MAX_CONNECTIONS").ok().and_then(|m| m.parse().ok()) {
        server = server.max_connections(max);
    }
    if let Ok(dir) = std::env::var("TLS_DIR") {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .expect("certificate");
        let cert = certified.cert.pem();
        let key = certified.key_pair.serialize_pem();
        std::fs::write(format!("{dir}/cert.pem"), &cert).expect("write cert.pem");
        server = server.tls(TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).expect("TLS"));
    }
    println!("listening on {port}");
    std::io::stdout().flush().expect("stdout");
    server.await.expect("serve");
}
