//! Files over real TCP: a served directory (`App::files`) and `NamedFile`
//! from handlers, with content types, validators, conditional requests,
//! ranges, HEAD, precompressed siblings, index files, and what is refused
//! (traversal, hidden files, links out of the directory).

mod common;

use std::path::{Path, PathBuf};

use common::{Connection, RawResponse, TempDir};
use waypost::files::{FileError, NamedFile, StaticFiles};
use waypost::{get, routes, App, BuildError, Json};

/// 0..=255 repeated: every range has bytes a test can predict.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> RawResponse {
    let mut connection = Connection::open(addr).await;
    let mut raw = format!("{method} {path} HTTP/1.1\r\nhost: test\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    connection.send(raw.as_bytes()).await;
    connection.read_response(method == "HEAD").await
}

async fn get(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    request(addr, "GET", path, headers).await
}

fn site() -> (TempDir, Vec<u8>) {
    let dir = TempDir::new("site");
    let data = pattern(10_000);
    dir.write("data.bin", &data);
    dir.write("index.html", "<h1>home</h1>");
    dir.write("css/site.css", "body { color: black }");
    dir.write("docs/index.html", "<h1>docs</h1>");
    dir.write("empty/.keep", "");
    dir.write("nothing.txt", "");
    dir.write(".env", "SECRET=1");
    dir.write("app.js", "console.log('plain')");
    dir.write("app.js.br", "brotli bytes");
    dir.write("app.js.gz", "gzip bytes");
    (dir, data)
}

#[tokio::test]
async fn a_served_directory_answers_like_a_file_server() {
    let (dir, data) = site();
    let addr = common::spawn(App::new().files("/static", &dir.0)).await;

    let response = get(addr, "/static/css/site.css", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"body { color: black }");
    assert_eq!(
        response.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(response.header("content-length"), Some("21"));
    assert_eq!(response.header("accept-ranges"), Some("bytes"));
    let etag = response.header("etag").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let modified = response.header("last-modified").unwrap().to_owned();
    assert!(modified.ends_with(" GMT"), "{modified}");

    let response = get(addr, "/static/data.bin", &[]).await;
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(response.body, data);

    // HEAD: the same head, no body.
    let response = request(addr, "HEAD", "/static/css/site.css", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("21"));
    assert_eq!(response.header("etag"), Some(etag.as_str()));

    // Conditional requests.
    let response = get(addr, "/static/css/site.css", &[("if-none-match", &etag)]).await;
    assert_eq!(response.status, 304);
    assert!(response.body.is_empty());
    assert_eq!(response.header("etag"), Some(etag.as_str()));
    let response = get(
        addr,
        "/static/css/site.css",
        &[("if-modified-since", &modified)],
    )
    .await;
    assert_eq!(response.status, 304);
    let response = get(
        addr,
        "/static/css/site.css",
        &[("if-none-match", "\"stale\"")],
    )
    .await;
    assert_eq!(response.status, 200);
    let response = get(addr, "/static/css/site.css", &[("if-match", "\"stale\"")]).await;
    assert_eq!(response.status, 412);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );

    // Other methods: 405, with the methods that are allowed.
    let response = request(addr, "DELETE", "/static/css/site.css", &[]).await;
    assert_eq!(response.status, 405);
    assert!(response.header("allow").unwrap().contains("GET"));
}

