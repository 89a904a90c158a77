//! Multipart uploads over real TCP: fields and files read as streams, files
//! saved under a directory whatever name the client sends, every limit a
//! 413 naming the field and the limit, and malformed, truncated or
//! oversized bodies answered without stopping the server.

mod common;

use std::path::{Path, PathBuf};

use common::{Connection, RawResponse, TempDir};
use serde_json::Value;
use waypost::multipart::{Multipart, MultipartError, MultipartLimits};
use waypost::{post, routes, App, Json, State};

#[derive(Clone)]
struct Uploads(PathBuf);

/// Text fields are echoed as `name=value`; files are saved and listed as
/// `name: saved-as (size)`.
#[post("/upload", wrap = [MultipartLimits::new().field(16).file(1024).fields(4)])]
async fn upload(
    State(Uploads(dir)): State<Uploads>,
    mut form: Multipart,
) -> Result<Json<Vec<String>>, MultipartError> {
    let mut seen = Vec::new();
    while let Some(field) = form.next_field().await? {
        let name = field.name().unwrap_or("").to_owned();
        if field.file_name().is_some() {
            let saved = field.save_in(&dir).await?;
            assert!(saved.path().starts_with(&dir), "{:?}", saved.path());
            seen.push(format!("{name}: {} ({})", saved.file_name(), saved.size()));
        } else {
            seen.push(format!("{name}={}", field.text().await?));
        }
    }
    Ok(Json(seen))
}

/// Reads only the first field's name, leaving the rest unread.
#[post("/first")]
async fn first(mut form: Multipart) -> Result<String, MultipartError> {
    let first = form
        .next_field()
        .await?
        .map(|f| f.name().unwrap_or("").to_owned());
    // The rest is skipped field by field, each within the limits.
    let mut rest = 0;
    while form.next_field().await?.is_some() {
        rest += 1;
    }
    Ok(format!("{first:?} then {rest}"))
}

#[post("/small-body", wrap = [MultipartLimits::new().body(256)])]
async fn small_body(mut form: Multipart) -> Result<String, MultipartError> {
    let mut count = 0;
    while let Some(field) = form.next_field().await? {
        field.bytes().await?;
        count += 1;
    }
    Ok(count.to_string())
}

/// Reads every field whole, as text.
#[post("/texts", wrap = [MultipartLimits::new().field(16).for_field("bio", 64).for_field("bio", 32)])]
async fn texts(mut form: Multipart) -> Result<String, MultipartError> {
    let mut texts = Vec::new();
    while let Some(field) = form.next_field().await? {
        texts.push(field.text().await?);
    }
    Ok(texts.join(","))
}

/// Counts a large file's bytes as they stream.
#[post("/count", wrap = [MultipartLimits::new().file(4 * 1024 * 1024).body(8 * 1024 * 1024)])]
async fn count(mut form: Multipart) -> Result<String, MultipartError> {
    let mut total = 0;
    while let Some(mut field) = form.next_field().await? {
        while let Some(chunk) = field.chunk().await? {
            total += chunk.len();
        }
    }
    Ok(total.to_string())
}

/// Saves files, under a deadline that drops the handler mid-upload.
#[post("/deadline", wrap = [waypost::middleware::Timeout::new(std::time::Duration::from_millis(300))])]
async fn deadline(
    State(Uploads(dir)): State<Uploads>,
    mut form: Multipart,
) -> Result<String, MultipartError> {
    while let Some(field) = form.next_field().await? {
        field.save_in(&dir).await?;
    }
    Ok("saved".into())
}

fn app(dir: &Path) -> App {
    App::new().state(Uploads(dir.to_owned())).mount(
        "/",
        routes![upload, first, small_body, texts, count, deadline],
    )
}

const BOUNDARY: &str = "----waypost-test-boundary";

