//! tower interop and the built-ins made of tower-http layers: a tower layer
//! in a group, ordered with `wrap`; the app served by a tower stack; CORS
//! preflights; compression negotiation.

mod common;

use std::io::Read;

use common::{assert_problem, Connection};
use http::HeaderValue;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tower_http::set_header::SetResponseHeaderLayer;
use waypost::middleware::{Compression, Cors};
use waypost::{
    get, middleware, post, routes, App, BuildError, Group, HeaderMap, Method, Next, Request,
    Response, TestClient,
};

#[middleware]
async fn mark(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let seen = response
        .headers()
        .get("x-layer")
        .map(|v| format!("{},wrap", v.to_str().unwrap()))
        .unwrap_or_else(|| "wrap".into());
    response
        .headers_mut()
        .insert("x-layer", seen.parse().unwrap());
    response
}

#[get("/users/<id>")]
async fn user(id: u32, headers: HeaderMap) -> String {
    format!("{id} {}", headers.contains_key("x-request-id"))
}

#[get("/outside")]
async fn outside() -> &'static str {
    "outside"
}

#[tokio::test]
async fn a_tower_layer_in_a_group_runs_in_order_with_wrap_and_only_for_the_group() {
    let inner = SetResponseHeaderLayer::appending(
        http::header::HeaderName::from_static("x-layer"),
        HeaderValue::from_static("tower"),
    );
    let app = App::new().mount("/", routes![outside]).group(
        Group::new("/api")
            .layer(inner)
            .wrap(mark)
            .mount("/", routes![user]),
    );
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /api/users/5 HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    // The tower layer is outermost: it appends after `mark` set its value;
    // path parameters still parse after passing through it.
    let values: Vec<&str> = response
        .headers
        .iter()
        .filter(|(name, _)| name == "x-layer")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(values, ["wrap", "tower"]);
    assert_eq!(response.body, b"5 false");
    connection
        .send(b"GET /outside HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.header("x-layer"), None);
}

#[tokio::test]
async fn the_built_app_is_a_tower_service_served_by_another_stack() {
    let service = App::new().mount("/", routes![user]).build().unwrap();
    let stack = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            http::header::SERVER,
            HeaderValue::from_static("stacked"),
        ))
        .service(service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(stack))
            .await;
    });
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /users/9 HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("server"), Some("stacked"));
    assert_eq!(response.body, b"9 false");
    connection
        .send(b"GET /users/x HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(connection.read_response(false).await.status, 400);
}

#[post("/items")]
async fn create_item() -> &'static str {
    "created"
}

#[get("/items")]
async fn list_items() -> &'static str {
    "[]"
}

fn cors_client() -> TestClient {
    TestClient::new(
        App::new().mount("/", routes![outside]).group(
            Group::new("/api")
                .wrap(
                    Cors::new()
                        .allow_origin("https://app.example")
                        .allow_methods([Method::GET, Method::POST])
                        .allow_headers(["content-type"])
                        .allow_credentials(true)
                        .max_age(std::time::Duration::from_secs(600)),
                )
                .mount("/", routes![create_item, list_items]),
        ),
    )
}

#[tokio::test]
async fn cors_preflights_are_answered_without_reaching_handlers() {
    let client = cors_client();
    // (origin, requested method, requested headers) → allowed?
    let cases = [
        ("https://app.example", "POST", "content-type", true),
        ("https://app.example", "GET", "", true),
        ("https://evil.example", "POST", "content-type", false),
    ];
    for (origin, method, headers, allowed) in cases {
        let mut request = client
            .options("/api/items")
            .header("origin", origin)
            .header("access-control-request-method", method);
        if !headers.is_empty() {
            request = request.header("access-control-request-headers", headers);
        }
        let response = request.send().await;
        assert_eq!(
            response.status(),
            200,
            "{origin} {method}: {}",
            response.text()
        );
        assert!(response.text().is_empty(), "a preflight reached a handler");
        let allow_origin = response.header("access-control-allow-origin");
        if allowed {
            assert_eq!(allow_origin, Some(origin));
            assert_eq!(
                response.header("access-control-allow-credentials"),
                Some("true")
            );
            assert_eq!(response.header("access-control-max-age"), Some("600"));
            let methods = response.header("access-control-allow-methods").unwrap();
            assert!(methods.contains("POST"), "{methods}");
        } else {
            assert_eq!(allow_origin, None, "{origin}");
        }
        let vary = response
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",");
        assert!(vary.contains("origin"), "{vary}");
    }

    // A simple request from an allowed origin gets the header; from another, none.
    let response = client
        .get("/api/items")
        .header("origin", "https://app.example")
        .send()
        .await;
    assert_eq!(response.text(), "[]");
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let response = client
        .get("/api/items")
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(response.header("access-control-allow-origin"), None);

    // Outside the group, CORS does not apply: an OPTIONS is a 405.
    let response = client
        .options("/outside")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .send()
        .await;
    assert_problem(&response, 405);
}

