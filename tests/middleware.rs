//! Middleware: order across app, group and route scopes; short-circuit before
//! parameter parsing; `Extension` and the `provides` check; panics; 405s
//! through a group's chain; the trailing-slash rule.

mod common;

use common::auth::{authenticate, User};
use common::{assert_problem, Connection};
use waypost::{
    get, middleware, post, routes, App, BuildError, Extension, Group, HeaderMap, Next, Problem,
    Request, Response, StatusCode, TestClient,
};

/// Appends `name` to `x-in` on the way in and to `x-out` on the way out.
async fn trace(name: &str, mut req: Request, next: Next) -> Response {
    let seen = req
        .headers()
        .get("x-in")
        .map(|v| format!("{},{name}", v.to_str().unwrap()))
        .unwrap_or_else(|| name.to_owned());
    req.headers_mut().insert("x-in", seen.parse().unwrap());
    let mut response = next.run(req).await;
    let out = response
        .headers()
        .get("x-out")
        .map(|v| format!("{},{name}", v.to_str().unwrap()))
        .unwrap_or_else(|| name.to_owned());
    response.headers_mut().insert("x-out", out.parse().unwrap());
    response
}

macro_rules! tracing_middleware {
    ($($name:ident),*) => {$(
        #[middleware]
        async fn $name(req: Request, next: Next) -> Response {
            trace(stringify!($name), req, next).await
        }
    )*};
}

tracing_middleware!(app_a, app_b, outer, inner, route_a, route_b);

#[get("/stats/<id>", wrap = [route_a, route_b])]
async fn stats(id: u32, headers: HeaderMap) -> String {
    format!("{id}:{}", headers["x-in"].to_str().unwrap())
}

#[get("/open")]
async fn open() -> &'static str {
    "open"
}

fn layered_app() -> App {
    App::new()
        .wrap(app_a)
        .wrap(app_b)
        .mount("/", routes![open])
        .group(
            Group::new("/api")
                .wrap(outer)
                .group(Group::new("/admin").wrap(inner).mount("/", routes![stats])),
        )
}

#[tokio::test]
async fn order_is_app_then_groups_outer_to_inner_then_route_reversed_on_the_way_out() {
    let addr = common::spawn(layered_app()).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /api/admin/stats/7 HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        String::from_utf8(response.body.clone()).unwrap(),
        "7:app_a,app_b,outer,inner,route_a,route_b"
    );
    assert_eq!(
        response.header("x-out"),
        Some("route_b,route_a,inner,outer,app_b,app_a")
    );

    // Outside the group only the app scope runs; a 404 passes through it too.
    connection
        .send(b"GET /open HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.header("x-out"), Some("app_b,app_a"));
    connection
        .send(b"GET /nowhere HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.header("x-out"), Some("app_b,app_a"));
}

#[tokio::test]
async fn a_405_for_a_group_path_runs_the_group_chain_but_not_the_route_chain() {
    let client = TestClient::new(layered_app());
    let response = client.post("/api/admin/stats/7").send().await;
    assert_problem(&response, 405);
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
    assert_eq!(response.header("x-out"), Some("inner,outer,app_b,app_a"));
}

#[middleware]
async fn deny(req: Request, next: Next) -> Result<Response, Problem> {
    if req.headers().contains_key("authorization") {
        Ok(next.run(req).await)
    } else {
        Err(Problem::new(StatusCode::UNAUTHORIZED).with_detail("log in first"))
    }
}

#[get("/items/<id>", wrap = [deny])]
async fn item(id: u64) -> String {
    id.to_string()
}

#[tokio::test]
async fn middleware_answers_before_path_parameters_are_parsed_over_tcp() {
    let addr = common::spawn(App::new().mount("/", routes![item])).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /items/not-a-number HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 401);
    connection
        .send(b"GET /items/not-a-number HTTP/1.1\r\nhost: x\r\nauthorization: x\r\n\r\n")
        .await;
    assert_eq!(connection.read_response(false).await.status, 400);
}

