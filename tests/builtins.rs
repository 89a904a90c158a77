//! The built-in middleware and auth extractors: request ids, timeouts, body
//! limits per route, `Bearer` and `BasicAuth`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{assert_problem, Connection};
use waypost::middleware::{
    BasicAuth, Bearer, BodyLimit, ManualClock, ProxyHeader, RateLimit, RequestId, RequestIdValue,
    Timeout,
};
use waypost::{get, post, routes, App, Bytes, Extension, State, TestClient};

#[get("/id")]
async fn id(Extension(id): Extension<RequestIdValue>) -> String {
    id.as_str().to_owned()
}

#[tokio::test]
async fn request_ids_are_kept_or_made_and_echoed() {
    let addr = common::spawn(App::new().wrap(RequestId::new()).mount("/", routes![id])).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /id HTTP/1.1\r\nhost: x\r\nx-request-id: abc-123\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.header("x-request-id"), Some("abc-123"));
    assert_eq!(response.body, b"abc-123");

    // No id, or one that is not usable: a new one, the same on the response and in the handler.
    for request in [
        &b"GET /id HTTP/1.1\r\nhost: x\r\n\r\n"[..],
        b"GET /id HTTP/1.1\r\nhost: x\r\nx-request-id: \r\n\r\n",
    ] {
        connection.send(request).await;
        let response = connection.read_response(false).await;
        let made = response.header("x-request-id").expect("an id").to_owned();
        assert_eq!(made.len(), 32, "{made}");
        assert_eq!(response.body, made.as_bytes());
    }
}

/// Set when the slow handler's future is dropped.
#[derive(Clone, Default)]
struct Dropped(Arc<AtomicBool>);

struct SetOnDrop(Dropped);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0 .0.store(true, Ordering::SeqCst);
    }
}

#[get("/slow", wrap = [Timeout::new(Duration::from_millis(50))])]
async fn slow(State(dropped): State<Dropped>) -> &'static str {
    let _guard = SetOnDrop(dropped);
    std::future::pending::<()>().await;
    "never"
}

#[get("/quick", wrap = [Timeout::new(Duration::from_secs(10))])]
async fn quick() -> &'static str {
    "quick"
}

#[tokio::test]
async fn a_timeout_answers_503_and_drops_the_handler_future() {
    let dropped = Dropped::default();
    let addr = common::spawn(
        App::new()
            .state(dropped.clone())
            .mount("/", routes![slow, quick]),
    )
    .await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 503);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert!(
        dropped.0.load(Ordering::SeqCst),
        "the handler future lives on"
    );
    connection
        .send(b"GET /quick HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(connection.read_response(false).await.status, 200);
}

#[post("/small", wrap = [BodyLimit::new(8)])]
async fn small(body: Bytes) -> String {
    body.len().to_string()
}

#[post("/large")]
async fn large(body: Bytes) -> String {
    body.len().to_string()
}

#[tokio::test]
async fn a_route_can_have_its_own_body_limit() {
    let client = TestClient::new(App::new().body_limit(64).mount("/", routes![small, large]));
    assert_eq!(
        client.post("/small").body("12345678").send().await.text(),
        "8"
    );
    let body = assert_problem(&client.post("/small").body("123456789").send().await, 413);
    assert_eq!(body["limit"], 8);
    assert_eq!(
        client
            .post("/large")
            .body("x".repeat(64))
            .send()
            .await
            .text(),
        "64"
    );
    assert_problem(
        &client.post("/large").body("x".repeat(65)).send().await,
        413,
    );
}

#[get("/bearer")]
async fn bearer(token: Bearer) -> String {
    token.token().to_owned()
}

#[get("/basic")]
async fn basic(auth: BasicAuth) -> String {
    format!("{}:{}", auth.user(), auth.password())
}

#[tokio::test]
async fn bearer_and_basic_credentials_extract_or_answer_401_with_a_challenge() {
    let client = TestClient::new(App::new().mount("/", routes![bearer, basic]));
    let response = client
        .get("/bearer")
        .header("authorization", "bearer t0k3n")
        .send()
        .await;
    assert_eq!(response.text(), "t0k3n");
    // Every character a token may hold, and padding.
    let response = client
        .get("/bearer")
        .header("authorization", "Bearer aZ09-._~+/x==")
        .send()
        .await;
    assert_eq!(response.text(), "aZ09-._~+/x==");
    for header in [
        None,
        Some("Bearer "),
        Some("Basic dXNlcjpwdw=="),
        // Malformed: not one token.
        Some("Bearer a b c"),
        Some("Bearer a, Basic Zm9vOmJhcg=="),
        Some("Bearer ==="),
        Some("Bearer a=b"),
    ] {
        let mut request = client.get("/bearer");
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        let response = request.send().await;
        assert_problem(&response, 401);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }

    let response = client
        .get("/basic")
        .header("authorization", "Basic dXNlcjpwOnc=")
        .send()
        .await;
    assert_eq!(response.text(), "user:p:w");
    for value in ["Basic !!!", "Basic dXNlcg==", "Bearer x"] {
        let response = client
            .get("/basic")
            .header("authorization", value)
            .send()
            .await;
        assert_problem(&response, 401);
        assert_eq!(
            response.header("www-authenticate"),
            Some("Basic realm=\"waypost\"")
        );
    }
}

