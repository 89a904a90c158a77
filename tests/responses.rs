//! Every response type a handler can return, through the in-process test client.

mod common;

use common::assert_problem;
use serde::Serialize;
use serde_json::json;
use waypost::{
    get, routes, App, Body, Bytes, HeaderMap, Html, IntoResponse, Json, Problem, Redirect,
    Response, StatusCode, TestClient,
};

#[derive(Serialize)]
struct Message {
    text: &'static str,
}

/// A user error type converting into a problem, as applications write them.
enum ApiError {
    NotFound(u64),
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Problem {
        match error {
            ApiError::NotFound(id) => Problem::new(StatusCode::NOT_FOUND)
                .with_type("https://example.com/problems/no-such-user")
                .with_title("No such user")
                .with_detail(format!("user {id} does not exist"))
                .with_instance(format!("/users/{id}"))
                .with_extension("user_id", id),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

#[get("/static-str")]
async fn static_str() -> &'static str {
    "static"
}

#[get("/string")]
async fn string() -> String {
    "owned".to_owned()
}

#[get("/bytes")]
async fn bytes() -> Bytes {
    Bytes::from_static(b"\x00\x01")
}

#[get("/vec")]
async fn vec() -> Vec<u8> {
    vec![1, 2, 3]
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message { text: "hi" })
}

#[get("/html")]
async fn html() -> Html<&'static str> {
    Html("<p>hi</p>")
}

#[get("/redirect/<kind>")]
async fn redirect(kind: String) -> Redirect {
    match kind.as_str() {
        "temporary" => Redirect::temporary("/t"),
        "permanent" => Redirect::permanent("/p"),
        _ => Redirect::to("/s"),
    }
}

#[get("/redirect-invalid")]
async fn redirect_invalid() -> Redirect {
    Redirect::to("/bad\nlocation")
}

#[get("/status")]
async fn status() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[get("/status-body")]
async fn status_body() -> (StatusCode, &'static str) {
    (StatusCode::ACCEPTED, "accepted")
}

#[get("/status-headers-body")]
async fn status_headers_body() -> (StatusCode, [(&'static str, &'static str); 2], Json<Message>) {
    (
        StatusCode::CREATED,
        [("location", "/things/1"), ("x-id", "1")],
        Json(Message { text: "made" }),
    )
}

#[get("/headers-body")]
async fn headers_body() -> (HeaderMap, &'static str) {
    let mut headers = HeaderMap::new();
    headers.append("set-cookie", "a=1".parse().unwrap());
    headers.append("set-cookie", "b=2".parse().unwrap());
    (headers, "cookies")
}

#[get("/header-array")]
async fn header_array() -> ([(&'static str, &'static str); 3], Json<Message>) {
    (
        [
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("content-type", "application/vnd.thing+json"),
        ],
        Json(Message { text: "typed" }),
    )
}

#[get("/bad-header")]
async fn bad_header() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("bad header", "x")], "never")
}

#[get("/response")]
async fn response() -> Response {
    let mut response = Response::new(Body::from("built"));
    *response.status_mut() = StatusCode::IM_A_TEAPOT;
    response
}

#[get("/unit")]
async fn unit() {}

#[get("/result/<ok>")]
async fn result(ok: bool) -> Result<&'static str, ApiError> {
    if ok {
        Ok("fine")
    } else {
        Err(ApiError::NotFound(7))
    }
}

#[get("/problem")]
async fn problem() -> Problem {
    Problem::new(StatusCode::CONFLICT).with_detail("taken")
}

fn client() -> TestClient {
    TestClient::new(App::new().mount(
        "/",
        routes![
            static_str,
            string,
            bytes,
            vec,
            json,
            html,
            redirect,
            redirect_invalid,
            status,
            status_body,
            status_headers_body,
            headers_body,
            header_array,
            bad_header,
            response,
            unit,
            result,
            problem
        ],
    ))
}

#[tokio::test]
async fn text_responses_are_utf8_plain_text() {
    let client = client();
    for (path, text) in [("/static-str", "static"), ("/string", "owned")] {
        let response = client.get(path).send().await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_type(), Some("text/plain; charset=utf-8"));
        assert_eq!(response.text(), text);
    }
}

#[tokio::test]
async fn byte_responses_are_octet_streams() {
    let client = client();
    let response = client.get("/bytes").send().await;
    assert_eq!(response.content_type(), Some("application/octet-stream"));
    assert_eq!(response.bytes().as_ref(), b"\x00\x01");
    assert_eq!(client.get("/vec").send().await.bytes().as_ref(), [1, 2, 3]);
}

