//! Every extractor and every rejection, through the in-process test client.

mod common;

use std::collections::BTreeMap;

use common::{assert_problem, spawn, Connection};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use waypost::{
    get, post, routes, App, Bytes, Form, FromParam, HeaderMap, Json, JsonRejection, Method, Query,
    State, TestClient, Uri,
};

#[derive(Debug, Deserialize, Serialize)]
struct Item {
    name: String,
    price: u32,
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct Page {
    offset: u32,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct Login {
    user: String,
    age: u8,
}

#[derive(Clone)]
struct Greeting(&'static str);

/// A user type taking part in path parsing.
#[derive(Debug)]
struct Slug(String);

impl FromParam for Slug {
    type Error = &'static str;
    fn from_param(value: &str) -> Result<Self, Self::Error> {
        if !value.is_empty() && value.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            Ok(Slug(value.to_owned()))
        } else {
            Err("a slug is lowercase letters and dashes")
        }
    }
}

#[get("/int/<a>/<b>/<c>/<d>")]
async fn ints(a: u8, b: i64, c: u128, d: isize) -> String {
    format!("{a} {b} {c} {d}")
}

#[get("/other/<f>/<flag>/<ch>/<text>")]
async fn others(f: f64, flag: bool, ch: char, text: String) -> String {
    format!("{f} {flag} {ch} {text}")
}

#[get("/slug/<slug>")]
async fn by_slug(slug: Slug) -> String {
    slug.0
}

#[get("/files/<rest..>")]
async fn files(rest: String) -> String {
    rest
}

#[get("/query")]
async fn query(Query(page): Query<Page>) -> String {
    format!("{} {:?}", page.offset, page.limit)
}

#[get("/query-map")]
async fn query_map(Query(map): Query<BTreeMap<String, String>>) -> Json<BTreeMap<String, String>> {
    Json(map)
}

#[post("/json")]
async fn json_echo(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

#[post("/json-or-error")]
async fn json_result(body: Result<Json<Item>, JsonRejection>) -> String {
    match body {
        Ok(item) => format!("ok {}", item.name),
        Err(rejection) => format!("rejected: {rejection}"),
    }
}

#[post("/json-optional")]
async fn json_optional(body: Option<Json<Item>>) -> String {
    match body {
        Some(Json(item)) => format!("some {}", item.price),
        None => "none".to_owned(),
    }
}

#[post("/form")]
async fn form(Form(login): Form<Login>) -> String {
    format!("{} {}", login.user, login.age)
}

#[get("/state")]
async fn state(State(greeting): State<Greeting>) -> &'static str {
    greeting.0
}

#[post("/head/<id>")]
async fn head_parts(id: u32, method: Method, uri: Uri, headers: HeaderMap) -> String {
    format!(
        "{id} {method} {uri} {}",
        headers
            .get("x-test")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
    )
}

#[post("/bytes")]
async fn bytes(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[post("/string")]
async fn string(body: String) -> String {
    body.to_uppercase()
}

fn client() -> TestClient {
    TestClient::new(
        App::new()
            .mount(
                "/",
                routes![
                    ints,
                    others,
                    by_slug,
                    files,
                    query,
                    query_map,
                    json_echo,
                    json_result,
                    json_optional,
                    form,
                    state,
                    head_parts,
                    bytes,
                    string
                ],
            )
            .state(Greeting("hello"))
            .body_limit(64),
    )
}

#[tokio::test]
async fn integer_params_parse() {
    let response = client()
        .get("/int/255/-9/340282366920938463463374607431768211455/-1")
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text(),
        "255 -9 340282366920938463463374607431768211455 -1"
    );
}

#[tokio::test]
async fn float_bool_char_and_string_params_parse() {
    let response = client().get("/other/2.5/true/x/hello%20world").send().await;
    assert_eq!(response.text(), "2.5 true x hello world");
}

#[tokio::test]
async fn param_out_of_range_is_400_naming_param_type_and_value() {
    let response = client().get("/int/256/0/0/0").send().await;
    let body = assert_problem(&response, 400);
    assert_eq!(body["parameter"], "a");
    // What was expected, in words a client understands rather than `u8`.
    assert_eq!(body["expected"], "a whole number from 0 to 255");
    assert_eq!(body["value"], "256");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("`a`")
            && detail.contains("must be a whole number from 0 to 255")
            && detail.contains("256"),
        "{detail}"
    );
}

#[tokio::test]
async fn percent_decoded_value_is_reported_decoded() {
    let response = client().get("/other/x%20y/true/c/t").send().await;
    let body = assert_problem(&response, 400);
    assert_eq!(body["parameter"], "f");
    assert_eq!(body["value"], "x y");
}

#[tokio::test]
async fn param_that_is_not_utf8_once_decoded_is_400() {
    let response = client().get("/other/1/true/c/%FF").send().await;
    let body = assert_problem(&response, 400);
    assert_eq!(body["parameter"], "text");
}

#[tokio::test]
async fn user_from_param_types_parse_and_reject() {
    let client = client();
    assert_eq!(
        client.get("/slug/hello-world").send().await.text(),
        "hello-world"
    );
    let body = assert_problem(&client.get("/slug/Hello").send().await, 400);
    // A type of the user's own keeps its name.
    assert_eq!(body["expected"], "a `Slug`");
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("lowercase letters and dashes"));
}