/// One part: a text field (`file_name` `None`) or a file.
fn part(name: &str, file_name: Option<&str>, value: &[u8]) -> Vec<u8> {
    let mut out = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"");
    if let Some(file_name) = file_name {
        out.push_str(&format!(
            "; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream"
        ));
    }
    out.push_str("\r\n\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

fn form(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut body: Vec<u8> = parts.concat();
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_raw(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> RawResponse {
    let mut connection = Connection::open(addr).await;
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    connection.send(&request).await;
    connection.read_response(false).await
}

async fn post_form(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> RawResponse {
    post_raw(
        addr,
        path,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
    )
    .await
}

fn json(response: &RawResponse) -> Value {
    serde_json::from_slice(&response.body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&response.body)))
}

/// Asserts a problem+json answer with `status`, returning it.
fn problem(response: &RawResponse, status: u16) -> Value {
    assert_eq!(
        response.status,
        status,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    json(response)
}

#[tokio::test]
async fn fields_and_files_arrive_and_files_stay_inside_the_directory() {
    let dir = TempDir::new("save");
    let addr = common::spawn(app(&dir.0)).await;

    let body = form(&[
        part("title", None, b"quarterly"),
        part("doc", Some("../../../etc/report.txt"), b"the report"),
        part(
            "raw",
            Some("C:\\Users\\ada\\..\\notes.txt"),
            &[0, 159, 146, 150],
        ),
    ]);
    let response = post_form(addr, "/upload", &body).await;
    response.ok_text();
    assert_eq!(
        json(&response),
        serde_json::json!([
            "title=quarterly",
            "doc: report.txt (10)",
            "raw: notes.txt (4)"
        ])
    );
    assert_eq!(dir.files(), ["notes.txt", "report.txt"]);
    assert_eq!(
        std::fs::read(dir.0.join("report.txt")).unwrap(),
        b"the report"
    );
    assert_eq!(
        std::fs::read(dir.0.join("notes.txt")).unwrap(),
        [0, 159, 146, 150]
    );

    // The same name again is never written over: the second gets a number.
    let body = form(&[part("doc", Some("report.txt"), b"second")]);
    let response = post_form(addr, "/upload", &body).await;
    assert_eq!(
        json(&response),
        serde_json::json!(["doc: report-1.txt (6)"])
    );
    assert_eq!(
        std::fs::read(dir.0.join("report.txt")).unwrap(),
        b"the report"
    );
    assert_eq!(
        std::fs::read(dir.0.join("report-1.txt")).unwrap(),
        b"second"
    );

    // A name with nothing usable left is saved as `upload`.
    let body = form(&[part("doc", Some("../.."), b"x")]);
    let response = post_form(addr, "/upload", &body).await;
    assert_eq!(json(&response), serde_json::json!(["doc: upload (1)"]));
}

#[tokio::test]
async fn each_limit_answers_413_naming_the_field_and_leaves_no_partial_file() {
    let dir = TempDir::new("limits");
    let addr = common::spawn(app(&dir.0)).await;

    // A file over its limit (1,024 bytes): after part of it was written.
    let body = form(&[part("avatar", Some("big.png"), &vec![7u8; 4096])]);
    let response = post_form(addr, "/upload", &body).await;
    // The rest of the body is not read: the client is told the connection closes.
    assert_eq!(response.header("connection"), Some("close"));
    let body = problem(&response, 413);
    assert_eq!(body["field"], "avatar");
    assert_eq!(body["limit"], 1024);
    assert_eq!(
        body["detail"],
        "field `avatar` is larger than the file limit of 1024 bytes"
    );
    assert!(dir.files().is_empty(), "{:?}", dir.files());

    // A text field over its limit (16 bytes).
    let body = form(&[part("comment", None, b"seventeen bytes!!")]);
    let body = problem(&post_form(addr, "/upload", &body).await, 413);
    assert_eq!(body["field"], "comment");
    assert_eq!(body["limit"], 16);

    // More fields than allowed (4).
    let parts: Vec<Vec<u8>> = (0..5).map(|i| part(&format!("f{i}"), None, b"x")).collect();
    let body = problem(&post_form(addr, "/upload", &form(&parts)).await, 413);
    assert_eq!(body["limit"], 4);

    // A body declared over the route's body limit (256 bytes) is refused
    // before it is read; one that arrives over it, while it is read.
    let big = form(&[part("a", None, &[b'x'; 300])]);
    let body = problem(&post_form(addr, "/small-body", &big).await, 413);
    assert_eq!(body["limit"], 256);
    let mut connection = Connection::open(addr).await;
    let mut request = format!(
        "POST /small-body HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary={BOUNDARY}\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
        big.len()
    )
    .into_bytes();
    request.extend_from_slice(&big);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    connection.send(&request).await;
    let response = connection.read_response(false).await;
    assert_eq!(problem(&response, 413)["limit"], 256);

    // The declared length alone is refused: no body is sent, the 413 comes.
    let mut connection = Connection::open(addr).await;
    connection
        .send(
            format!(
                "POST /small-body HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary={BOUNDARY}\r\ncontent-length: 100000\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
    assert_eq!(
        problem(&connection.read_response(false).await, 413)["limit"],
        256
    );

    // A file name does not lift a text field's limit when the value is read into memory.
    let body = form(&[part("title", Some("x.txt"), &[b'x'; 100])]);
    let body = problem(&post_form(addr, "/texts", &body).await, 413);
    assert_eq!(
        body["detail"],
        "field `title` is larger than the in-memory limit of 16 bytes"
    );
    // A limit set for one name (the last one set counts).
    let body = form(&[part("bio", None, &[b'b'; 32]), part("x", None, b"1")]);
    assert_eq!(
        String::from_utf8_lossy(&post_form(addr, "/texts", &body).await.body),
        format!("{},1", "b".repeat(32))
    );
    let body = form(&[part("bio", None, &[b'b'; 33])]);
    let body = problem(&post_form(addr, "/texts", &body).await, 413);
    assert_eq!(
        body["detail"],
        "field `bio` is larger than the field limit of 32 bytes"
    );

    // A field skipped unread is held to its limit as well (64 KiB by default).
    let parts = [
        part("one", None, b"1"),
        part("two", None, &vec![b'2'; 70 * 1024]),
    ];
    let body = problem(&post_form(addr, "/first", &form(&parts)).await, 413);
    assert_eq!(body["field"], "two");

    // Unread fields are skipped within the limits too.
    let parts = [
        part("one", None, b"1"),
        part("two", None, b"2"),
        part("three", None, b"3"),
    ];
    let response = post_form(addr, "/first", &form(&parts)).await;
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        "Some(\"one\") then 2"
    );

    // And the server still serves.
    let body = form(&[part("doc", Some("ok.txt"), b"fine")]);
    assert_eq!(post_form(addr, "/upload", &body).await.status, 200);
    assert_eq!(dir.files(), ["ok.txt"]);
}

#[tokio::test]
async fn bad_bodies_get_a_4xx_that_says_what_was_wrong() {
    let dir = TempDir::new("bad");
    let addr = common::spawn(app(&dir.0)).await;

    // Not multipart at all: 415, naming what was sent.
    let response = post_raw(addr, "/upload", "application/json", b"{}").await;
    let body = problem(&response, 415);
    assert_eq!(
        body["detail"],
        "expected a `multipart/form-data` body, got `application/json`"
    );

    // Multipart without a boundary: 400.
    let response = post_raw(addr, "/upload", "multipart/form-data", b"--x--").await;
    let body = problem(&response, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("boundary"),
        "{body}"
    );

    // Garbage where the parts should be.
    let response = post_form(addr, "/upload", b"this is not multipart at all").await;
    let body = problem(&response, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("malformed multipart body"),
        "{body}"
    );

    // A body without its closing boundary.
    let mut truncated = part("doc", Some("half.txt"), b"half of it");
    truncated.truncate(truncated.len() - 4);
    let response = post_form(addr, "/upload", &truncated).await;
    let body = problem(&response, 400);
    assert_eq!(
        body["detail"],
        "malformed multipart body: the body ended before its closing boundary"
    );
    assert!(dir.files().is_empty(), "{:?}", dir.files());

    // A header section that never ends is cut off near its limit (64 KiB),
    // not buffered: 100 KiB is refused.
    let mut endless =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x\"\r\nX-Pad: ")
            .into_bytes();
    endless.extend(std::iter::repeat_n(b'a', 100 * 1024));
    let response = post_form(addr, "/upload", &endless).await;
    let body = problem(&response, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("headers did not end"),
        "{body}"
    );

    // A client that goes away in the middle of a file: nothing is kept,
    // and the server serves the next client.
    let mut connection = Connection::open(addr).await;
    let file = part("doc", Some("cut.txt"), &[b'z'; 600]);
    let mut request = format!(
        "POST /upload HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary={BOUNDARY}\r\ncontent-length: 100000\r\n\r\n"
    )
    .into_bytes();
    request.extend_from_slice(&file[..400]);
    connection.send(&request).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(connection);
    let body = form(&[part("doc", Some("after.txt"), b"still here")]);
    let response = post_form(addr, "/upload", &body).await;
    assert_eq!(response.status, 200);
    // The cut upload's handler ends when its body errors; give it a moment.
    for _ in 0..100 {
        if dir.files() == ["after.txt"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(dir.files(), ["after.txt"]);
}

#[tokio::test]
async fn a_large_file_arriving_at_once_is_not_taken_for_a_large_header() {
    let dir = TempDir::new("large");
    let file = vec![b'L'; 3 * 1024 * 1024];
    let body = form(&[
        part("a", None, b"first"),
        part("big", Some("big.bin"), &file),
        part("b", None, b"last"),
    ]);

    // In one write over TCP.
    let addr = common::spawn(app(&dir.0)).await;
    let response = post_form(addr, "/count", &body).await;
    assert_eq!(response.ok_text(), (file.len() + 9).to_string());

    // In one chunk, through the test client.
    let client = waypost::TestClient::new(app(&dir.0));
    let response = client
        .post("/count")
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await;
    assert_eq!(response.status(), 200, "{}", response.text());
    assert_eq!(response.text(), (file.len() + 9).to_string());
}

#[tokio::test]
async fn an_upload_cut_off_by_a_timeout_leaves_no_file() {
    let dir = TempDir::new("deadline");
    let addr = common::spawn(app(&dir.0)).await;
    let mut connection = Connection::open(addr).await;
    let file = part("doc", Some("slow.txt"), &[b's'; 4000]);
    let mut request = format!(
        "POST /deadline HTTP/1.1\r\nhost: t\r\ncontent-type: multipart/form-data; boundary={BOUNDARY}\r\ncontent-length: 100000\r\n\r\n"
    )
    .into_bytes();
    request.extend_from_slice(&file[..2000]);
    connection.send(&request).await;
    // While the upload is under way it has a hidden temporary name, never
    // the name it will have…
    let mut seen = false;
    for _ in 0..20 {
        let files = dir.files();
        if files.len() == 1 && files[0].starts_with('.') && files[0].ends_with(".part") {
            seen = true;
            break;
        }
        assert!(!files.contains(&"slow.txt".to_owned()), "{files:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(seen, "the upload did not start: {:?}", dir.files());
    // …and not once the deadline dropped the handler (the client is still connected).
    let response = connection.read_response(false).await;
    assert_eq!(
        response.status,
        503,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(dir.files().is_empty(), "{:?}", dir.files());
}

/// Every text field, joined: under whatever limits its scopes set.
#[post("/echo")]
async fn echo_fields(mut form: Multipart) -> Result<String, MultipartError> {
    let mut texts = Vec::new();
    while let Some(field) = form.next_field().await? {
        texts.push(field.text().await?);
    }
    Ok(texts.join(","))
}

#[post("/roomy", wrap = [MultipartLimits::new().field(32)])]
async fn roomy(form: Multipart) -> Result<String, MultipartError> {
    echo_fields(form).await
}

/// Sets only a file limit: the text-field limit of the scopes outside holds.
#[post("/files-only", wrap = [MultipartLimits::new().file(1000)])]
async fn files_only(form: Multipart) -> Result<String, MultipartError> {
    echo_fields(form).await
}

#[post("/raw")]
async fn raw_body(body: waypost::Bytes) -> String {
    body.len().to_string()
}

/// Saves files, with `waypost::Error` as its error type.
#[post("/any-error", wrap = [MultipartLimits::new().file(1024)])]
async fn any_error(
    State(Uploads(dir)): State<Uploads>,
    mut form: Multipart,
) -> Result<String, waypost::Error> {
    while let Some(field) = form.next_field().await? {
        field.save_in(&dir).await?;
    }
    Ok("saved".into())
}

#[tokio::test]
async fn limits_are_set_per_app_group_and_route_and_the_innermost_wins() {
    let app = App::new()
        .wrap(MultipartLimits::new().field(8))
        .mount("/", routes![echo_fields])
        .group(
            waypost::Group::new("/tight")
                .wrap(MultipartLimits::new().field(4))
                .mount("/", routes![echo_fields, roomy, files_only]),
        );
    let addr = common::spawn(app).await;
    let ten = form(&[part("f", None, b"0123456789")]);
    let six = form(&[part("f", None, b"012345")]);

    // App scope: 8 bytes.
    assert_eq!(post_form(addr, "/echo", &six).await.status, 200);
    assert_eq!(
        problem(&post_form(addr, "/echo", &ten).await, 413)["limit"],
        8
    );
    // Group scope: 4 bytes.
    assert_eq!(
        problem(&post_form(addr, "/tight/echo", &six).await, 413)["limit"],
        4
    );
    // Route scope, inside the group: 32 bytes.
    let response = post_form(addr, "/tight/roomy", &ten).await;
    assert_eq!(String::from_utf8_lossy(&response.body), "0123456789");
    // A route that sets only a file limit keeps the group's text-field limit.
    assert_eq!(
        problem(&post_form(addr, "/tight/files-only", &six).await, 413)["limit"],
        4
    );
}

#[tokio::test]
async fn a_raised_upload_limit_applies_to_uploads_only() {
    let app = App::new()
        .wrap(MultipartLimits::new().body(8 * 1024 * 1024))
        .mount("/", routes![raw_body, echo_fields]);
    let addr = common::spawn(app).await;
    // 3 MiB of JSON: over the app's 2 MiB body limit, which uploads do not raise.
    let json = vec![b'1'; 3 * 1024 * 1024];
    let body = problem(
        &post_raw(addr, "/raw", "application/json", &json).await,
        413,
    );
    assert_eq!(body["limit"], 2 * 1024 * 1024);
    // 3 MiB as a multipart upload: within the raised limit (the field's own
    // limit is what refuses it).
    let upload = form(&[part("f", None, &json)]);
    let body = problem(&post_form(addr, "/echo", &upload).await, 413);
    assert_eq!(body["field"], "f");
    assert_eq!(body["limit"], 64 * 1024);
}

#[tokio::test]
async fn upload_errors_keep_their_status_through_waypost_error() {
    let dir = TempDir::new("any-error");
    let app = App::new()
        .state(Uploads(dir.0.clone()))
        .mount("/", routes![any_error]);
    let addr = common::spawn(app).await;
    let body = form(&[part("doc", Some("big.bin"), &[b'b'; 2000])]);
    let response = post_form(addr, "/any-error", &body).await;
    let body = problem(&response, 413);
    assert_eq!(body["field"], "doc");
    let response = post_raw(addr, "/any-error", "text/plain", b"x").await;
    problem(&response, 415);
    assert!(dir.files().is_empty(), "{:?}", dir.files());
}
