//! Tuples of `#[middleware]` wrapped together (`.wrap((a, b, c))`): one
//! future composed at compile time, which must behave exactly like the same
//! middleware wrapped one by one: order, short-circuit, extensions and the
//! build checks, state, panics.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::auth::{authenticate, User};
use common::{assert_problem, Connection};
use waypost::middleware::Rest;
use waypost::{
    get, middleware, routes, App, BuildError, Extension, Group, HeaderMap, Next, Problem, Request,
    Response, State, StatusCode, TestClient,
};

/// Appends `name` to the header `header` of `headers`.
fn append(headers: &mut HeaderMap, header: &'static str, name: &str) {
    let value = match headers.get(header) {
        Some(seen) => format!("{},{name}", seen.to_str().unwrap()),
        None => name.to_owned(),
    };
    headers.insert(header, value.parse().unwrap());
}

/// Middleware that append their name to `x-in` on the way in and to `x-out`
/// on the way out, using `next` only to run it (so they compose).
macro_rules! tracing_middleware {
    ($($name:ident),*) => {$(
        #[middleware]
        async fn $name(mut req: Request, next: Next) -> Response {
            append(req.headers_mut(), "x-in", stringify!($name));
            let mut response = next.run(req).await;
            append(response.headers_mut(), "x-out", stringify!($name));
            response
        }
    )*};
}

tracing_middleware!(app_a, app_b, outer, inner, route_a, route_b);

#[get("/stats/<id>", wrap = [(route_a, route_b)])]
async fn stats(id: u32, headers: HeaderMap) -> String {
    format!("{id}:{}", headers["x-in"].to_str().unwrap())
}

#[tokio::test]
async fn tuples_run_in_the_order_written_at_every_scope_over_tcp() {
    let app = App::new().wrap((app_a, app_b)).group(
        Group::new("/api")
            .wrap((outer, inner))
            .mount("/", routes![stats]),
    );
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    for _ in 0..2 {
        let response = connection.get("/api/stats/7").await;
        assert_eq!(response.status, 200);
        assert_eq!(
            String::from_utf8(response.body.clone()).unwrap(),
            "7:app_a,app_b,outer,inner,route_a,route_b"
        );
        assert_eq!(
            response.header("x-out"),
            Some("route_b,route_a,inner,outer,app_b,app_a")
        );
    }
    // A 404 passes through the app's tuple too.
    let response = connection.get("/nowhere").await;
    assert_eq!(response.status, 404);
    assert_eq!(response.header("x-out"), Some("app_b,app_a"));
}

#[tokio::test]
async fn a_tuple_and_the_same_middleware_wrapped_one_by_one_answer_alike() {
    let one_by_one = TestClient::new(
        App::new()
            .wrap(app_a)
            .wrap((app_b, outer))
            .wrap(inner)
            .mount("/", routes![stats]),
    );
    let tuple = TestClient::new(
        App::new()
            .wrap((app_a, app_b, outer, inner))
            .mount("/", routes![stats]),
    );
    for client in [one_by_one, tuple] {
        let response = client.get("/stats/3").send().await;
        assert_eq!(response.text(), "3:app_a,app_b,outer,inner,route_a,route_b");
        assert_eq!(
            response.header("x-out"),
            Some("route_b,route_a,inner,outer,app_b,app_a")
        );
    }
}

#[middleware]
async fn deny(req: Request, next: Next) -> Result<Response, Problem> {
    if req.headers().contains_key("authorization") {
        Ok(next.run(req).await)
    } else {
        Err(Problem::new(StatusCode::UNAUTHORIZED).with_detail("log in first"))
    }
}

#[get("/items/<id>")]
async fn item(id: u64) -> String {
    id.to_string()
}

#[tokio::test]
async fn a_middleware_in_a_tuple_answers_without_running_the_rest() {
    let client = TestClient::new(
        App::new()
            .wrap((app_a, deny, app_b))
            .mount("/", routes![item]),
    );
    // Denied before `app_b` and before `<id>` is parsed.
    let response = client.get("/items/not-a-number").send().await;
    let body = assert_problem(&response, 401);
    assert_eq!(body["detail"], "log in first");
    assert_eq!(response.header("x-out"), Some("app_a"));

    let response = client
        .get("/items/12")
        .header("authorization", "x")
        .send()
        .await;
    assert_eq!(response.text(), "12");
    assert_eq!(response.header("x-out"), Some("app_b,app_a"));
}

