//! A production `main`: settings from the environment, JSON logs, request
//! ids and access logs, a readiness check, graceful shutdown on SIGTERM, and
//! HTTPS when certificate paths are given.
//!
//! Run it with `cargo run --example production`, then try
//! `curl -i localhost:8080/users/7`, `curl -i localhost:8080/readyz`, and
//! Ctrl-C (or `kill -TERM`) to watch the drain in the logs.
//!
//! Environment:
//! - `ADDR` (default `0.0.0.0:8080`)
//! - `TLS_CERT` and `TLS_KEY`: PEM files; when both are set, HTTPS
//! - `SHUTDOWN_DELAY_MS` (default 0): how long readiness answers 503 before
//!   the listener closes; behind Kubernetes, a little above the readiness
//!   probe's period
//! - `LOG_LEVEL` (default `info`)
//! - `MALLOC_ARENA_MAX=2` (read by glibc, not by this program): keeps RSS
//!   flat under long load; see the README's Reliability section

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use waypost::middleware::{AccessLog, RequestId, Timeout};
use waypost::{get, routes, App, Json, Problem, State, StatusCode, TlsConfig};

/// Stands in for a connection pool.
#[derive(Clone)]
struct Db {
    connected: Arc<AtomicBool>,
}

impl Db {
    async fn ping(&self) -> Result<(), String> {
        if self.connected.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err("database unreachable".to_owned())
        }
    }
}

#[derive(serde::Serialize)]
struct User {
    id: u64,
    name: String,
}

#[get("/users/<id>")]
async fn get_user(id: u64, State(_db): State<Db>) -> Result<Json<User>, Problem> {
    if id == 0 {
        return Err(Problem::new(StatusCode::NOT_FOUND).with_detail("there is no user 0"));
    }
    Ok(Json(User {
        id,
        name: format!("user {id}"),
    }))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let level = env("LOG_LEVEL")
        .and_then(|level| level.parse().ok())
        .unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(true)
        .init();

    let db = Db {
        connected: Arc::new(AtomicBool::new(true)),
    };
    let app = App::new()
        .state(db)
        .wrap(RequestId::new())
        .wrap(AccessLog::new())
        .wrap(Timeout::new(Duration::from_secs(10)))
        .mount("/", routes![get_user])
        .readiness_check("db", |State(db): State<Db>| async move { db.ping().await });
    for route in app.routes()? {
        tracing::info!(route = %route, "route");
    }

    let addr = env("ADDR").unwrap_or_else(|| "0.0.0.0:8080".to_owned());
    let shutdown_delay = env("SHUTDOWN_DELAY_MS")
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or_default();
    let mut server = app
        .serve(addr.clone())
        .header_read_timeout(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(75))
        // Below Kubernetes' default termination grace period (30 s), so the
        // drain ends before the kubelet's SIGKILL.
        .drain_timeout(Duration::from_secs(20))
        .shutdown_delay(shutdown_delay);
    if let (Some(cert), Some(key)) = (env("TLS_CERT"), env("TLS_KEY")) {
        server = server.tls(TlsConfig::from_pem_files(cert, key)?);
        tracing::info!(%addr, "serving HTTPS");
    }
    // Until SIGINT or SIGTERM, then a graceful drain; the drain is logged.
    server.await?;
    Ok(())
}