#[tokio::test]
async fn timeouts_run_at_group_scope_too() {
    let client = TestClient::new(
        App::new().state(Dropped::default()).group(
            waypost::Group::new("/g")
                .wrap(Timeout::new(Duration::from_millis(20)))
                .mount("/", routes![slow]),
        ),
    );
    let response = tokio::time::timeout(common::STEP, client.get("/g/slow").send())
        .await
        .expect("the timeout did not fire");
    assert_problem(&response, 503);
}

#[get("/limited")]
async fn limited() -> &'static str {
    "ok"
}

async fn status_of(
    connection: &mut Connection,
    forwarded_for: Option<&str>,
) -> common::RawResponse {
    let header = forwarded_for
        .map(|ip| format!("x-forwarded-for: {ip}\r\n"))
        .unwrap_or_default();
    status_with(connection, &header).await
}

/// The response to `GET /limited` with `headers` (whole lines, each ending in CRLF).
async fn status_with(connection: &mut Connection, headers: &str) -> common::RawResponse {
    connection
        .send(format!("GET /limited HTTP/1.1\r\nhost: x\r\n{headers}\r\n").as_bytes())
        .await;
    connection.read_response(false).await
}

#[tokio::test]
async fn rate_limits_count_per_client_address_with_time_moved_by_the_test() {
    let clock = ManualClock::new();
    let app = App::new()
        .wrap(RateLimit::per_minute(2).clock(clock.clone()))
        .mount("/", routes![limited]);
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    // A forwarded address from an untrusted peer is ignored: all three count against 127.0.0.1.
    assert_eq!(status_of(&mut connection, None).await.status, 200);
    assert_eq!(
        status_of(&mut connection, Some("203.0.113.9")).await.status,
        200
    );
    let refused = status_of(&mut connection, Some("203.0.113.10")).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    // Half a minute later one more request is allowed, and then none.
    clock.advance(Duration::from_secs(30));
    assert_eq!(status_of(&mut connection, None).await.status, 200);
    assert_eq!(status_of(&mut connection, None).await.status, 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_by_forwarded_for() {
    let clock = ManualClock::new();
    let app = App::new()
        .wrap(
            RateLimit::per_minute(1)
                .trusted_proxies(["127.0.0.1".parse().unwrap(), "10.0.0.1".parse().unwrap()])
                .clock(clock),
        )
        .mount("/", routes![limited]);
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    // The nearest untrusted address is the client; a spoofed leftmost entry is not.
    assert_eq!(
        status_of(&mut connection, Some("1.1.1.1, 198.51.100.1, 10.0.0.1"))
            .await
            .status,
        200
    );
    assert_eq!(
        status_of(&mut connection, Some("2.2.2.2, 198.51.100.1"))
            .await
            .status,
        429
    );
    assert_eq!(
        status_of(&mut connection, Some("198.51.100.2"))
            .await
            .status,
        200
    );
    assert_eq!(
        status_of(&mut connection, Some("198.51.100.2"))
            .await
            .status,
        429
    );
}

#[tokio::test]
async fn behind_proxies_that_write_forwarded_clients_are_told_apart_by_it_alone() {
    let app = App::new()
        .wrap(
            RateLimit::per_minute(1)
                .trusted_proxies(["127.0.0.1".parse().unwrap(), "10.0.0.1".parse().unwrap()])
                .proxy_header(ProxyHeader::Forwarded)
                .clock(ManualClock::new()),
        )
        .mount("/", routes![limited]);
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    for (headers, status) in [
        // Past the trusted hops, the first other is the client, whatever its port.
        (
            "forwarded: for=192.0.2.1, for=198.51.100.1;proto=https, for=10.0.0.1\r\n",
            200,
        ),
        ("forwarded: for=\"198.51.100.1:4711\"\r\n", 429),
        // One IPv6 /64, on two lines.
        (
            "forwarded: for=x\r\nforwarded: for=\"[2001:db8:1:2::1]\"\r\n",
            200,
        ),
        ("forwarded: for=\"[2001:db8:1:2::9]:443\"\r\n", 429),
        // `X-Forwarded-For` is the client's to write here: it changes nothing.
        (
            "forwarded: for=198.51.100.1\r\nx-forwarded-for: 203.0.113.1\r\n",
            429,
        ),
        // An open quote of the client's cannot swallow what the proxy appended:
        // two clients' texts differ, the proxy's address decides.
        ("forwarded: for=\"1.1.1.1, for=203.0.113.50\r\n", 200),
        ("forwarded: for=\"2.2.2.2, for=\"[2001:db8:9::1]\"\r\n", 200),
        ("forwarded: for=\"3.3.3.3, for=203.0.113.50\r\n", 429),
        (
            "forwarded: for=\"3.3.3.3\\\", for=\"[2001:db8:9::2]\"\r\n",
            429,
        ),
        // A client the proxy hides is its name, whatever the port.
        ("forwarded: for=\"_hidden:1111\"\r\n", 200),
        ("forwarded: for=\"_hidden:_2222\"\r\n", 429),
        // No `Forwarded`: the trusted peer itself is the client.
        ("x-forwarded-for: 203.0.113.2\r\n", 200),
        ("x-forwarded-for: 203.0.113.3\r\n", 429),
    ] {
        assert_eq!(
            status_with(&mut connection, headers).await.status,
            status,
            "{headers}"
        );
    }
}

#[tokio::test]
async fn rate_limit_memory_is_bounded_however_many_clients_appear() {
    let clock = ManualClock::new();
    let client = TestClient::new(
        App::new()
            .wrap(
                RateLimit::per_minute(1)
                    .key_by(|req| {
                        req.headers()
                            .get("x-api-key")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    })
                    .max_clients(3)
                    .clock(clock.clone()),
            )
            .mount("/", routes![limited]),
    );
    for key in ["a", "b", "c"] {
        let response = client.get("/limited").header("x-api-key", key).send().await;
        assert_eq!(response.status(), 200, "{key}");
    }
    // The map is full of active clients: newcomers share one quota.
    let first = client.get("/limited").header("x-api-key", "d").send().await;
    assert_eq!(first.status(), 200);
    let second = client.get("/limited").header("x-api-key", "e").send().await;
    assert_problem(&second, 429);
    // Once the old clients are idle, there is room again.
    clock.advance(Duration::from_secs(120));
    for key in (0..10).map(|i| format!("new-{i}")) {
        let response = client
            .get("/limited")
            .header("x-api-key", &key)
            .send()
            .await;
        assert_ne!(response.status(), 500, "{key}");
    }
}

#[get("/route-limited", wrap = [RateLimit::per_minute(1)])]
async fn route_limited() -> &'static str {
    "ok"
}

#[waypost::route("/both", method = "GET", method = "POST", wrap = [RateLimit::per_minute(1)])]
async fn both() -> &'static str {
    "ok"
}