#[tokio::test]
async fn ranges_one_several_and_unsatisfiable() {
    let (dir, data) = site();
    let addr = common::spawn(App::new().files("/static", &dir.0)).await;

    let response = get(addr, "/static/data.bin", &[("range", "bytes=100-199")]).await;
    assert_eq!(response.status, 206);
    assert_eq!(
        response.header("content-range"),
        Some("bytes 100-199/10000")
    );
    assert_eq!(response.header("content-length"), Some("100"));
    assert_eq!(response.body, &data[100..200]);

    let response = get(addr, "/static/data.bin", &[("range", "bytes=-10")]).await;
    assert_eq!(
        response.header("content-range"),
        Some("bytes 9990-9999/10000")
    );
    assert_eq!(response.body, &data[9990..]);

    let response = get(addr, "/static/data.bin", &[("range", "bytes=9000-")]).await;
    assert_eq!(response.body, &data[9000..]);

    // Several ranges: multipart/byteranges, each part with its own Content-Range.
    let response = get(
        addr,
        "/static/data.bin",
        &[("range", "bytes=0-9, 5000-5009, 9995-")],
    )
    .await;
    assert_eq!(response.status, 206);
    let content_type = response.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let parts = byteranges(&response.body, boundary);
    assert_eq!(parts.len(), 3);
    for ((content_range, body), (start, end)) in
        parts.iter().zip([(0, 10), (5000, 5010), (9995, 10000)])
    {
        assert_eq!(content_range, &format!("bytes {start}-{}/10000", end - 1));
        assert_eq!(body.as_slice(), &data[start..end]);
    }

    // Out of the file: 416 with the length.
    let response = get(addr, "/static/data.bin", &[("range", "bytes=20000-")]).await;
    assert_eq!(response.status, 416);
    assert_eq!(response.header("content-range"), Some("bytes */10000"));
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );

    // If-Range with a stale tag: the whole file.
    let response = get(
        addr,
        "/static/data.bin",
        &[("range", "bytes=0-9"), ("if-range", "\"old\"")],
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 10_000);
    let etag = response.header("etag").unwrap().to_owned();
    let response = get(
        addr,
        "/static/data.bin",
        &[("range", "bytes=0-9"), ("if-range", &etag)],
    )
    .await;
    assert_eq!(response.status, 206);

    // A Range that is not bytes is ignored.
    let response = get(addr, "/static/data.bin", &[("range", "lines=1-2")]).await;
    assert_eq!(response.status, 200);
}

/// The parts of a `multipart/byteranges` body: `(Content-Range, bytes)`.
fn byteranges(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let text = body.to_vec();
    let mut parts = Vec::new();
    let mut at = 0;
    while let Some(start) = find(&text[at..], delimiter.as_bytes()).map(|i| i + at) {
        let after = start + delimiter.len();
        if text[after..].starts_with(b"--") {
            break;
        }
        let head_end = find(&text[after..], b"\r\n\r\n").unwrap() + after;
        let head = String::from_utf8_lossy(&text[after..head_end]).to_string();
        let content_range = head
            .lines()
            .find_map(|line| line.strip_prefix("content-range: "))
            .unwrap()
            .to_owned();
        let next =
            find(&text[head_end..], format!("\r\n{delimiter}").as_bytes()).unwrap() + head_end;
        parts.push((content_range, text[head_end + 4..next].to_vec()));
        at = next + 2;
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[tokio::test]
async fn indexes_redirects_and_what_is_refused() {
    let (dir, _) = site();
    let outside = TempDir::new("outside");
    outside.write("secret.txt", "outside the root");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.0.join("secret.txt"), dir.0.join("escape.txt")).unwrap();
        std::os::unix::fs::symlink(dir.0.join("css/site.css"), dir.0.join("inside.css")).unwrap();
    }
    let app = App::new().files("/static", &dir.0).files(
        "/linked",
        StaticFiles::new(&dir.0).allow_symlinks_outside(true),
    );
    let addr = common::spawn(app).await;

    // A directory is its index, reached with a trailing slash.
    let response = get(addr, "/static", &[]).await;
    assert_eq!(response.status, 308);
    assert_eq!(response.header("location"), Some("./static/"));
    let response = get(addr, "/static/", &[]).await;
    assert_eq!(response.body, b"<h1>home</h1>");
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let response = get(addr, "/static/docs?lang=en", &[]).await;
    assert_eq!(response.status, 308);
    assert_eq!(response.header("location"), Some("./docs/?lang=en"));
    assert_eq!(get(addr, "/static/docs/", &[]).await.body, b"<h1>docs</h1>");
    // No index, no listing.
    let response = get(addr, "/static/empty/", &[]).await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(get(addr, "/static/missing.txt", &[]).await.status, 404);

    // Traversal, encoded separators and hidden files: 400, saying why.
    for path in [
        "/static/../../etc/passwd",
        "/static/..%2F..%2Fetc%2Fpasswd",
        "/static/css%2Fsite.css",
        "/static/css/..%5C..%5Csecret",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/.env",
        "/static/a%00b",
    ] {
        let response = get(addr, path, &[]).await;
        assert_eq!(
            response.status,
            400,
            "{path}: {}",
            String::from_utf8_lossy(&response.body)
        );
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("the file path is refused"),
            "{body}"
        );
    }

    #[cfg(unix)]
    {
        // A link out of the directory is not followed unless allowed.
        assert_eq!(get(addr, "/static/escape.txt", &[]).await.status, 404);
        let response = get(addr, "/linked/escape.txt", &[]).await;
        assert_eq!(response.body, b"outside the root");
        // A link that stays inside is served.
        assert_eq!(
            get(addr, "/static/inside.css", &[]).await.body,
            b"body { color: black }"
        );
    }
}