#[tokio::test]
async fn catch_all_takes_the_rest_of_the_path() {
    let response = client().get("/files/a/b%2Fc/d.txt").send().await;
    assert_eq!(response.text(), "a/b/c/d.txt");
}

#[tokio::test]
async fn query_parses_and_rejects_naming_the_field() {
    let client = client();
    assert_eq!(client.get("/query?offset=5").send().await.text(), "5 None");
    assert_eq!(
        client.get("/query?offset=5&limit=9").send().await.text(),
        "5 Some(9)"
    );
    let body = assert_problem(&client.get("/query?offset=x").send().await, 400);
    assert_eq!(body["field"], "offset");
    // A missing or repeated field is named, not reported at `.`.
    for path in ["/query", "/query?limit=3", "/query?offset=1&offset=2"] {
        let body = assert_problem(&client.get(path).send().await, 400);
        assert_eq!(body["field"], "offset", "{path}: {body}");
    }
    // Bytes that are not UTF-8 are refused, not replaced with U+FFFD.
    for (path, field) in [
        ("/query?offset=5&limit=%FF", "limit"),
        ("/query-map?a=1&b=%C3%28", "b"),
        // A name that is not UTF-8 is shown with U+FFFD where its bytes were.
        ("/query-map?%FF=1", "\u{fffd}"),
    ] {
        let body = assert_problem(&client.get(path).send().await, 400);
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("not valid UTF-8"), "{path}: {body}");
        assert_eq!(body["field"], field, "{path}: {body}");
    }
    let map: Value = client
        .get("/query-map?a=1&b=two%20words")
        .send()
        .await
        .json();
    assert_eq!(map, json!({"a": "1", "b": "two words"}));
}

#[tokio::test]
async fn json_round_trips() {
    let response = client()
        .post("/json")
        .json(&json!({"name": "pen", "price": 3, "tags": ["a"]}))
        .send()
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_type(), Some("application/json"));
    assert_eq!(
        response.json::<Value>(),
        json!({"name": "pen", "price": 3, "tags": ["a"]})
    );
}

#[tokio::test]
async fn json_accepts_suffix_types_and_parameters() {
    let client = client();
    let post_as = |content_type: &'static str| {
        client
            .post("/json")
            .header("content-type", content_type)
            .body(r#"{"name":"pen","price":3,"tags":[]}"#)
            .send()
    };
    for content_type in [
        "application/json",
        "APPLICATION/Json",
        "application/json; charset=utf-8",
        " application/json ;charset=utf-8",
        "application/vnd.api+json; charset=utf-8",
    ] {
        let response = post_as(content_type).await;
        let status = response.status();
        assert_eq!(status, 200, "{content_type}: {}", response.text());
    }
    for content_type in [
        "application/jsonx",
        "application/json-seq",
        "+json",
        "text/json",
    ] {
        assert_problem(&post_as(content_type).await, 415);
    }
}

