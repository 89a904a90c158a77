//! Routing: 404, 405 with Allow, HEAD, static-over-parameter, multi-method routes,
//! mount prefixes, the route listing, and what `App::build` refuses.

mod common;

use common::assert_problem;
use waypost::{
    delete, get, head, options, patch, post, put, route, routes, App, BuildError, Method, State,
    TestClient,
};

#[get("/users/me")]
async fn me() -> &'static str {
    "me"
}

#[get("/users/<id>")]
async fn user(id: u64) -> String {
    format!("user {id}")
}

#[delete("/users/<name>")]
async fn delete_user(name: String) -> String {
    format!("deleted {name}")
}

#[post("/users")]
async fn create() -> &'static str {
    "created"
}

#[put("/users/<id>")]
async fn replace(id: u32) -> String {
    format!("put {id}")
}

#[patch("/users/<id>")]
async fn update(id: u32) -> String {
    format!("patch {id}")
}

#[route("/items", method = "GET", method = "POST")]
async fn items(method: Method) -> String {
    format!("items via {method}")
}

#[head("/probe")]
async fn probe_head() -> (waypost::StatusCode, [(&'static str, &'static str); 1], ()) {
    (waypost::StatusCode::OK, [("x-probe", "head")], ())
}

#[get("/probe")]
async fn probe_get() -> &'static str {
    "probe body"
}

#[options("/probe")]
async fn probe_options() -> ([(&'static str, &'static str); 1], ()) {
    ([("allow", "GET, HEAD, OPTIONS")], ())
}

#[get("/")]
async fn root() -> &'static str {
    "root"
}

fn client() -> TestClient {
    TestClient::new(App::new().mount(
        "/",
        routes![
            me,
            user,
            delete_user,
            create,
            replace,
            update,
            items,
            probe_head,
            probe_get,
            probe_options,
            root
        ],
    ))
}