#[tokio::test]
async fn precompressed_siblings_follow_accept_encoding() {
    let (dir, _) = site();
    let addr = common::spawn(
        App::new().files(
            "/assets",
            StaticFiles::new(&dir.0)
                .precompressed(true)
                .cache_control("public, max-age=60"),
        ),
    )
    .await;

    let response = get(
        addr,
        "/assets/app.js",
        &[("accept-encoding", "gzip, deflate, br")],
    )
    .await;
    assert_eq!(response.body, b"brotli bytes");
    assert_eq!(response.header("content-encoding"), Some("br"));
    assert_eq!(
        response.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(response.header("vary"), Some("accept-encoding"));
    assert_eq!(response.header("cache-control"), Some("public, max-age=60"));
    let br_tag = response.header("etag").unwrap().to_owned();

    let response = get(addr, "/assets/app.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!(response.body, b"gzip bytes");
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let gzip_tag = response.header("etag").unwrap().to_owned();

    let response = get(addr, "/assets/app.js", &[]).await;
    assert_eq!(response.body, b"console.log('plain')");
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.header("vary"), Some("accept-encoding"));
    let plain_tag = response.header("etag").unwrap().to_owned();
    assert!(
        br_tag != gzip_tag && gzip_tag != plain_tag,
        "{br_tag} {gzip_tag} {plain_tag}"
    );

    // No sibling: the file itself.
    let response = get(addr, "/assets/css/site.css", &[("accept-encoding", "br")]).await;
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.body, b"body { color: black }");
}

#[derive(Clone)]
struct Root(PathBuf);

/// A download chosen by a handler, with extractors.
#[get("/download/<name>")]
async fn download(
    name: String,
    waypost::State(Root(root)): waypost::State<Root>,
) -> Result<NamedFile, FileError> {
    Ok(NamedFile::open(root.join(name))
        .await?
        .attachment("data file.bin"))
}