#[tokio::test]
async fn malformed_json_is_400_with_position() {
    let response = client()
        .post("/json")
        .header("content-type", "application/json")
        .body("{\"name\": \"pen\",\n \"price\": }")
        .send()
        .await;
    let body = assert_problem(&response, 400);
    assert_eq!(body["line"], 2);
    assert!(body["column"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn trailing_garbage_after_json_is_400() {
    let response = client()
        .post("/json")
        .header("content-type", "application/json")
        .body(r#"{"name":"pen","price":3,"tags":[]} x"#)
        .send()
        .await;
    assert_problem(&response, 400);
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_422_naming_the_field() {
    let response = client()
        .post("/json")
        .json(&json!({"name": "pen", "price": 3, "tags": ["a", 7]}))
        .send()
        .await;
    let body = assert_problem(&response, 422);
    assert_eq!(body["field"], "tags[1]");
    let response = client()
        .post("/json")
        .json(&json!({"name": "pen"}))
        .send()
        .await;
    let body = assert_problem(&response, 422);
    assert!(body["detail"].as_str().unwrap().contains("price"), "{body}");
    // A missing field is named as the field, not as the object that lacks it.
    assert_eq!(body["field"], "price", "{body}");
    // What was expected is said in words, not as the Rust type.
    for price in [json!("three"), json!(-1), json!(5_000_000_000u64)] {
        let response = client()
            .post("/json")
            .json(&json!({"name": "pen", "price": price, "tags": []}))
            .send()
            .await;
        let body = assert_problem(&response, 422);
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("expected a whole number from 0 to 4294967295"),
            "{detail}"
        );
        assert!(!detail.contains("u32"), "{detail}");
        assert_eq!(body["field"], "price", "{body}");
    }
}

#[tokio::test]
async fn json_with_wrong_or_missing_content_type_is_415() {
    let client = client();
    let response = client
        .post("/json")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await;
    let body = assert_problem(&response, 415);
    assert!(body["detail"].as_str().unwrap().contains("text/plain"));
    let response = client.post("/json").body("{}").send().await;
    assert_problem(&response, 415);
}

#[tokio::test]
async fn json_body_over_the_limit_is_413() {
    let big = json!({"name": "x".repeat(100), "price": 1, "tags": []});
    let response = client().post("/json").json(&big).send().await;
    let body = assert_problem(&response, 413);
    assert_eq!(body["limit"], 64);
}

#[tokio::test]
async fn result_and_option_of_extractors_see_the_rejection() {
    let client = client();
    let ok = client
        .post("/json-or-error")
        .json(&json!({"name": "pen", "price": 1, "tags": []}))
        .send()
        .await;
    assert_eq!(ok.text(), "ok pen");
    let rejected = client.post("/json-or-error").body("{}").send().await;
    assert_eq!(rejected.status(), 200);
    assert!(
        rejected
            .text()
            .starts_with("rejected: expected a `application/json` body"),
        "{}",
        rejected.text()
    );
    // `Option` means absent: no body is `None`...
    let none = client.post("/json-optional").send().await;
    assert_eq!(none.text(), "none");
    let some = client
        .post("/json-optional")
        .json(&json!({"name": "a", "price": 4, "tags": []}))
        .send()
        .await;
    assert_eq!(some.text(), "some 4");
    // ...and a body that is there but wrong is still its 4xx, not `None`.
    let invalid = client
        .post("/json-optional")
        .json(&json!({"price": 1}))
        .send()
        .await;
    let body = assert_problem(&invalid, 422);
    assert_eq!(body["field"], "name");
    let repeated = client
        .post("/json-optional")
        .header("content-type", "application/json")
        .body(r#"{"name": "a", "name": "b", "price": 1, "tags": []}"#)
        .send()
        .await;
    let body = assert_problem(&repeated, 422);
    assert_eq!(body["field"], "name", "{body}");
    let not_json = client.post("/json-optional").body("price=1").send().await;
    assert_problem(&not_json, 415);
    let too_large = client
        .post("/json-optional")
        .json(&json!({"name": "x".repeat(100), "price": 1, "tags": []}))
        .send()
        .await;
    assert_problem(&too_large, 413);
}

#[derive(Deserialize)]
struct PageNumber {
    page: u32,
}

#[get("/optional-query")]
async fn optional_query(
    page: Option<Query<PageNumber>>,
    token: Option<waypost::middleware::Bearer>,
) -> String {
    format!(
        "{} {}",
        page.map_or("-".to_owned(), |Query(p)| p.page.to_string()),
        token.map_or("-".to_owned(), |token| token.token().to_owned())
    )
}

#[tokio::test]
async fn optional_head_extractors_are_none_when_absent_and_rejected_when_invalid() {
    let client = TestClient::new(App::new().mount("/", routes![optional_query]));
    assert_eq!(client.get("/optional-query").send().await.text(), "- -");
    assert_eq!(
        client
            .get("/optional-query?page=3")
            .header("authorization", "Bearer t0k")
            .send()
            .await
            .text(),
        "3 t0k"
    );
    assert_problem(&client.get("/optional-query?page=x").send().await, 400);
    let wrong_scheme = client
        .get("/optional-query")
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await;
    assert_problem(&wrong_scheme, 401);
}

#[tokio::test]
async fn form_parses_and_rejects() {
    let client = client();
    let response = client
        .post("/form")
        .form(&[("user", "ada"), ("age", "36")])
        .send()
        .await;
    assert_eq!(response.text(), "ada 36");
    let body = assert_problem(
        &client
            .post("/form")
            .form(&[("user", "ada"), ("age", "300")])
            .send()
            .await,
        422,
    );
    assert_eq!(body["field"], "age");
    let form = |body: &'static [u8]| {
        client
            .post("/form")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from_static(body))
            .send()
    };
    let body = assert_problem(&form(b"user=ada").await, 422);
    assert_eq!(body["field"], "age", "{body}");
    for raw in [&b"user=%FF&age=3"[..], b"user=\xff&age=3"] {
        let body = assert_problem(&form(raw).await, 422);
        assert_eq!(body["field"], "user", "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("not valid UTF-8"),
            "{body}"
        );
    }
    let response = client
        .post("/form")
        .header("content-type", "application/json")
        .body("user=ada&age=3")
        .send()
        .await;
    assert_problem(&response, 415);
}

#[tokio::test]
async fn state_is_handed_to_handlers() {
    assert_eq!(client().get("/state").send().await.text(), "hello");
}

#[tokio::test]
async fn method_uri_and_headers_extract() {
    let response = client()
        .post("/head/5?x=1")
        .header("x-test", "yes")
        .send()
        .await;
    assert_eq!(response.text(), "5 POST /head/5?x=1 yes");
}

#[tokio::test]
async fn bytes_and_string_bodies() {
    let client = client();
    assert_eq!(
        client
            .post("/bytes")
            .body(vec![0u8, 159, 146, 150])
            .send()
            .await
            .text(),
        "4 bytes"
    );
    assert_eq!(
        client.post("/string").body("abc").send().await.text(),
        "ABC"
    );
    let body = assert_problem(
        &client.post("/string").body(vec![b'a', 0xff]).send().await,
        400,
    );
    assert_eq!(body["offset"], 1);
    assert_problem(&client.post("/bytes").body(vec![0u8; 65]).send().await, 413);
    assert_eq!(
        client
            .post("/bytes")
            .body(vec![0u8; 64])
            .send()
            .await
            .text(),
        "64 bytes"
    );
}

#[tokio::test]
async fn an_absent_body_over_real_http_is_none() {
    let addr = spawn(App::new().mount("/", routes![json_optional])).await;
    let mut connection = Connection::open(addr).await;
    for request in [
        &b"POST /json-optional HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"POST /json-optional HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        b"POST /json-optional HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ] {
        connection.send(request).await;
        let response = connection.read_response(false).await;
        assert_eq!(response.body, b"none", "{}", String::from_utf8_lossy(request));
    }
    connection
        .send(b"POST /json-optional HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        .await;
    assert_eq!(connection.read_response(false).await.status, 422);
}

#[get("/safe/<path..>")]
async fn safe_file(path: std::path::PathBuf) -> String {
    path.display().to_string()
}

#[tokio::test]
async fn a_pathbuf_catch_all_is_safe_to_join_under_a_directory() {
    let client = TestClient::new(App::new().mount("/", routes![safe_file, files]));
    let ok = [
        ("/safe/css/site.css", "css/site.css"),
        ("/safe/a//b/./c.txt", "a/b/c.txt"),
        (
            "/safe/caf%C3%A9/menu%20du%20jour.pdf",
            "café/menu du jour.pdf",
        ),
    ];
    for (path, expected) in ok {
        let response = client.get(path).send().await;
        assert_eq!(response.text(), expected, "{path}");
    }
    let refused = [
        ("/safe/..%2F..%2Fetc%2Fpasswd", "encoded separator"),
        ("/safe/a/../../etc/passwd", "`..`"),
        ("/safe/%2E%2E/secret", "`..`"),
        ("/safe/a%5Cb", "encoded separator"),
        ("/safe/.env", "hidden"),
        ("/safe/a/%00b", "NUL"),
        ("/safe/a%0Ab.txt", "control character"),
        ("/safe/a%1Bb%7F", "control character"),
        ("/safe/%FF", "UTF-8"),
    ];
    for (path, says) in refused {
        let body = assert_problem(&client.get(path).send().await, 400);
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{path}: {detail}");
        assert_eq!(body["parameter"], "path");
    }
    // A `String` catch-all receives the decoded text as it is: `..` included.
    let raw = client.get("/files/..%2F..%2Fetc%2Fpasswd").send().await;
    assert_eq!(raw.text(), "../../etc/passwd");
}
