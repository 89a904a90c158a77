//! Liveness and readiness: the built-in probe routes, readiness checks with
//! extractors and timeouts, and readiness during a graceful shutdown.

mod common;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_problem, Connection, STEP};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use waypost::{get, routes, App, BuildError, State, TestClient};

#[get("/")]
async fn index() -> &'static str {
    "hello"
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(600)).await;
    "done"
}

#[derive(Clone, Default)]
struct Db {
    up: Arc<AtomicBool>,
    pings: Arc<AtomicUsize>,
}

impl Db {
    async fn ping(&self) -> Result<(), String> {
        self.pings.fetch_add(1, Ordering::SeqCst);
        if self.up.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("connection refused".to_owned())
        }
    }
}

fn app_with_db(db: Db) -> App {
    App::new()
        .state(db)
        .mount("/", routes![index])
        .readiness_check("db", |State(db): State<Db>| async move { db.ping().await })
}

/// The checks of a readiness body, by name.
fn check<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["checks"]
        .as_array()
        .expect("a list of checks")
        .iter()
        .find(|check| check["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {body}"))
}

#[tokio::test]
async fn liveness_answers_200_and_is_not_cached() {
    let client = TestClient::new(App::new().mount("/", routes![index]));
    let response = client.get("/healthz").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_type(), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.json::<Value>()["status"], "live");
    assert_eq!(client.head("/healthz").send().await.status(), 200);
}

#[tokio::test]
async fn readiness_runs_its_checks_with_their_extractors() {
    let db = Db::default();
    db.up.store(true, Ordering::SeqCst);
    let client = TestClient::new(app_with_db(db.clone()));
    let response = client.get("/readyz").send().await;
    assert_eq!(response.status(), 200, "{}", response.text());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body: Value = response.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(check(&body, "db")["outcome"], "up");
    assert!(check(&body, "db")["duration_ms"].is_number());
    assert_eq!(db.pings.load(Ordering::SeqCst), 1, "one probe, one ping");

    // The same check failing: 503 problem+json naming it and its error.
    db.up.store(false, Ordering::SeqCst);
    let response = client.get("/readyz").send().await;
    let body = assert_problem(&response, 503);
    assert!(body["detail"].as_str().unwrap().contains("`db`"), "{body}");
    assert_eq!(check(&body, "db")["outcome"], "down");
    assert_eq!(check(&body, "db")["error"], "connection refused");
    assert_eq!(db.pings.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn readiness_without_checks_is_ready() {
    let client = TestClient::new(App::new());
    let response = client.get("/readyz").send().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>(),
        serde_json::json!({ "status": "ready", "checks": [] })
    );
}

/// Sets its flag when dropped: shows that a timed-out check's future is dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn each_check_has_its_own_timeout_and_a_slow_or_panicking_one_fails_alone() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let app = App::new()
        .readiness_check("quick", || async { true })
        .readiness_check_with_timeout("hangs", Duration::from_millis(100), move || {
            let guard = DropFlag(flag.clone());
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }
        })
        .readiness_check("panics", || async {
            if true {
                panic!("check exploded");
            }
        })
        .readiness_check("says no", || async { false });
    let client = TestClient::new(app);
    let started = Instant::now();
    let response = client.get("/readyz").send().await;
    let elapsed = started.elapsed();
    let body = assert_problem(&response, 503);
    assert!(
        elapsed >= Duration::from_millis(100) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(check(&body, "quick")["outcome"], "up");
    assert_eq!(check(&body, "hangs")["outcome"], "timed out");
    assert!(
        dropped.load(Ordering::SeqCst),
        "the timed-out check was dropped"
    );
    assert_eq!(check(&body, "panics")["outcome"], "down");
    assert_eq!(check(&body, "panics")["error"], "the check panicked");
    assert_eq!(check(&body, "says no")["outcome"], "down");
    let detail = body["detail"].as_str().unwrap();
    for failed in ["`hangs`", "`panics`", "`says no`"] {
        assert!(detail.contains(failed), "{detail}");
    }
    assert!(!detail.contains("`quick`"), "{detail}");
    // Checks keep the order they were registered in.
    let names: Vec<&str> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["quick", "hangs", "panics", "says no"]);
}

#[tokio::test]
async fn probe_paths_can_be_moved_or_turned_off() {
    let app = App::new()
        .mount("/", routes![index])
        .liveness_path("/livez")
        .readiness_path(None);
    let paths: Vec<String> = app.routes().unwrap().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/", "/livez"]);
    let client = TestClient::new(app);
    assert_eq!(client.get("/livez").send().await.status(), 200);
    assert_problem(&client.get("/healthz").send().await, 404);
    assert_problem(&client.get("/readyz").send().await, 404);
}

#[test]
fn a_check_taking_state_the_app_lacks_fails_the_build() {
    let error = App::new()
        .readiness_check("db", |State(db): State<Db>| async move { db.ping().await })
        .build()
        .err()
        .expect("the build fails");
    let BuildError::MissingState {
        handler, location, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(handler, "readiness check \"db\"");
    assert!(location.starts_with("tests/health.rs:"), "{location}");
    assert!(error.to_string().contains("State<"), "{error}");
    assert_eq!(format!("{error:?}"), error.to_string());
}

#[get("/healthz")]
async fn own_health() -> &'static str {
    "mine"
}

#[test]
fn a_route_on_a_probe_path_is_a_conflict_unless_the_probe_moves() {
    let error = App::new()
        .mount("/", routes![own_health])
        .build()
        .err()
        .expect("the build fails");
    assert!(matches!(error, BuildError::Conflict { .. }), "{error:?}");
    assert!(
        error.to_string().contains("waypost::health::liveness"),
        "{error}"
    );
    assert!(App::new()
        .mount("/", routes![own_health])
        .liveness_path(None)
        .build()
        .is_ok());
}

#[tokio::test]
async fn during_a_shutdown_readiness_answers_503_while_requests_finish() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let db = Db::default();
    db.up.store(true, Ordering::SeqCst);
    let server = app_with_db(db.clone())
        .mount("/more", routes![slow])
        .serve_listener(listener)
        .shutdown_delay(Duration::from_millis(400))
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        });
    let server = tokio::spawn(server.into_future());

    let mut probe = Connection::open(addr).await;
    probe
        .send(b"GET /readyz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    assert_eq!(probe.read_response(false).await.status, 200);

    let mut busy = Connection::open(addr).await;
    busy.send(b"GET /more/slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Within the shutdown delay: still accepting, readiness 503 without
    // running its checks, liveness 200.
    let pings = db.pings.load(Ordering::SeqCst);
    let mut late = Connection::open(addr).await;
    late.send(b"GET /readyz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    let response = late.read_response(false).await;
    assert_eq!(response.status, 503);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["detail"], "the server is shutting down");
    assert_eq!(db.pings.load(Ordering::SeqCst), pings, "no check ran");
    late.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    assert_eq!(late.read_response(false).await.status, 200);

    // The request in flight finishes; then the server stops and refuses.
    let response = busy.read_response(false).await;
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"done"[..])
    );
    tokio::time::timeout(STEP, server)
        .await
        .expect("the server future resolves")
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