/// The file `fixed` serves, set by its test.
static FIXED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Without extractors (the shim's other path).
#[get("/fixed")]
async fn fixed() -> Result<NamedFile, FileError> {
    NamedFile::open(FIXED.get().unwrap()).await
}

/// A file wrapped with a status and headers of the handler's own.
#[get("/wrapped")]
async fn wrapped(
    waypost::State(Root(root)): waypost::State<Root>,
) -> Result<([(&'static str, &'static str); 2], NamedFile), FileError> {
    Ok((
        [("cache-control", "no-cache"), ("content-type", "text/csv")],
        NamedFile::open(root.join("data.bin"))
            .await?
            .attachment("data.csv"),
    ))
}

/// A file turned into a `Response` first: sent whole, and says so.
#[get("/as-response")]
async fn as_response(waypost::State(Root(root)): waypost::State<Root>) -> waypost::Response {
    use waypost::IntoResponse;
    NamedFile::open(root.join("data.bin")).await.into_response()
}

/// `waypost::Error` keeps a file error's status.
#[get("/any-error/<name>")]
async fn any_error(
    name: String,
    waypost::State(Root(root)): waypost::State<Root>,
) -> Result<NamedFile, waypost::Error> {
    Ok(NamedFile::open(root.join(name)).await?)
}

#[get("/sizes")]
async fn sizes(waypost::State(Root(root)): waypost::State<Root>) -> Json<u64> {
    Json(
        NamedFile::open(root.join("data.bin"))
            .await
            .map_or(0, |file| file.len()),
    )
}

#[tokio::test]
async fn named_files_from_handlers_answer_ranges_and_conditions() {
    let (dir, data) = site();
    FIXED.set(dir.0.join("data.bin")).unwrap();
    let app = App::new().state(Root(dir.0.clone())).mount(
        "/",
        routes![download, fixed, wrapped, sizes, as_response, any_error],
    );
    let addr = common::spawn(app).await;

    let response = get(addr, "/download/data.bin", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, data);
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename=\"data file.bin\"; filename*=UTF-8''data%20file.bin")
    );
    let etag = response.header("etag").unwrap().to_owned();

    let response = get(addr, "/download/data.bin", &[("range", "bytes=10-19")]).await;
    assert_eq!(response.status, 206);
    assert_eq!(response.body, &data[10..20]);
    assert!(response.header("content-disposition").is_some());
    let response = get(addr, "/download/data.bin", &[("if-none-match", &etag)]).await;
    assert_eq!(response.status, 304);

    let response = get(addr, "/fixed", &[("range", "bytes=-5")]).await;
    assert_eq!(response.status, 206);
    assert_eq!(response.body, &data[data.len() - 5..]);

    // The handler's headers: kept on a 206 (its content type included), its
    // caching headers on a 304, none of them on a problem.
    let response = get(addr, "/wrapped", &[("range", "bytes=0-0")]).await;
    assert_eq!(response.status, 206);
    assert_eq!(response.body, &data[..1]);
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("content-type"), Some("text/csv"));
    let etag = response.header("etag").unwrap().to_owned();
    let response = get(addr, "/wrapped", &[("if-none-match", &etag)]).await;
    assert_eq!(response.status, 304);
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    let response = get(addr, "/wrapped", &[("range", "bytes=999999-")]).await;
    assert_eq!(response.status, 416);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(response.header("content-disposition"), None);
    assert_eq!(response.header("etag"), None);

    let response = get(addr, "/download/nothing.bin", &[]).await;
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    // A directory is not a file.
    assert_eq!(get(addr, "/download/docs", &[]).await.status, 404);
    assert_eq!(get(addr, "/sizes", &[]).await.body, b"10000");

    // Turned into a `Response` in the handler: the whole file, without
    // claiming ranges it does not answer.
    let response = get(addr, "/as-response", &[("range", "bytes=0-9")]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, data);
    assert_eq!(response.header("accept-ranges"), None);
    // Through `waypost::Error`, a missing file is still a 404.
    let response = get(addr, "/any-error/missing.bin", &[]).await;
    assert_eq!(response.status, 404);
    assert_eq!(
        get(addr, "/any-error/data.bin", &[("range", "bytes=0-0")])
            .await
            .status,
        206
    );
}