#[test]
fn cors_credentials_with_any_origin_are_refused_when_the_app_is_built() {
    let error = App::new()
        .wrap(Cors::new().allow_origin("*").allow_credentials(true))
        .mount("/", routes![outside])
        .build()
        .err()
        .expect("refused");
    assert!(
        matches!(&error, BuildError::InvalidMiddleware { name: "Cors", .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("credentials"), "{error}");
}

#[get("/big")]
async fn big() -> String {
    "waypost compresses this line. ".repeat(200)
}

#[get("/tiny")]
async fn tiny() -> &'static str {
    "tiny"
}

#[get("/image")]
async fn image() -> ([(&'static str, &'static str); 1], Vec<u8>) {
    ([("content-type", "image/png")], vec![7; 4096])
}

#[get("/archive/<kind>")]
async fn archive(kind: String) -> ([(&'static str, String); 1], Vec<u8>) {
    (
        [("content-type", format!("application/{kind}"))],
        vec![7; 4096],
    )
}

#[get("/tagged")]
async fn tagged() -> ([(&'static str, &'static str); 1], String) {
    (
        [("etag", "\"v1\"")],
        "waypost compresses this line. ".repeat(200),
    )
}

#[get("/encoded")]
async fn encoded() -> ([(&'static str, &'static str); 2], Vec<u8>) {
    // A body the handler encoded itself (pretend gzip): left as it is.
    (
        [("content-encoding", "gzip"), ("etag", "\"own\"")],
        vec![7; 4096],
    )
}

#[tokio::test]
async fn compression_is_negotiated_and_skips_small_and_compressed_bodies() {
    let client = TestClient::new(
        App::new()
            .wrap(Compression::new())
            .mount("/", routes![big, tiny, image, archive, tagged, encoded]),
    );
    let expected = "waypost compresses this line. ".repeat(200);

    let response = client
        .get("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert!(response.bytes().len() < expected.len() / 10);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.bytes()[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, expected);

    for (accept, chosen) in [
        ("br", Some("br")),
        ("zstd", Some("zstd")),
        ("gzip;q=0.5, br;q=1.0", Some("br")),
        ("identity", None),
        ("", None),
    ] {
        let mut request = client.get("/big");
        if !accept.is_empty() {
            request = request.header("accept-encoding", accept);
        }
        let response = request.send().await;
        assert_eq!(response.header("content-encoding"), chosen, "{accept}");
        if chosen.is_none() {
            assert_eq!(response.text(), expected);
        }
    }

    for path in [
        "/tiny",
        "/image",
        "/archive/zip",
        "/archive/x-gzip",
        "/archive/x-7z-compressed",
        "/archive/vnd.rar",
        "/archive/x-xz",
    ] {
        let response = client
            .get(path)
            .header("accept-encoding", "gzip, br")
            .send()
            .await;
        assert_eq!(response.header("content-encoding"), None, "{path}");
    }

    // A strong ETag names the uncompressed bytes: compressed, it becomes weak;
    // what the handler encoded itself keeps its own validator.
    let accepting = |path: &'static str, accept: &'static str| {
        client.get(path).header("accept-encoding", accept).send()
    };
    for (path, accept, encoding, etag) in [
        ("/tagged", "gzip", Some("gzip"), "W/\"v1\""),
        ("/tagged", "identity", None, "\"v1\""),
        ("/encoded", "br", Some("gzip"), "\"own\""),
    ] {
        let response = accepting(path, accept).await;
        assert_eq!(
            response.header("content-encoding"),
            encoding,
            "{path} {accept}"
        );
        assert_eq!(response.header("etag"), Some(etag), "{path} {accept}");
    }
}

#[tokio::test]
async fn compression_over_tcp_streams_a_gzip_body_the_client_can_read() {
    let addr = common::spawn(App::new().wrap(Compression::new()).mount("/", routes![big])).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /big HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.body[..])
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "waypost compresses this line. ".repeat(200));
    // The connection is still usable, and without the header nothing is compressed.
    connection
        .send(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.body.len(), text.len());
}

#[tokio::test]
async fn a_cors_preflight_over_tcp_is_answered_by_the_group() {
    let app = App::new().group(
        Group::new("/api")
            .wrap(
                Cors::new()
                    .allow_origin("https://app.example")
                    .allow_methods([Method::POST]),
            )
            .mount("/", routes![create_item]),
    );
    let addr = common::spawn(app).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"OPTIONS /api/items HTTP/1.1\r\nhost: x\r\norigin: https://app.example\r\naccess-control-request-method: POST\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(response.body.is_empty());
}

#[waypost::options("/discover")]
async fn discover() -> &'static str {
    "own options"
}

#[tokio::test]
async fn an_options_route_under_cors_answers_requests_without_an_origin() {
    let client = TestClient::new(
        App::new()
            .wrap(api_cors())
            .mount("/", routes![discover, list_items]),
    );
    // Without an Origin it is no CORS request: the route answers.
    let response = client.options("/discover").send().await;
    assert_eq!(response.text(), "own options");
    assert_eq!(response.header("access-control-allow-origin"), None);
    // A preflight is answered by the Cors, on a path with or without an OPTIONS route.
    for path in ["/discover", "/items"] {
        let response = client
            .options(path)
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .send()
            .await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text(), "", "{path}");
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("https://app.example"),
            "{path}"
        );
    }
    // A cross-origin OPTIONS that is not a preflight (a browser sends it
    // after the preflight) reaches the route, and its answer carries the CORS headers.
    let response = client
        .options("/discover")
        .header("origin", "https://app.example")
        .send()
        .await;
    assert_eq!(response.text(), "own options");
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        response.header("vary").map(|vary| vary.contains("origin")),
        Some(true)
    );
    // Where no route takes OPTIONS, that is a 405 naming what the path allows.
    let response = client
        .options("/items")
        .header("origin", "https://app.example")
        .send()
        .await;
    assert_eq!(response.status(), 405);
    assert!(response
        .header("allow")
        .is_some_and(|allow| allow.contains("GET")));
}