#[tokio::test]
async fn json_and_html() {
    let client = client();
    let response = client.get("/json").send().await;
    assert_eq!(response.content_type(), Some("application/json"));
    assert_eq!(response.text(), r#"{"text":"hi"}"#);
    let response = client.get("/html").send().await;
    assert_eq!(response.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(response.text(), "<p>hi</p>");
}

#[tokio::test]
async fn redirects_set_status_and_location() {
    let client = client();
    for (kind, status, location) in [
        ("see-other", 303, "/s"),
        ("temporary", 307, "/t"),
        ("permanent", 308, "/p"),
    ] {
        let response = client.get(&format!("/redirect/{kind}")).send().await;
        assert_eq!(response.status(), status);
        assert_eq!(response.header("location"), Some(location));
    }
    assert_problem(&client.get("/redirect-invalid").send().await, 500);
}

#[tokio::test]
async fn status_code_alone_and_with_body() {
    let client = client();
    let response = client.get("/status").send().await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().is_empty());
    let response = client.get("/status-body").send().await;
    assert_eq!(response.status(), 202);
    assert_eq!(response.text(), "accepted");
}

#[tokio::test]
async fn status_headers_and_body() {
    let response = client().get("/status-headers-body").send().await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.header("location"), Some("/things/1"));
    assert_eq!(response.header("x-id"), Some("1"));
    assert_eq!(response.content_type(), Some("application/json"));
    assert_eq!(response.text(), r#"{"text":"made"}"#);
}

#[tokio::test]
async fn header_map_keeps_repeated_headers() {
    let response = client().get("/headers-body").send().await;
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
}

#[tokio::test]
async fn header_array_keeps_repeated_names_and_replaces_the_bodys_own() {
    let response = client().get("/header-array").send().await;
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    let types: Vec<_> = response.headers().get_all("content-type").iter().collect();
    assert_eq!(types, ["application/vnd.thing+json"]);
}

#[tokio::test]
async fn invalid_response_header_is_500_problem() {
    let body = assert_problem(&client().get("/bad-header").send().await, 500);
    assert!(body["detail"].as_str().unwrap().contains("header"));
}

#[tokio::test]
async fn response_and_unit() {
    let client = client();
    let response = client.get("/response").send().await;
    assert_eq!(response.status(), 418);
    assert_eq!(response.text(), "built");
    let response = client.get("/unit").send().await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().is_empty());
}

#[tokio::test]
async fn result_renders_either_side_and_user_errors_become_problems() {
    let client = client();
    assert_eq!(client.get("/result/true").send().await.text(), "fine");
    let body = assert_problem(&client.get("/result/false").send().await, 404);
    assert_eq!(
        body,
        json!({
            "type": "https://example.com/problems/no-such-user",
            "title": "No such user",
            "status": 404,
            "detail": "user 7 does not exist",
            "instance": "/users/7",
            "user_id": 7
        })
    );
    // Members come in RFC order, extensions last.
    let text = client.get("/result/false").send().await.text();
    assert!(text.starts_with(r#"{"type":"#), "{text}");
}

#[tokio::test]
async fn problem_defaults_to_about_blank_and_the_status_phrase() {
    let body = assert_problem(&client().get("/problem").send().await, 409);
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["title"], "Conflict");
    assert_eq!(body["detail"], "taken");
}

mod errors {
    use waypost::{get, Error, Problem, ResultExt, StatusCode};

    fn parse(text: &str) -> Result<i64, std::num::ParseIntError> {
        text.parse()
    }

    #[get("/double/<text>")]
    pub async fn double(text: String) -> Result<String, Error> {
        let value = parse(&text).status(StatusCode::UNPROCESSABLE_ENTITY)?;
        Ok((value * 2).to_string())
    }

    #[get("/names/<id>")]
    pub async fn name(id: u64) -> Result<&'static str, Error> {
        let found = (id == 1).then_some("ada");
        found.status(StatusCode::NOT_FOUND)
    }

    #[get("/taken/<name>")]
    pub async fn taken(name: String) -> Result<(), Error> {
        Err(Error::new(
            StatusCode::CONFLICT,
            format!("the name {name} is taken"),
        ))
    }

    #[get("/problem")]
    pub async fn problem() -> Result<(), Error> {
        let refused: Result<(), Problem> =
            Err(Problem::new(StatusCode::FORBIDDEN).with_detail("read-only account"));
        Ok(refused?)
    }

    #[get("/io")]
    pub async fn io() -> Result<(), Error> {
        std::fs::read("/nonexistent/waypost/secret-path")?;
        Ok(())
    }
}

#[tokio::test]
async fn waypost_error_converts_any_error_and_carries_a_status() {
    let client = TestClient::new(App::new().mount(
        "/",
        routes![
            errors::double,
            errors::name,
            errors::taken,
            errors::problem,
            errors::io
        ],
    ));
    assert_eq!(client.get("/double/21").send().await.text(), "42");
    let body = assert_problem(&client.get("/double/x").send().await, 422);
    assert_eq!(body["title"], "Unprocessable Entity");
    assert!(
        body.get("detail").is_none(),
        "the parse error stays in the log: {body}"
    );

    assert_eq!(client.get("/names/1").send().await.text(), "ada");
    assert_problem(&client.get("/names/2").send().await, 404);

    let body = assert_problem(&client.get("/taken/ada").send().await, 409);
    assert_eq!(body["detail"], "the name ada is taken");

    // A `Problem` passed through `?` keeps its status and detail.
    let body = assert_problem(&client.get("/problem").send().await, 403);
    assert_eq!(body["detail"], "read-only account");

    // Any other error: a 500 that does not leak what happened.
    let response = client.get("/io").send().await;
    let text = response.text();
    assert_problem(&response, 500);
    assert!(
        !text.contains("secret-path") && !text.contains("No such file"),
        "{text}"
    );
}