#[tokio::test]
async fn a_route_scope_rate_limit_keeps_one_limiter_for_all_its_methods() {
    let addr = common::spawn(App::new().mount("/", routes![route_limited, both])).await;
    let mut connection = Connection::open(addr).await;
    for (request, status) in [
        (&b"GET /route-limited HTTP/1.1\r\nhost: x\r\n\r\n"[..], 200),
        (b"GET /route-limited HTTP/1.1\r\nhost: x\r\n\r\n", 429),
        (b"GET /both HTTP/1.1\r\nhost: x\r\n\r\n", 200),
        (
            b"POST /both HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n",
            429,
        ),
    ] {
        connection.send(request).await;
        assert_eq!(connection.read_response(false).await.status, status);
    }
}

#[tokio::test]
async fn forwarded_entries_with_ports_brackets_or_garbage_do_not_let_clients_dodge_limits() {
    let app = App::new()
        .wrap(
            RateLimit::per_minute(1)
                .trusted_proxies(["127.0.0.1".parse().unwrap()])
                .clock(ManualClock::new()),
        )
        .mount("/", routes![limited]);
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    // The same client whatever port the proxy wrote.
    assert_eq!(
        status_of(&mut connection, Some("203.0.113.7:1111"))
            .await
            .status,
        200
    );
    assert_eq!(
        status_of(&mut connection, Some("203.0.113.7:2222"))
            .await
            .status,
        429
    );
    // One IPv6 /64 is one client, bracketed or not.
    assert_eq!(
        status_of(&mut connection, Some("2001:db8:1:2::1"))
            .await
            .status,
        200
    );
    assert_eq!(
        status_of(&mut connection, Some("[2001:db8:1:2::ffff]:443"))
            .await
            .status,
        429
    );
    // An entry that is not an address stops the walk: the client's own
    // entries to its left do not count.
    assert_eq!(
        status_of(&mut connection, Some("1.1.1.1, unknown"))
            .await
            .status,
        200
    );
    assert_eq!(
        status_of(&mut connection, Some("2.2.2.2, unknown"))
            .await
            .status,
        429
    );
}

#[get("/eventually")]
async fn eventually() -> &'static str {
    tokio::time::sleep(Duration::from_millis(5)).await;
    "done"
}

#[tokio::test]
async fn a_timeout_of_any_length_is_accepted() {
    let client = TestClient::new(
        App::new()
            .wrap(Timeout::new(Duration::MAX))
            .mount("/", routes![eventually]),
    );
    let response = tokio::time::timeout(common::STEP, client.get("/eventually").send())
        .await
        .expect("answered");
    assert_eq!(response.text(), "done");
}