#[tokio::test]
async fn unknown_path_is_404_problem() {
    let body = assert_problem(&client().get("/nowhere").send().await, 404);
    assert!(body["detail"].as_str().unwrap().contains("/nowhere"));
    // Built-in problems all have the same members: no `instance` on any.
    assert!(body.get("instance").is_none(), "{body}");
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let response = client().post("/users/7").send().await;
    let body = assert_problem(&response, 405);
    assert_eq!(
        response.header("allow"),
        Some("GET, PUT, PATCH, DELETE, HEAD")
    );
    assert!(body["detail"].as_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn methods_are_routed_to_their_handlers() {
    let client = client();
    assert_eq!(client.get("/users/7").send().await.text(), "user 7");
    assert_eq!(client.put("/users/7").send().await.text(), "put 7");
    assert_eq!(client.patch("/users/7").send().await.text(), "patch 7");
    // Same path shape, another parameter name, another method: both serve.
    assert_eq!(
        client.delete("/users/ada").send().await.text(),
        "deleted ada"
    );
    assert_eq!(client.post("/users").send().await.text(), "created");
}

#[tokio::test]
async fn static_segment_wins_over_parameter() {
    assert_eq!(client().get("/users/me").send().await.text(), "me");
}

#[tokio::test]
async fn route_attribute_serves_each_listed_method() {
    let client = client();
    assert_eq!(client.get("/items").send().await.text(), "items via GET");
    assert_eq!(client.post("/items").send().await.text(), "items via POST");
    let response = client.delete("/items").send().await;
    assert_problem(&response, 405);
    assert_eq!(response.header("allow"), Some("GET, POST, HEAD"));
}

#[tokio::test]
async fn head_is_answered_by_get_without_body_but_with_its_length() {
    let response = client().head("/users/12345").send().await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().is_empty());
    assert_eq!(response.header("content-length"), Some("10"));
    assert_eq!(response.content_type(), Some("text/plain; charset=utf-8"));
}

#[tokio::test]
async fn explicit_head_and_options_handlers_take_precedence() {
    let client = client();
    let response = client.head("/probe").send().await;
    assert_eq!(response.header("x-probe"), Some("head"));
    let response = client.options("/probe").send().await;
    assert_eq!(response.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[tokio::test]
async fn root_route() {
    assert_eq!(client().get("/").send().await.text(), "root");
}

#[tokio::test]
async fn mount_prefixes_apply_to_every_route() {
    let client = TestClient::new(
        App::new()
            .mount("/api/v1", routes![user, root])
            .mount("/", routes![me]),
    );
    assert_eq!(client.get("/api/v1/users/3").send().await.text(), "user 3");
    assert_eq!(client.get("/api/v1").send().await.text(), "root");
    assert_eq!(client.get("/users/me").send().await.text(), "me");
    assert_problem(&client.get("/users/3").send().await, 404);
}

#[test]
fn routes_lists_method_path_handler_and_location() {
    let app = App::new().mount("/api", routes![user, items]);
    let table = app.routes().unwrap();
    let rows: Vec<_> = table
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.handler.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("GET", "/api/users/<id>", "routing::user"),
            ("GET", "/api/items", "routing::items"),
            ("POST", "/api/items", "routing::items"),
            ("GET", "/healthz", "waypost::health::liveness"),
            ("GET", "/readyz", "waypost::health::readiness"),
        ]
    );
    assert_eq!(table[3].location, "built in");
    assert!(
        table[0].location.starts_with("tests/routing.rs:"),
        "{}",
        table[0].location
    );
    let line: u32 = table[0]
        .location
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(line, 17, "the line of #[get(\"/users/<id>\")]");
    assert!(table[0]
        .to_string()
        .contains("/api/users/<id> -> routing::user"));
}

mod other {
    #[waypost::get("/users/<name>")]
    pub async fn user_by_name(name: String) -> String {
        name
    }
}

#[test]
fn conflicts_across_route_lists_name_both_handlers_when_built() {
    let error = App::new()
        .mount("/", routes![user])
        .mount("/", routes![other::user_by_name])
        .build()
        .err()
        .expect("conflicting routes must not build");
    match &error {
        BuildError::Conflict {
            method,
            first,
            second,
            ..
        } => {
            assert_eq!(method, Method::GET);
            assert!(
                first.contains("routing::user") && first.contains("tests/routing.rs:17"),
                "{first}"
            );
            assert!(second.contains("routing::other::user_by_name"), "{second}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("/users/<name>") && message.contains("/users/<id>"),
        "{message}"
    );
}

#[test]
fn conflicts_appear_once_prefixes_are_joined() {
    mod nested {
        #[waypost::get("/<id>")]
        pub async fn by_id(id: u64) -> String {
            id.to_string()
        }
    }
    let error = App::new()
        .mount("/", routes![user])
        .mount("/users", routes![nested::by_id])
        .build()
        .err()
        .expect("/users + /<id> collides with /users/<id>");
    assert!(matches!(error, BuildError::Conflict { .. }), "{error}");
    // Under another prefix they do not collide.
    assert!(App::new()
        .mount("/", routes![user])
        .mount("/people", routes![nested::by_id])
        .build()
        .is_ok());
}

#[test]
fn conflict_reports_show_prefixes_as_written() {
    mod cafe {
        #[waypost::get("/café/x")]
        pub async fn whole() {}

        #[waypost::get("/x")]
        pub async fn under_prefix() {}
    }
    let error = App::new()
        .mount("/", routes![cafe::whole])
        .mount("/café", routes![cafe::under_prefix])
        .build()
        .err()
        .expect("/café + /x collides with /café/x");
    let message = error.to_string();
    assert_eq!(message.matches("GET /café/x").count(), 2, "{message}");
    assert!(!message.contains("%C3"), "{message}");
    // Listed as written too, and served in normal form.
    let app = App::new().mount("/café", routes![cafe::under_prefix]);
    let built = app.build().expect("builds");
    assert!(built.routes().iter().any(|route| route.path == "/café/x"));
}

mod files {
    #[waypost::get("/files/<name>")]
    pub async fn file(name: String) -> String {
        name
    }

    #[waypost::delete("/files/<rest..>")]
    pub async fn delete_tree(rest: std::path::PathBuf) -> String {
        rest.display().to_string()
    }

    #[waypost::get("/files/<name>/meta")]
    pub async fn meta(name: String) -> String {
        name
    }
}

#[test]
fn a_parameter_beside_a_catch_all_is_refused_whatever_the_methods() {
    // One route list refuses this at compile time (ui-tests/fail/routes-conflict-param-catch-all.rs);
    // across lists, `App::build` applies the same rule, before the router sees the paths.
    for second in [routes![files::delete_tree], routes![files::meta]] {
        let built = App::new()
            .mount("/", routes![files::file])
            .mount("/", second)
            .build();
        if std::ptr::eq(second, routes![files::meta]) {
            assert!(built.is_ok(), "a literal after the parameter is fine");
            continue;
        }
        let error = built
            .err()
            .expect("a parameter beside a catch-all must not build");
        let message = error.to_string();
        match &error {
            BuildError::ParameterBesideCatchAll {
                first_path,
                second_path,
                ..
            } => {
                assert_eq!(first_path, "/files/<name>");
                assert_eq!(second_path, "/files/<rest..>");
            }
            other => panic!("expected a parameter beside a catch-all, got {other:?}"),
        }
        assert!(
            message.contains("files::file") && message.contains("files::delete_tree"),
            "{message}"
        );
        assert!(
            !message.contains("{p0}"),
            "the user's syntax, not the router's: {message}"
        );
    }
    // Joined under a prefix, the same rule applies to the full paths.
    mod under {
        #[waypost::get("/<name>")]
        pub async fn name(name: String) -> String {
            name
        }
    }
    let error = App::new()
        .mount("/files", routes![under::name])
        .mount("/", routes![files::delete_tree])
        .build()
        .err()
        .expect("/files + /<name> sits beside /files/<rest..>");
    assert!(
        error.to_string().contains("`/files/<name>`"),
        "the full path, prefix joined: {error}"
    );
}

#[derive(Clone)]
struct Db;

#[get("/db")]
async fn needs_db(State(_db): State<Db>) {}

#[get("/maybe-db")]
async fn maybe_db(_db: Option<State<Db>>) {}

#[test]
fn missing_state_is_reported_when_built_naming_handler_and_type() {
    for routes in [routes![needs_db], routes![maybe_db]] {
        let error = App::new()
            .mount("/", routes)
            .build()
            .err()
            .expect("no Db state");
        match &error {
            BuildError::MissingState {
                handler, type_name, ..
            } => {
                assert!(handler.ends_with("_db"), "{handler}");
                assert!(type_name.ends_with("Db"), "{type_name}");
            }
            other => panic!("expected missing state, got {other:?}"),
        }
        assert!(error.to_string().contains(".state("), "{error}");
    }
    assert!(App::new()
        .mount("/", routes![needs_db])
        .state(Db)
        .build()
        .is_ok());
}

#[test]
fn invalid_prefixes_are_refused() {
    let refused = [
        ("api", "start with `/`"),
        ("/api/<id>", "parameters"),
        ("/users/:id", "parameters"),
        ("/users/{id}", "parameters"),
        ("/files/*rest", "parameters"),
        ("/api?v=1", "query"),
        ("/a b", "whitespace"),
        ("/a\nb", "control"),
        ("/a//b", "empty segment"),
        ("/a/../b", "`.` or `..` segment"),
        ("/a/%2E", "`.` or `..` segment"),
        ("/a%zz", "percent-encoded byte"),
    ];
    for (prefix, says) in refused {
        let error = App::new().mount(prefix, routes![root]).build().err();
        assert!(
            matches!(error, Some(BuildError::InvalidPrefix { .. })),
            "{prefix}: {error:?}"
        );
        let message = error.unwrap().to_string();
        assert!(message.contains(says), "{prefix}: {message}");
    }
    // Characters that are literal text in a path are fine, as in route paths.
    for prefix in [
        "/v1/x*y",
        "/v1/things:batch",
        "/caf%C3%A9",
        "/café",
        "/a.b/...",
    ] {
        assert!(
            App::new().mount(prefix, routes![root]).build().is_ok(),
            "{prefix}"
        );
    }
}

mod normal_form {
    use waypost::{
        get, middleware, routes, App, Next, Problem, Request, Response, StatusCode, TestClient,
    };

    #[get("/café")]
    pub async fn cafe() -> &'static str {
        "café"
    }

    /// A literal brace is written encoded (a bare one is refused at compile time).
    #[get("/a%7Bb%7D")]
    pub async fn braces() -> &'static str {
        "braces"
    }

    #[get("/admin")]
    pub async fn admin() -> &'static str {
        "admin"
    }

    /// Refuses `/admin` the way a path-checking middleware would: it must
    /// see the path the router routes, or an encoded spelling walks past it.
    #[middleware]
    pub async fn guard(request: Request, next: Next) -> Result<Response, Problem> {
        if request.uri().path() == "/admin" {
            return Err(Problem::new(StatusCode::FORBIDDEN).with_detail("not for you"));
        }
        Ok(next.run(request).await)
    }

    pub fn app() -> App {
        App::new()
            .wrap(guard)
            .mount("/", routes![cafe, braces, admin, super::me, super::user])
            .mount("/menü", routes![super::create])
    }

    pub fn client() -> TestClient {
        TestClient::new(app())
    }
}

