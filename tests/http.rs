//! The server over real TCP on 127.0.0.1: HTTP/1.1 keep-alive and framing,
//! HTTP/2 with prior knowledge, body limits with and without Content-Length.

mod common;

use bytes::Bytes;
use common::{spawn, Connection, STEP};
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use waypost::{get, post, routes, App, Form, Json, Query, State};

#[derive(Clone)]
struct Prefix(&'static str);

#[derive(Serialize, Deserialize)]
struct Echo {
    id: u64,
    words: Vec<String>,
}

#[derive(Deserialize)]
struct Filter {
    q: String,
}

#[get("/hello/<name>")]
async fn hello(name: String, State(prefix): State<Prefix>) -> String {
    format!("{}{name}", prefix.0)
}

#[get("/search")]
async fn search(Query(filter): Query<Filter>) -> String {
    filter.q
}

#[post("/echo")]
async fn echo(Json(body): Json<Echo>) -> Json<Echo> {
    Json(body)
}

#[post("/form")]
async fn form(Form(filter): Form<Filter>) -> String {
    filter.q
}

#[post("/upload")]
async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

fn app() -> App {
    App::new()
        .mount("/", routes![hello, search, echo, form, upload])
        .state(Prefix("hi "))
        .body_limit(1024)
}

#[tokio::test]
async fn http1_keep_alive_serves_many_requests_on_one_connection() {
    let addr = spawn(app()).await;
    let mut connection = Connection::open(addr).await;

    connection
        .send(b"GET /hello/ada HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hi ada");

    let json = br#"{"id":7,"words":["a","b"]}"#;
    let request = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        json.len()
    );
    connection.send(request.as_bytes()).await;
    connection.send(json).await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.body, json);

    connection
        .send(b"HEAD /hello/bob HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(true).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("6"));

    // The HEAD response carried no body: the next response starts cleanly.
    connection
        .send(b"GET /search?q=rust%20web HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.body, b"rust web");

    connection
        .send(b"POST /form HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 5\r\n\r\nq=a+b")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.body, b"a b");
}

#[tokio::test]
async fn errors_over_the_wire_are_problem_json() {
    let addr = spawn(app()).await;
    let mut connection = Connection::open(addr).await;
    for (request, status) in [
        (&b"GET /missing HTTP/1.1\r\nhost: x\r\n\r\n"[..], 404),
        (&b"DELETE /echo HTTP/1.1\r\nhost: x\r\n\r\n"[..], 405),
        (&b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 3\r\n\r\n{x}"[..], 400),
        (&b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 8\r\n\r\n{\"id\":1}"[..], 422),
        (&b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"[..], 415),
    ] {
        connection.send(request).await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, status);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["status"], status);
    }
}

#[tokio::test]
async fn declared_length_over_the_limit_is_413() {
    let addr = spawn(app()).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 413);
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["limit"], 1024);
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_413() {
    let addr = spawn(app()).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .await;
    let chunk = format!("200\r\n{}\r\n", "x".repeat(0x200));
    for _ in 0..3 {
        connection.send(chunk.as_bytes()).await;
    }
    connection.send(b"0\r\n\r\n").await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 413);
}

#[tokio::test]
async fn chunked_body_under_the_limit_is_read_whole() {
    let addr = spawn(app()).await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"7");
}

#[tokio::test]
async fn http2_prior_knowledge_serves_concurrent_streams_on_one_connection() {
    let addr = spawn(app()).await;
    let (sender, driver) = common::h2_connect(addr).await;

    let tasks: Vec<_> = (0..8u64)
        .map(|i| {
            let mut sender = sender.clone();
            tokio::spawn(async move {
                let body = format!(r#"{{"id":{i},"words":["w{i}"]}}"#);
                let request = http::Request::post(format!("http://{addr}/echo"))
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body.clone())))
                    .unwrap();
                let response = sender.send_request(request).await.expect("h2 request");
                assert_eq!(response.version(), http::Version::HTTP_2);
                assert_eq!(response.status(), 200);
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(bytes, body.as_bytes());
            })
        })
        .collect();
    for task in tasks {
        tokio::time::timeout(STEP, task)
            .await
            .expect("h2 request timed out")
            .expect("h2 request failed");
    }

    let request = http::Request::get(format!("http://{addr}/nope"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.clone().send_request(request).await.unwrap();
    assert_eq!(response.status(), 404);
    driver.abort();
}