#[middleware]
async fn require_root(Extension(user): Extension<User>, req: Request, next: Next) -> Response {
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

#[tokio::test]
async fn an_extension_provided_in_a_tuple_reaches_the_middleware_after_it_and_the_handler() {
    let client = TestClient::new(
        App::new()
            .wrap((authenticate, require_root))
            .mount("/", routes![me]),
    );
    let response = client.get("/me").header("x-user", "root").send().await;
    assert_eq!(response.text(), "root");
    assert_eq!(
        client
            .get("/me")
            .header("x-user", "ada")
            .send()
            .await
            .status(),
        403
    );
    assert_problem(&client.get("/me").send().await, 401);
}

#[test]
fn the_build_checks_each_middleware_of_a_tuple_in_its_place() {
    // The provider after the taker, inside one tuple: refused, naming the taker.
    let error = App::new()
        .wrap((require_root, authenticate))
        .mount("/", routes![me])
        .build()
        .err()
        .expect("the provider comes too late");
    assert!(
        matches!(
            &error,
            BuildError::MissingExtension {
                middleware: Some("require_root"),
                ..
            }
        ),
        "{error:?}"
    );

    // A state that a middleware of a tuple takes must be given.
    let error = App::new()
        .wrap((app_a, count_requests))
        .mount("/", routes![item])
        .build()
        .err()
        .expect("no counter state");
    assert!(
        matches!(
            &error,
            BuildError::MissingState {
                middleware: Some("count_requests"),
                ..
            }
        ),
        "{error:?}"
    );
}

#[middleware]
async fn count_requests(
    State(count): State<Arc<AtomicUsize>>,
    req: Request,
    next: Next,
) -> Response {
    count.fetch_add(1, Ordering::SeqCst);
    next.run(req).await
}

#[tokio::test]
async fn a_middleware_with_state_counts_in_a_tuple() {
    let count = Arc::new(AtomicUsize::new(0));
    let client = TestClient::new(
        App::new()
            .state(count.clone())
            .wrap((count_requests, app_a))
            .mount("/", routes![item]),
    );
    for id in 0..3 {
        assert_eq!(
            client.get(&format!("/items/{id}")).send().await.text(),
            id.to_string()
        );
    }
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[get("/panics")]
async fn panics() -> &'static str {
    panic!("the handler failed")
}

#[middleware]
async fn panics_on_the_way_in(req: Request, next: Next) -> Response {
    if req.uri().query() == Some("boom") {
        panic!("the middleware failed");
    }
    next.run(req).await
}

#[tokio::test]
async fn panics_in_a_tuple_answer_500_and_the_connection_serves_the_next_request() {
    let app = App::new()
        .wrap((app_a, panics_on_the_way_in, app_b))
        .mount("/", routes![panics, item]);
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    let response = connection.get("/items/1?boom").await;
    assert_eq!(response.status, 500);
    let response = connection.get("/panics").await;
    assert_eq!(response.status, 500);
    let response = connection.get("/items/2").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"2");
}

/// Passes the rest of the chain to a helper; composes because both take `Next<impl Rest>`.
#[middleware]
async fn via_helper(req: Request, next: Next<impl Rest>) -> Response {
    helper(req, next).await
}

async fn helper(mut req: Request, next: Next<impl Rest>) -> Response {
    append(req.headers_mut(), "x-in", "helper");
    let mut response = next.run(req).await;
    append(response.headers_mut(), "x-out", "helper");
    response
}

#[tokio::test]
async fn a_middleware_that_passes_a_generic_next_on_composes_in_its_place() {
    let client = TestClient::new(
        App::new()
            .wrap((app_a, via_helper, app_b))
            .mount("/", routes![stats]),
    );
    let response = client.get("/stats/5").send().await;
    assert_eq!(response.text(), "5:app_a,helper,app_b,route_a,route_b");
    assert_eq!(
        response.header("x-out"),
        Some("route_b,route_a,app_b,helper,app_a")
    );
}