#[tokio::test]
async fn literal_segments_and_request_paths_meet_in_one_normal_form() {
    let client = normal_form::client();
    for path in ["/caf%C3%A9", "/caf%c3%a9"] {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text(), "café");
    }
    for path in ["/a%7Bb%7D", "/a%7bb%7d", "/a{b}"] {
        assert_eq!(client.get(path).send().await.text(), "braces", "{path}");
    }
    // An encoded unreserved character is the character: `/users/m%65` is `/users/me`, not `<id>`.
    assert_eq!(client.get("/users/m%65").send().await.text(), "me");
    assert_eq!(client.get("/users/%34%32").send().await.text(), "user 42");
    // An encoded `/` stays inside its segment.
    assert_problem(&client.get("/users/4%2F2").send().await, 400);
    // Mount prefixes are in the same form.
    let created = client.post("/men%C3%BC/users").send().await;
    assert_eq!(created.text(), "created");
}

#[tokio::test]
async fn middleware_sees_the_path_the_router_routes() {
    let client = normal_form::client();
    for path in ["/admin", "/%61dmin", "/adm%69n", "/%61%64%6D%69%6E"] {
        assert_problem(&client.get(path).send().await, 403);
    }
    // A stray `%` is encoded, so nothing is decoded twice: `/%%36%31dmin` is
    // `/%2561dmin`, not a way around the guard to `/admin`.
    let response = client.get("/%%36%31dmin").send().await;
    assert_problem(&response, 404);
    // And a parameter decodes it once.
    let response = client.get("/users/%%34%32").send().await;
    let body = assert_problem(&response, 400);
    assert_eq!(body["value"], "%42", "{body}");
}