fn api_cors() -> Cors {
    Cors::new()
        .allow_origin("https://app.example")
        .allow_methods([Method::GET, Method::POST])
}

/// Counts the requests that passed the group's own middleware.
#[middleware]
async fn counted(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    response
        .headers_mut()
        .insert("x-group", HeaderValue::from_static("post-group"));
    response
}

#[tokio::test]
async fn a_preflight_runs_the_chain_of_the_group_whose_route_it_asks_for() {
    // The path's GET is mounted outside any group (case 1), or in a sibling
    // group with a Cors of its own (case 2); its POST is in a group with
    // Cors. A preflight for POST must meet the POST group's Cors.
    let apps = [
        App::new().mount("/api", routes![list_items]).group(
            Group::new("/api")
                .wrap(api_cors())
                .wrap(counted)
                .mount("/", routes![create_item]),
        ),
        App::new()
            .group(
                Group::new("/api")
                    .wrap(api_cors())
                    .mount("/", routes![list_items]),
            )
            .group(
                Group::new("/api")
                    .wrap(api_cors())
                    .wrap(counted)
                    .mount("/", routes![create_item]),
            ),
    ];
    for (case, app) in apps.into_iter().enumerate() {
        let addr = common::spawn(app).await;
        let mut connection = Connection::open(addr).await;
        connection
            .send(b"OPTIONS /api/items HTTP/1.1\r\nhost: x\r\norigin: https://app.example\r\naccess-control-request-method: POST\r\n\r\n")
            .await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, 200, "case {case}");
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("https://app.example"),
            "case {case}"
        );
        // A 405 for a method nobody has runs what the routes share: nothing here.
        connection
            .send(b"DELETE /api/items HTTP/1.1\r\nhost: x\r\n\r\n")
            .await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, 405, "case {case}");
        assert_eq!(response.header("x-group"), None, "case {case}");
        // The POST itself runs its group's chain.
        connection
            .send(b"POST /api/items HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
            .await;
        let response = connection.read_response(false).await;
        assert_eq!(
            response.header("x-group"),
            Some("post-group"),
            "case {case}"
        );
    }
}

#[post("/a/items")]
async fn first_items() -> &'static str {
    "first"
}

#[post("/items")]
async fn second_items() -> &'static str {
    "second"
}