#[tokio::test]
async fn middleware_answers_before_path_parameters_are_parsed() {
    let client = TestClient::new(App::new().mount("/", routes![item]));
    // A malformed id, but the middleware answers first.
    let response = client.get("/items/not-a-number").send().await;
    let body = assert_problem(&response, 401);
    assert_eq!(body["detail"], "log in first");
    // Let through, the parameter is parsed and refused.
    let response = client
        .get("/items/not-a-number")
        .header("authorization", "x")
        .send()
        .await;
    assert_problem(&response, 400);
    let response = client
        .get("/items/12")
        .header("authorization", "x")
        .send()
        .await;
    assert_eq!(response.text(), "12");
}

#[middleware(provides = User)]
async fn forgets_to_insert(req: Request, next: Next) -> Response {
    next.run(req).await
}

#[middleware]
async fn require_admin(Extension(user): Extension<User>, req: Request, next: Next) -> Response {
    if user.0 == "root" {
        next.run(req).await
    } else {
        StatusCode::FORBIDDEN.into_response()
    }
}

use waypost::IntoResponse;

#[get("/me")]
async fn me(Extension(user): Extension<User>) -> String {
    user.0
}

#[post("/admin/reset")]
async fn reset(Extension(user): Extension<User>) -> String {
    format!("reset by {}", user.0)
}

#[tokio::test]
async fn extensions_pass_from_middleware_to_handlers_and_other_middleware() {
    let client = TestClient::new(
        App::new().group(
            Group::new("/")
                .wrap(authenticate)
                .mount("/", routes![me])
                .group(
                    Group::new("/")
                        .wrap(require_admin)
                        .mount("/", routes![reset]),
                ),
        ),
    );
    let response = client.get("/me").header("x-user", "ada").send().await;
    assert_eq!(response.text(), "ada");
    assert_problem(&client.get("/me").send().await, 401);
    let response = client
        .post("/admin/reset")
        .header("x-user", "ada")
        .send()
        .await;
    assert_eq!(response.status(), 403);
    let response = client
        .post("/admin/reset")
        .header("x-user", "root")
        .send()
        .await;
    assert_eq!(response.text(), "reset by root");
}

#[test]
fn a_handler_taking_an_extension_nobody_provides_is_refused_at_build() {
    let error = App::new()
        .mount("/", routes![me])
        .build()
        .err()
        .expect("no provider of User");
    match &error {
        BuildError::MissingExtension {
            handler,
            middleware,
            type_name,
            location,
        } => {
            assert!(handler.ends_with("::me"), "{handler}");
            assert_eq!(*middleware, None);
            assert!(type_name.ends_with("User"), "{type_name}");
            assert!(location.contains("middleware.rs:"), "{location}");
        }
        other => panic!("expected a missing extension, got {other:?}"),
    }
    assert!(error.to_string().contains("provides = "), "{error}");

    // A provider after the taker does not count: order matters.
    let error = App::new()
        .group(
            Group::new("/")
                .wrap(require_admin)
                .wrap(authenticate)
                .mount("/", routes![reset]),
        )
        .build()
        .err()
        .expect("provider comes too late");
    assert!(
        matches!(&error, BuildError::MissingExtension { middleware: Some(name), .. } if name.contains("require_admin")),
        "{error:?}"
    );

    // `App::routes` runs the same checks without consuming the app.
    assert!(matches!(
        App::new().mount("/", routes![me]).routes(),
        Err(BuildError::MissingExtension { .. })
    ));

    // A provider at app scope counts for every route.
    assert!(App::new()
        .wrap(authenticate)
        .mount("/", routes![me])
        .build()
        .is_ok());
}

#[tokio::test]
async fn a_declared_extension_that_was_not_inserted_answers_500() {
    let client = TestClient::new(App::new().wrap(forgets_to_insert).mount("/", routes![me]));
    let body = assert_problem(&client.get("/me").send().await, 500);
    // What is missing is for the log, not the client.
    assert!(!body.to_string().contains("User"), "{body}");
}