#[test]
fn a_missing_directory_fails_the_build() {
    let missing = Path::new("/nonexistent/waypost/assets");
    let error = App::new()
        .files("/static", missing)
        .build()
        .err()
        .expect("the build fails");
    assert!(matches!(error, BuildError::InvalidFiles { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with(
            "the files served at `/static` cannot be served: `/nonexistent/waypost/assets`"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn edge_cases_of_ranges_and_conditions() {
    let (dir, data) = site();
    let addr = common::spawn(App::new().files("/static", &dir.0)).await;

    // An empty file has no range: it is sent whole, empty.
    let response = get(addr, "/static/nothing.txt", &[("range", "bytes=-5")]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("0"));

    // HEAD answered 304 announces no length.
    let etag = get(addr, "/static/data.bin", &[])
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let response = request(
        addr,
        "HEAD",
        "/static/data.bin",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(response.status, 304);
    assert_eq!(response.header("content-length"), None);

    // A list sent on several lines is read whole.
    let response = get(
        addr,
        "/static/data.bin",
        &[("if-match", "\"other\""), ("if-match", &etag)],
    )
    .await;
    assert_eq!(response.status, 200);

    // Several ranges that do not overlap come in the order asked for.
    let response = get(
        addr,
        "/static/data.bin",
        &[("range", "bytes=5000-5009, 0-9")],
    )
    .await;
    let content_type = response.header("content-type").unwrap().to_owned();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap();
    let parts = byteranges(&response.body, boundary);
    assert_eq!(parts[0].0, "bytes 5000-5009/10000");
    assert_eq!(parts[0].1, &data[5000..5010]);
    assert_eq!(parts[1].0, "bytes 0-9/10000");
}

#[tokio::test]
async fn a_directory_at_the_root_redirects_only_to_itself() {
    let (dir, _) = site();
    let addr = common::spawn(App::new().files("/", &dir.0)).await;
    assert_eq!(get(addr, "/", &[]).await.body, b"<h1>home</h1>");
    assert_eq!(
        get(addr, "/css/site.css", &[]).await.body,
        b"body { color: black }"
    );
    // `//docs` must not send the client to a host called `docs`.
    let response = get(addr, "//docs", &[]).await;
    assert_eq!(response.status, 308);
    assert_eq!(response.header("location"), Some("./docs/"));
}

#[cfg(unix)]
#[tokio::test]
async fn links_out_of_the_root_or_to_hidden_files_are_not_followed() {
    let (dir, _) = site();
    let outside = TempDir::new("outside-links");
    outside.write("secret/index.html", "outside index");
    outside.write("app.css.gz", "outside sibling");
    outside.write("page.html", "outside page");
    let link =
        |target: PathBuf, name: &str| std::os::unix::fs::symlink(target, dir.0.join(name)).unwrap();
    // A linked directory, an index that is a link, a precompressed sibling
    // that is a link, and a link to a hidden file inside the root.
    link(outside.0.join("secret"), "linked-dir");
    std::fs::create_dir_all(dir.0.join("sub")).unwrap();
    link(outside.0.join("page.html"), "sub/index.html");
    dir.write("app.css", "inside css");
    link(outside.0.join("app.css.gz"), "app.css.gz");
    link(dir.0.join(".env"), "env.txt");
    let app = App::new().files("/s", StaticFiles::new(&dir.0).precompressed(true));
    let addr = common::spawn(app).await;

    let response = get(addr, "/s/linked-dir", &[]).await;
    assert_eq!(
        response.status, 404,
        "no redirect tells the directory exists"
    );
    assert_eq!(get(addr, "/s/linked-dir/", &[]).await.status, 404);
    assert_eq!(get(addr, "/s/sub/", &[]).await.status, 404);
    let response = get(addr, "/s/app.css", &[("accept-encoding", "gzip")]).await;
    assert_eq!(
        response.body, b"inside css",
        "the sibling out of the root is skipped"
    );
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(get(addr, "/s/env.txt", &[]).await.status, 404);
}

#[tokio::test]
async fn compression_leaves_files_and_ranges_alone() {
    let (dir, data) = site();
    let big_text = "waypost ".repeat(4000);
    dir.write("big.txt", &big_text);
    let app = App::new()
        .wrap(waypost::middleware::Compression::new())
        .files("/static", &dir.0);
    let addr = common::spawn(app).await;
    let response = get(addr, "/static/big.txt", &[("accept-encoding", "gzip")]).await;
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.body, big_text.as_bytes());
    let response = get(
        addr,
        "/static/data.bin",
        &[
            ("accept-encoding", "gzip"),
            ("range", "bytes=0-2999,5000-9999"),
        ],
    )
    .await;
    assert_eq!(response.status, 206);
    assert_eq!(response.header("content-encoding"), None);
    let content_type = response.header("content-type").unwrap().to_owned();
    let parts = byteranges(
        &response.body,
        content_type
            .strip_prefix("multipart/byteranges; boundary=")
            .unwrap(),
    );
    assert_eq!(parts[1].1, &data[5000..]);
}

#[waypost::middleware]
async fn stamp(request: waypost::Request, next: waypost::Next) -> waypost::Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert("x-group", waypost::http::HeaderValue::from_static("docs"));
    response
}

#[tokio::test]
async fn a_group_serves_files_under_its_prefix_through_its_middleware() {
    let (dir, _) = site();
    let app = App::new().group(
        waypost::Group::new("/api")
            .wrap(stamp)
            .files("/docs", &dir.0),
    );
    let addr = common::spawn(app).await;
    let response = get(addr, "/api/docs/css/site.css", &[]).await;
    assert_eq!(response.body, b"body { color: black }");
    assert_eq!(response.header("x-group"), Some("docs"));
    assert_eq!(get(addr, "/api/docs/", &[]).await.body, b"<h1>home</h1>");
    assert_eq!(get(addr, "/docs/css/site.css", &[]).await.status, 404);
    let mut routes: Vec<String> = App::new()
        .group(waypost::Group::new("/api").files("/docs", &dir.0))
        .routes()
        .unwrap()
        .into_iter()
        .filter(|route| route.handler == "waypost::files::static_files")
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        ["GET /api/docs", "GET /api/docs/", "GET /api/docs/<path..>"]
    );
}