#[test]
fn routes_that_collide_across_groups_are_refused_when_built() {
    let error = App::new()
        .group(Group::new("/api").mount("/", routes![first_items]))
        .group(Group::new("/api/a").mount("/", routes![second_items]))
        .build()
        .err()
        .expect("a conflict");
    match &error {
        BuildError::Conflict {
            first_path,
            second_path,
            ..
        } => {
            assert_eq!(first_path, "/api/a/items");
            assert_eq!(second_path, "/api/a/items");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn cors_credentials_with_wildcard_headers_are_refused_not_a_panic() {
    let star = Method::from_bytes(b"*").unwrap();
    let policies = [
        Cors::new().allow_headers(["*"]),
        Cors::new().expose_headers(["*"]),
        Cors::new().allow_methods([Method::GET, star]),
    ];
    for policy in policies {
        let policy = policy
            .allow_origin("https://app.example")
            .allow_credentials(true);
        let error = App::new()
            .wrap(policy)
            .mount("/", routes![outside])
            .build()
            .err()
            .expect("refused");
        assert!(
            matches!(&error, BuildError::InvalidMiddleware { .. }),
            "{error:?}"
        );
    }
}

#[get("/sized/<n>")]
async fn sized(n: usize) -> String {
    "x".repeat(n)
}

#[tokio::test]
async fn compression_starts_at_the_minimum_size_exactly() {
    let client = TestClient::new(
        App::new()
            .wrap(Compression::new().min_size(64))
            .mount("/", routes![sized]),
    );
    let encoding = |n: usize| {
        let client = client.clone();
        async move {
            let response = client
                .get(&format!("/sized/{n}"))
                .header("accept-encoding", "gzip")
                .send()
                .await;
            response.header("content-encoding").map(str::to_owned)
        }
    };
    assert_eq!(encoding(63).await, None);
    assert_eq!(encoding(64).await.as_deref(), Some("gzip"));
}

#[tokio::test]
async fn a_tower_layer_at_app_scope_wraps_routing_404s_included() {
    let client = TestClient::new(
        App::new()
            .layer(SetResponseHeaderLayer::overriding(
                http::header::SERVER,
                HeaderValue::from_static("waypost-app-layer"),
            ))
            .mount("/", routes![user]),
    );
    let found = client.get("/users/3").send().await;
    assert_eq!(found.text(), "3 false");
    assert_eq!(found.header("server"), Some("waypost-app-layer"));
    let missing = client.get("/nowhere").send().await;
    assert_problem(&missing, 404);
    assert_eq!(missing.header("server"), Some("waypost-app-layer"));
}

#[tokio::test]
async fn head_has_the_headers_get_would_have_middleware_included() {
    let client = TestClient::new(App::new().wrap(Compression::new()).mount("/", routes![big]));
    let get = client
        .get("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    let head = client
        .head("/big")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(head.status(), 200);
    assert!(head.bytes().is_empty());
    for name in ["content-encoding", "vary", "content-type"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
}

/// Lets the test hold a request in its handler: `entered` counts those
/// that came in, and each waits for a permit of `gate`.
#[derive(Clone)]
struct Hold {
    entered: std::sync::Arc<tokio::sync::Semaphore>,
    gate: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Hold {
    fn new() -> Self {
        Hold {
            entered: std::sync::Arc::new(tokio::sync::Semaphore::new(0)),
            gate: std::sync::Arc::new(tokio::sync::Semaphore::new(0)),
        }
    }
}

#[get("/held")]
async fn held(waypost::State(hold): waypost::State<Hold>) -> &'static str {
    hold.entered.add_permits(1);
    let _permit = hold.gate.acquire().await;
    "let go"
}

#[tokio::test]
async fn tower_timeout_and_load_shed_errors_answer_503_not_500() {
    let timed = TestClient::new(
        App::new()
            .state(Hold::new())
            .layer(tower::timeout::TimeoutLayer::new(
                std::time::Duration::from_millis(20),
            ))
            .mount("/", routes![held]),
    );
    let response = tokio::time::timeout(common::STEP, timed.get("/held").send())
        .await
        .expect("the tower timeout fired");
    assert_problem(&response, 503);
    assert!(response.text().contains("longer than this server allows"));

    // One request at a time: a second while the first is held is shed.
    let hold = Hold::new();
    let addr = common::spawn(
        App::new()
            .state(hold.clone())
            .layer(
                tower::ServiceBuilder::new()
                    .load_shed()
                    .concurrency_limit(1)
                    .into_inner(),
            )
            .mount("/", routes![held]),
    )
    .await;
    let mut first = Connection::open(addr).await;
    first.send(b"GET /held HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let entered = tokio::time::timeout(common::STEP, hold.entered.acquire())
        .await
        .expect("the first request reached its handler");
    entered.expect("open").forget();
    let mut second = Connection::open(addr).await;
    second.send(b"GET /held HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let shed = second.read_response(false).await;
    assert_eq!(shed.status, 503);
    assert_eq!(
        shed.header("content-type"),
        Some("application/problem+json")
    );
    hold.gate.add_permits(1);
    assert_eq!(first.read_response(false).await.status, 200);
}

#[tokio::test]
async fn a_tower_layer_on_a_group_keeps_one_state_for_all_its_routes() {
    let hold = Hold::new();
    let addr = common::spawn(
        App::new()
            .state(hold.clone())
            .mount("/", routes![outside])
            .group(
                Group::new("/g")
                    .layer(
                        tower::ServiceBuilder::new()
                            .load_shed()
                            .concurrency_limit(1)
                            .into_inner(),
                    )
                    .mount("/", routes![held, outside]),
            ),
    )
    .await;
    let mut first = Connection::open(addr).await;
    first.send(b"GET /g/held HTTP/1.1\r\nhost: x\r\n\r\n").await;
    tokio::time::timeout(common::STEP, hold.entered.acquire())
        .await
        .expect("the first request reached its handler")
        .expect("open")
        .forget();
    // The group's one slot is taken: its other route is shed too; outside it nothing is.
    let mut second = Connection::open(addr).await;
    for (request, status) in [
        (&b"GET /g/outside HTTP/1.1\r\nhost: x\r\n\r\n"[..], 503),
        (b"GET /outside HTTP/1.1\r\nhost: x\r\n\r\n", 200),
    ] {
        second.send(request).await;
        assert_eq!(second.read_response(false).await.status, status);
    }
    hold.gate.add_permits(1);
    assert_eq!(first.read_response(false).await.status, 200);
    second
        .send(b"GET /g/outside HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(second.read_response(false).await.status, 200);
}

#[tokio::test]
async fn each_built_app_makes_its_own_tower_services() {
    let hold = Hold::new();
    let group = Group::new("/g")
        .layer(
            tower::ServiceBuilder::new()
                .load_shed()
                .concurrency_limit(1)
                .into_inner(),
        )
        .mount("/", routes![held, outside]);
    let app = || App::new().state(hold.clone()).group(group.clone());
    // A check of the table first, then two servers of apps sharing the group.
    app().routes().expect("the app builds");
    let first_addr = common::spawn(app()).await;
    let second_addr = common::spawn(app()).await;
    let mut first = Connection::open(first_addr).await;
    first.send(b"GET /g/held HTTP/1.1\r\nhost: x\r\n\r\n").await;
    tokio::time::timeout(common::STEP, hold.entered.acquire())
        .await
        .expect("the first request reached its handler")
        .expect("open")
        .forget();
    // The first server's one slot is taken; the second's is not.
    let mut second = Connection::open(second_addr).await;
    second
        .send(b"GET /g/outside HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(second.read_response(false).await.status, 200);
    let mut again = Connection::open(first_addr).await;
    again
        .send(b"GET /g/outside HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    assert_eq!(again.read_response(false).await.status, 503);
    hold.gate.add_permits(1);
    assert_eq!(first.read_response(false).await.status, 200);
}

#[get("/cors-a", wrap = [Cors::new().allow_origin("https://a.example")])]
async fn cors_a() -> &'static str {
    "a"
}

#[get("/cors-b", wrap = [Cors::new().allow_origin("https://b.example")])]
async fn cors_b() -> &'static str {
    "b"
}

#[tokio::test]
async fn routes_with_their_own_tower_made_layers_keep_their_own() {
    let client = TestClient::new(App::new().mount("/", routes![cors_a, cors_b]));
    for (path, origin, allowed) in [
        ("/cors-a", "https://a.example", true),
        ("/cors-a", "https://b.example", false),
        ("/cors-b", "https://b.example", true),
        ("/cors-b", "https://a.example", false),
    ] {
        let response = client.get(path).header("origin", origin).send().await;
        assert_eq!(
            response.header("access-control-allow-origin"),
            allowed.then_some(origin),
            "{path} from {origin}"
        );
    }
}