#[middleware]
async fn explode(req: Request, next: Next) -> Response {
    if req.headers().contains_key("x-explode") {
        panic!("middleware blew up");
    }
    next.run(req).await
}

#[get("/panics")]
async fn panics() -> &'static str {
    panic!("handler blew up")
}

#[tokio::test]
async fn panics_answer_500_and_the_connection_stays_usable() {
    let addr = common::spawn(App::new().wrap(explode).mount("/", routes![panics, open])).await;
    let mut connection = Connection::open(addr).await;
    for request in [
        &b"GET /panics HTTP/1.1\r\nhost: x\r\n\r\n"[..],
        b"GET /open HTTP/1.1\r\nhost: x\r\nx-explode: 1\r\n\r\n",
    ] {
        connection.send(request).await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, 500);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        // The next request on the same connection is served.
        connection
            .send(b"GET /open HTTP/1.1\r\nhost: x\r\n\r\n")
            .await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"open");
    }
}

#[get("/users")]
async fn users() -> &'static str {
    "users"
}

#[get("/")]
async fn root() -> &'static str {
    "root"
}

#[tokio::test]
async fn trailing_slashes_are_strict_unless_redirects_are_asked_for() {
    for prefix in ["/", "/api", "/api/"] {
        let app = || App::new().group(Group::new(prefix).mount("/", routes![users, root]));
        let base = prefix.trim_end_matches('/');
        let strict = TestClient::new(app());
        assert_eq!(
            strict.get(&format!("{base}/users")).send().await.status(),
            200
        );
        assert_problem(&strict.get(&format!("{base}/users/")).send().await, 404);

        let lenient = TestClient::new(app().redirect_trailing_slash(true));
        let response = lenient.get(&format!("{base}/users/?page=2")).send().await;
        assert_eq!(response.status(), 308, "prefix {prefix}");
        assert_eq!(
            response.header("location"),
            Some(format!("{base}/users?page=2").as_str())
        );
        // A path that does not exist without its slash either is still a 404.
        assert_problem(&lenient.get(&format!("{base}/nope/")).send().await, 404);
    }
}

#[tokio::test]
async fn recover_can_be_turned_off_for_the_app_and_wrapped_on_a_group() {
    use waypost::middleware::Recover;
    let addr = common::spawn(
        App::new().recover(false).mount("/", routes![open]).group(
            Group::new("/guarded")
                .wrap(Recover::new())
                .mount("/", routes![panics]),
        ),
    )
    .await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /guarded/panics HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 500);
    connection
        .send(b"GET /open HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(connection.read_response(false).await.status, 200);
}

#[tokio::test]
async fn recover_wrapped_after_request_id_gives_the_500_of_a_middleware_panic_its_id() {
    use waypost::middleware::{Recover, RequestId};
    // The id a 500 for a panic in `explode` carries, with or without a Recover after RequestId.
    let id_of_the_500 = async |recover_inside: bool| {
        let mut app = App::new().wrap(RequestId::new());
        if recover_inside {
            app = app.wrap(Recover::new());
        }
        let client = TestClient::new(app.wrap(explode).mount("/", routes![open]));
        let response = client
            .get("/open")
            .header("x-explode", "1")
            .header("x-request-id", "trace-me")
            .send()
            .await;
        assert_problem(&response, 500);
        response.header("x-request-id").map(str::to_owned)
    };
    assert_eq!(id_of_the_500(true).await.as_deref(), Some("trace-me"));
    // With only the app-wide guard, outermost, the panic unwinds past RequestId.
    assert_eq!(id_of_the_500(false).await, None);
}

#[get("/maybe-me")]
async fn maybe_me(user: Option<Extension<User>>) -> String {
    user.map_or_else(|| "nobody".to_owned(), |Extension(user)| user.0)
}

#[tokio::test]
async fn an_optional_extension_needs_no_provider() {
    let client = TestClient::new(App::new().mount("/", routes![maybe_me]));
    assert_eq!(client.get("/maybe-me").send().await.text(), "nobody");
    let client = TestClient::new(App::new().wrap(authenticate).mount("/", routes![maybe_me]));
    let response = client.get("/maybe-me").header("x-user", "ada").send().await;
    assert_eq!(response.text(), "ada");
}