#[tokio::test]
async fn percent_encoded_literal_segments_are_found_over_http() {
    let addr = common::spawn(normal_form::app()).await;
    let mut connection = common::Connection::open(addr).await;
    for path in ["/caf%C3%A9", "/caf%c3%a9"] {
        connection
            .send(format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n").as_bytes())
            .await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.body, "café".as_bytes());
    }
    connection
        .send(b"GET /%61dmin HTTP/1.1\r\nhost: test\r\n\r\n")
        .await;
    assert_eq!(connection.read_response(false).await.status, 403);
}

/// Handlers whose names the old hidden-type expansion could not list bare.
mod namesakes {
    /// A module named like the handler beside it.
    pub mod status {
        pub const TEXT: &str = "status ok";
    }

    #[waypost::get("/status")]
    pub async fn status() -> &'static str {
        status::TEXT
    }

    pub struct Api;

    impl Api {
        /// An associated function as a handler.
        #[waypost::get("/api/health")]
        pub async fn health() -> &'static str {
            "healthy"
        }
    }

    /// An argument named like its handler.
    #[waypost::get("/ids/<id>")]
    pub async fn id(id: u64) -> String {
        format!("id {id}")
    }
}

#[tokio::test]
async fn handlers_named_like_modules_associated_or_like_their_arguments_are_served() {
    use namesakes::{id, status, Api};
    let app = App::new().mount("/", routes![status, Api::health, id]);
    let addr = common::spawn(app).await;
    let mut connection = common::Connection::open(addr).await;
    for (path, body) in [
        ("/status", "status ok"),
        ("/api/health", "healthy"),
        ("/ids/7", "id 7"),
    ] {
        let response = connection.get(path).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.ok_text(), body, "{path}");
    }
    // Called directly, a handler is its future, as an `async fn` is.
    assert_eq!(id(9).await, "id 9");
    assert_eq!(Api::health().await, "healthy");
}