#[middleware]
async fn rewrite_query(mut req: Request, next: Next) -> Response {
    // A new URI with the same path: parameters must still be read from it.
    let uri: waypost::Uri = format!("{}?rewritten=1", req.uri().path()).parse().unwrap();
    *req.parts_mut().head_mut() = {
        let mut head = req.parts().head().clone();
        head.uri = uri;
        head
    };
    next.run(req).await
}

#[get("/rewritten/<id>", wrap = [rewrite_query])]
async fn rewritten(id: u32, uri: waypost::Uri) -> String {
    format!("{id} {}", uri.query().unwrap_or_default())
}

#[tokio::test]
async fn parameters_survive_a_middleware_that_replaces_the_uri() {
    let client = TestClient::new(App::new().mount("/", routes![rewritten]));
    let response = client.get("/rewritten/41").send().await;
    assert_eq!(response.text(), "41 rewritten=1");
}

/// Waits (a timer, then a task's answer) before and after the rest of the chain.
#[middleware]
async fn waits(req: Request, next: Next) -> Response {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let answer = tokio::spawn(async { "woken" }).await.unwrap();
    let mut response = next.run(req).await;
    tokio::task::yield_now().await;
    response
        .headers_mut()
        .insert("x-waited", waypost::http::HeaderValue::from_static(answer));
    response
}

#[waypost::get("/waits")]
async fn after_waiting() -> &'static str {
    "done"
}

/// Passes the request on at once: the handler runs in the first poll.
#[middleware]
async fn passes(req: Request, next: Next) -> Response {
    next.run(req).await
}

#[waypost::get("/panics/<n>")]
async fn panics_on_odd(n: u32) -> String {
    assert!(n % 2 == 0, "odd stream {n}");
    n.to_string()
}

/// A chain that waits is run ahead by the server as far as it goes, then
/// woken like any other: keep-alive requests that wait all get answered.
#[tokio::test]
async fn middleware_that_waits_is_woken_after_the_server_ran_it_ahead() {
    let addr = common::spawn(App::new().wrap(waits).mount("/", routes![after_waiting])).await;
    let mut connection = Connection::open(addr).await;
    for _ in 0..20 {
        let response = connection.get("/waits").await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"done");
        assert_eq!(response.header("x-waited"), Some("woken"));
    }
}

/// Over HTTP/2 a panicking stream behind middleware, with panics not
/// caught, ends that stream alone: the others on the connection answer.
#[tokio::test]
async fn an_http2_stream_that_panics_behind_middleware_ends_alone() {
    use http_body_util::{BodyExt, Full};

    let app = App::new()
        .recover(false)
        .wrap(passes)
        .mount("/", routes![panics_on_odd]);
    let addr = common::spawn(app).await;
    let (sender, driver) = common::h2_connect(addr).await;
    let tasks: Vec<_> = (0..8u32)
        .map(|n| {
            let mut sender = sender.clone();
            tokio::spawn(async move {
                let request = waypost::http::Request::get(format!("http://{addr}/panics/{n}"))
                    .body(Full::new(waypost::Bytes::new()))
                    .unwrap();
                match sender.send_request(request).await {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.into_body().collect().await.map(|b| b.to_bytes());
                        (n, Some(status), body.ok())
                    }
                    Err(_) => (n, None, None),
                }
            })
        })
        .collect();
    for task in tasks {
        let (n, status, body) = tokio::time::timeout(common::STEP, task)
            .await
            .expect("an h2 request timed out")
            .unwrap();
        if n % 2 == 0 {
            assert_eq!(status, Some(waypost::StatusCode::OK), "stream {n}");
            assert_eq!(body.unwrap(), n.to_string().as_bytes());
        } else {
            assert_ne!(status, Some(waypost::StatusCode::OK), "stream {n}");
        }
    }
    driver.abort();
}

/// Runs the rest of the chain on a task of its own, which may run on
/// another thread: the futures placed in the request's frame go with it.
#[middleware]
async fn elsewhere(req: Request, next: Next) -> Response {
    tokio::spawn(next.run(req)).await.unwrap()
}

#[get("/elsewhere/<n>")]
async fn numbered(n: u32, headers: HeaderMap) -> String {
    format!("{n}:{}", headers["x-in"].to_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_of_a_chain_may_run_on_another_task() {
    let app = App::new()
        .wrap(app_a)
        .wrap(elsewhere)
        .mount("/", routes![numbered]);
    let route_chain = Group::new("/g").wrap(outer).wrap(elsewhere).wrap(inner);
    let addr = common::spawn(app.group(route_chain.mount("/", routes![numbered]))).await;
    let clients: Vec<_> = (0..4)
        .map(|client| {
            tokio::spawn(async move {
                let mut connection = Connection::open(addr).await;
                for n in 0..25 {
                    let (path, trail) = if n % 2 == 0 {
                        ("/elsewhere", "app_a")
                    } else {
                        ("/g/elsewhere", "app_a,outer,inner")
                    };
                    let response = connection.get(&format!("{path}/{n}")).await;
                    assert_eq!(response.status, 200, "client {client}, request {n}");
                    assert_eq!(response.body, format!("{n}:{trail}").as_bytes());
                }
            })
        })
        .collect();
    for client in clients {
        tokio::time::timeout(common::STEP, client)
            .await
            .expect("a client timed out")
            .unwrap();
    }
}

#[derive(Clone)]
struct Tag(&'static str);

/// Inserts a `Tag` when the query says `tag`; touches the extensions either way.
#[middleware]
async fn tags_when_asked(mut req: Request, next: Next) -> Response {
    let asked = req.uri().query() == Some("tag");
    let extensions = req.extensions_mut();
    if asked {
        extensions.insert(Tag("set"));
    }
    next.run(req).await
}

#[get("/tag")]
async fn tag(tag: Option<Extension<Tag>>) -> &'static str {
    tag.map_or("none", |Extension(Tag(text))| text)
}

/// A request's extension map is reused by a later request once cleared:
/// nothing one request inserted is seen by the next.
#[tokio::test]
async fn one_requests_extensions_are_never_seen_by_the_next() {
    let addr = common::spawn(App::new().wrap(tags_when_asked).mount("/", routes![tag])).await;
    let mut connection = Connection::open(addr).await;
    for n in 0..20 {
        let (path, expected) = if n % 3 == 0 {
            ("/tag?tag", "set")
        } else {
            ("/tag", "none")
        };
        let response = connection.get(path).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, expected.as_bytes(), "request {n}: {path}");
    }
}

/// Finishes on a thread of its own and wakes the waker of its *first* poll
/// only: a shortcut the `Future` contract does not allow, but common.
struct WakesFirstWaker {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    started: bool,
}

impl std::future::Future for WakesFirstWaker {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        use std::sync::atomic::Ordering;
        if self.done.load(Ordering::SeqCst) {
            return std::task::Poll::Ready(());
        }
        if !self.started {
            self.started = true;
            let (waker, done) = (cx.waker().clone(), self.done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                done.store(true, Ordering::SeqCst);
                waker.wake();
            });
        }
        std::task::Poll::Pending
    }
}

#[get("/first-waker")]
async fn keeps_first_waker() -> &'static str {
    WakesFirstWaker {
        done: Default::default(),
        started: false,
    }
    .await;
    "woken"
}

/// The server polls a chain behind middleware once as the request arrives,
/// before the connection's task does: a future that keeps the waker of
/// that first poll still gets its request answered, over HTTP/1.1.
#[tokio::test]
async fn a_future_that_keeps_its_first_waker_is_answered_behind_middleware() {
    let app = App::new()
        .wrap(passes)
        .mount("/", routes![keeps_first_waker]);
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    for _ in 0..5 {
        let response = connection.get("/first-waker").await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, b"woken");
    }
}
