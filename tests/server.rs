//! The server over real TCP: timeouts, the connection cap, wire checks and graceful shutdown.

mod common;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Connection, STEP};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use waypost::{get, routes, App, ServeError, Server};

#[get("/")]
async fn index() -> &'static str {
    "hello"
}

#[get("/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "done"
}

#[get("/forever")]
async fn forever() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

/// Larger than what the kernel's socket buffers hold between server and client.
const BIG: usize = 64 << 20;

#[get("/big")]
async fn big() -> waypost::Bytes {
    waypost::Bytes::from(vec![b'x'; BIG])
}

#[waypost::post("/upload")]
async fn upload(body: waypost::Bytes) -> String {
    body.len().to_string()
}

fn app() -> App {
    App::new().mount("/", routes![index, slow, forever, upload, big])
}

/// A server on 127.0.0.1:0, configured by `configure`, stopped by the returned sender.
async fn start(
    configure: impl FnOnce(Server) -> Server,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<Result<(), ServeError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = configure(app().serve_listener(listener)).with_graceful_shutdown(async {
        let _ = stopped.await;
    });
    (addr, stop, tokio::spawn(server.into_future()))
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";

#[tokio::test]
async fn a_client_trickling_its_head_is_closed_at_the_header_timeout_while_others_are_served() {
    let (addr, _stop, _server) =
        start(|server| server.header_read_timeout(Duration::from_millis(300))).await;
    let mut slow = Connection::open(addr).await;
    slow.send(b"GET / HTTP/1.1\r\nHost: te").await;
    // One that starts like HTTP/2's preface, and is not it, is timed the same.
    let mut lookalike = Connection::open(addr).await;
    lookalike.send(b"PRI /x HTTP/1.1\r\nHost: te").await;
    let mut normal = Connection::open(addr).await;
    normal.send(GET).await;
    assert_eq!(normal.read_response(false).await.status, 200);
    let started = Instant::now();
    assert!(
        slow.closed_within(Duration::from_secs(3)).await,
        "the slow client was never closed"
    );
    assert!(
        lookalike.closed_within(Duration::from_secs(3)).await,
        "the client whose head starts with `PRI ` was never closed"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn an_idle_connection_is_closed_at_the_keep_alive_timeout_not_the_header_timeout() {
    let (addr, _stop, _server) = start(|server| {
        server
            .header_read_timeout(Duration::from_millis(150))
            .keep_alive_timeout(Duration::from_millis(600))
    })
    .await;
    let mut connection = Connection::open(addr).await;
    connection.send(GET).await;
    assert_eq!(connection.read_response(false).await.status, 200);
    // Idle for longer than the header timeout: still open, and usable.
    tokio::time::sleep(Duration::from_millis(350)).await;
    connection.send(GET).await;
    assert_eq!(connection.read_response(false).await.status, 200);
    // Then idle past the keep-alive timeout: closed, at about that time.
    let idle = Instant::now();
    assert!(connection.closed_within(Duration::from_secs(3)).await);
    let closed_after = idle.elapsed();
    assert!(
        closed_after >= Duration::from_millis(500) && closed_after < Duration::from_millis(1500),
        "closed after {closed_after:?}"
    );
}

#[tokio::test]
async fn a_head_begun_on_an_idle_connection_is_timed_from_its_first_byte() {
    let (addr, _stop, _server) = start(|server| {
        server
            .header_read_timeout(Duration::from_millis(200))
            .keep_alive_timeout(Duration::from_secs(3))
    })
    .await;
    let mut connection = Connection::open(addr).await;
    connection.send(GET).await;
    assert_eq!(connection.read_response(false).await.status, 200);
    // Idle past the header timeout (not past keep-alive), then half a head.
    tokio::time::sleep(Duration::from_millis(300)).await;
    connection.send(b"GET / HTTP/1.1\r\nHo").await;
    let began = Instant::now();
    assert!(connection.closed_within(Duration::from_secs(5)).await);
    let closed_after = began.elapsed();
    assert!(
        closed_after >= Duration::from_millis(150) && closed_after < Duration::from_millis(1500),
        "closed {closed_after:?} after the head began, not at its header timeout"
    );
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_at_the_keep_alive_timeout_not_the_header_timeout() {
    let (addr, _stop, _server) = start(|server| {
        server
            .header_read_timeout(Duration::from_millis(150))
            .keep_alive_timeout(Duration::from_millis(900))
    })
    .await;
    let (mut sender, connection) = common::h2_connect(addr).await;
    let get = || {
        http::Request::get(format!("http://{addr}/"))
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap()
    };
    let response = sender.send_request(get()).await.expect("first request");
    assert_eq!(response.status(), 200);
    // The client's frames after a response (settings acks, window updates)
    // begin no request head: past the header timeout the connection is still open.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = sender.send_request(get()).await.expect("second request");
    assert_eq!(response.status(), 200);
    let idle = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(5), connection)
        .await
        .expect("the idle HTTP/2 connection was closed");
    let closed_after = idle.elapsed();
    let _ = ended;
    assert!(
        closed_after >= Duration::from_millis(700) && closed_after < Duration::from_millis(2500),
        "closed after {closed_after:?}"
    );
}

#[tokio::test]
async fn timeouts_too_long_to_count_mean_never_and_break_nothing() {
    let (addr, _stop, _server) = start(|server| {
        server
            .header_read_timeout(Duration::MAX)
            .keep_alive_timeout(Duration::MAX)
    })
    .await;
    let mut connection = Connection::open(addr).await;
    connection.send(GET).await;
    assert_eq!(connection.read_response(false).await.status, 200);
    // Past the watchdog's first look at the idle connection (once a second at most).
    tokio::time::sleep(Duration::from_millis(1300)).await;
    connection.send(GET).await;
    assert_eq!(connection.read_response(false).await.status, 200);
    let mut another = Connection::open(addr).await;
    another.send(GET).await;
    assert_eq!(another.read_response(false).await.status, 200);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_at_the_send_timeout_and_a_slow_one_is_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The keep-alive timeout is shorter than the slow reader's download: a
    // response still going out is no idle connection.
    let (addr, _stop, _server) = start(|server| {
        server
            .send_timeout(Duration::from_secs(1))
            .keep_alive_timeout(Duration::from_secs(1))
    })
    .await;
    let request = b"GET /big HTTP/1.1\r\nHost: test\r\n\r\n";
    // Takes nothing for a while, then reads what there is: cut off, short of the body.
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled.write_all(request).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut received = 0;
    let mut chunk = vec![0u8; 1 << 20];
    let cut = tokio::time::timeout(STEP, async {
        loop {
            match stalled.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received += n,
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "the stalled client was never cut off");
    assert!(received < BIG, "the stalled client got the whole body");
    // One that keeps taking bytes, more slowly than the server writes, for
    // longer than the keep-alive timeout, gets it all.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(request).await.unwrap();
    let mut received = 0;
    let whole = tokio::time::timeout(Duration::from_secs(20), async {
        let mut chunk = vec![0u8; 4 << 20];
        while received < BIG {
            let mut taken = 0;
            while taken < chunk.len() {
                match slow.read(&mut chunk[taken..]).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => taken += n,
                }
            }
            received += taken;
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        true
    })
    .await;
    assert_eq!(
        whole,
        Ok(true),
        "the slow reader was cut off after {received} bytes"
    );
}

#[tokio::test]
async fn a_request_in_flight_is_not_cut_by_connection_timeouts() {
    let (addr, _stop, _server) = start(|server| {
        server
            .header_read_timeout(Duration::from_millis(100))
            .keep_alive_timeout(Duration::from_millis(100))
    })
    .await;
    let mut connection = Connection::open(addr).await;
    connection
        .send(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"done"[..])
    );
}

#[tokio::test]
async fn past_the_connection_cap_accepting_waits_and_nothing_busy_is_reset() {
    let (addr, _stop, _server) = start(|server| server.max_connections(2)).await;
    let mut first = Connection::open(addr).await;
    let mut second = Connection::open(addr).await;
    for connection in [&mut first, &mut second] {
        connection
            .send(b"GET /forever HTTP/1.1\r\nHost: test\r\n\r\n")
            .await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The third connects (the kernel's backlog) but is not served while two
    // are busy: neither is cut to make room.
    let mut third = Connection::open(addr).await;
    third.send(GET).await;
    let waited = tokio::time::timeout(Duration::from_millis(300), third.read_response(false)).await;
    assert!(waited.is_err(), "served past the cap");
    assert!(!second.closed_within(Duration::from_millis(10)).await);
    drop(first);
    assert_eq!(third.read_response(false).await.status, 200);
}

#[tokio::test]
async fn at_the_connection_cap_the_longest_idle_connection_is_closed_for_a_new_client() {
    let (addr, _stop, _server) = start(|server| server.max_connections(2)).await;
    let mut first = Connection::open(addr).await;
    first.send(GET).await;
    assert_eq!(first.read_response(false).await.status, 200);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut second = Connection::open(addr).await;
    second.send(GET).await;
    assert_eq!(second.read_response(false).await.status, 200);
    // Both idle on keep-alive: a new client is served at once, and the
    // connection idle longest is the one closed.
    let mut third = Connection::open(addr).await;
    third.send(GET).await;
    assert_eq!(third.read_response(false).await.status, 200);
    assert!(first.closed_within(STEP).await);
    second.send(GET).await;
    assert_eq!(second.read_response(false).await.status, 200);
}

#[tokio::test]
async fn a_client_waiting_at_the_cap_gets_in_once_busy_connections_fall_idle() {
    let (addr, _stop, _server) = start(|server| server.max_connections(2)).await;
    let mut first = Connection::open(addr).await;
    let mut second = Connection::open(addr).await;
    for connection in [&mut first, &mut second] {
        connection
            .send(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
            .await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Both busy when the third arrives; both stay open, idle, once answered
    // (their clients keep them): the waiting client must not wait for the
    // keep-alive timeout (75 s).
    let mut third = Connection::open(addr).await;
    third.send(GET).await;
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(3), third.read_response(false))
        .await
        .expect("the waiting client was never let in");
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
    for connection in [&mut first, &mut second] {
        assert_eq!(connection.read_response(false).await.status, 200);
    }
}

#[tokio::test]
async fn an_http_1_1_request_without_host_is_answered_400() {
    let (addr, _stop, _server) = start(|server| server).await;
    let mut connection = Connection::open(addr).await;
    connection.send(b"GET / HTTP/1.1\r\n\r\n").await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert!(String::from_utf8_lossy(&response.body).contains("Host"));
    // HTTP/1.0 has no such rule.
    let mut old = Connection::open(addr).await;
    old.send(b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(old.read_response(false).await.status, 200);
}

#[tokio::test]
async fn an_oversized_head_is_answered_431_and_the_server_keeps_serving() {
    let (addr, _stop, _server) = start(|server| server).await;
    let mut connection = Connection::open(addr).await;
    let big = format!(
        "GET / HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    connection.send(big.as_bytes()).await;
    let response = connection.read_response(false).await;
    assert_eq!(response.status, 431);
    assert_problem_body(&response, 431, "larger than the 16384 bytes");
    assert!(connection.closed_within(STEP).await);
    let mut next = Connection::open(addr).await;
    next.send(GET).await;
    assert_eq!(next.read_response(false).await.status, 200);
}

/// A raw response's problem+json body: its status, and a detail containing `says`.
fn assert_problem_body(response: &common::RawResponse, status: u16, says: &str) {
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let body: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON body");
    assert_eq!(body["status"], status);
    let detail = body["detail"].as_str().expect("a detail");
    assert!(detail.contains(says), "{detail}");
}

#[tokio::test]
async fn malformed_requests_get_problem_json_and_the_server_keeps_serving() {
    let (addr, _stop, _server) = start(|server| server).await;
    let cases: [(&[u8], u16, &str); 3] = [
        (
            b"GET / HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n",
            400,
            "not valid HTTP/1.1",
        ),
        (b"BR@KEN\x01 / HTTP/1.1\r\n\r\n", 400, "not valid HTTP/1.1"),
        (
            b"GET / HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            400,
            "not valid HTTP/1.1",
        ),
    ];
    for (raw, status, says) in cases {
        let mut connection = Connection::open(addr).await;
        connection.send(raw).await;
        let response = connection.read_response(false).await;
        assert_eq!(response.status, status, "{}", String::from_utf8_lossy(raw));
        assert_problem_body(&response, status, says);
        assert!(connection.closed_within(STEP).await);
    }
    let mut next = Connection::open(addr).await;
    next.send(GET).await;
    assert_eq!(next.read_response(false).await.status, 200);
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish_and_refuses_new_connections() {
    let (addr, stop, server) = start(|server| server).await;
    let mut busy = Connection::open(addr).await;
    busy.send(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n").await;
    let mut idle = Connection::open(addr).await;
    idle.send(GET).await;
    assert_eq!(idle.read_response(false).await.status, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    // The request in flight completes; its connection then closes, as does the idle one.
    let response = busy.read_response(false).await;
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"done"[..])
    );
    assert!(busy.closed_within(STEP).await);
    assert!(idle.closed_within(STEP).await);
    tokio::time::timeout(STEP, server)
        .await
        .expect("the server future resolves")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn shutdown_cuts_off_what_outlives_the_drain_deadline() {
    let (addr, stop, server) =
        start(|server| server.drain_timeout(Duration::from_millis(300))).await;
    let mut stuck = Connection::open(addr).await;
    stuck
        .send(b"GET /forever HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, server)
        .await
        .expect("the server future resolves")
        .unwrap()
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(stuck.closed_within(STEP).await);
}

#[tokio::test]
async fn serve_binds_an_address_and_reports_what_it_cannot_bind() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let error = app()
        .serve(addr)
        .with_graceful_shutdown(async {})
        .await
        .unwrap_err();
    assert!(matches!(error, ServeError::Bind(_)), "{error}");
    // `fn main() -> Result<(), ServeError>` prints the error's Debug: its message, not a struct dump.
    assert_eq!(format!("{error:?}"), error.to_string());
    assert!(format!("{error:?}").starts_with("could not bind the listening address"));
    // An address it can bind: served until the shutdown future completes.
    let result = app()
        .serve(("127.0.0.1", 0))
        .with_graceful_shutdown(async {})
        .await;
    assert!(result.is_ok());
}

#[tokio::test]
async fn an_early_413_reaches_a_client_that_writes_its_whole_body_before_reading() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _stop, _server) = start(|server| server).await;
    // Over the 2 MiB default limit, and more than loopback socket buffers hold.
    let body_len = 16 * 1024 * 1024;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = format!("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: {body_len}\r\n\r\n");
    // Like python's http.client: the whole body goes out before the response is read.
    let written = tokio::time::timeout(STEP, async {
        write.write_all(head.as_bytes()).await?;
        write.write_all(&vec![b'x'; body_len]).await
    })
    .await
    .expect("writing the body timed out");
    assert!(written.is_ok(), "the body was refused mid-way: {written:?}");
    let mut response = Vec::new();
    let read = tokio::time::timeout(STEP, read.read_to_end(&mut response))
        .await
        .expect("reading the response timed out");
    assert!(read.is_ok(), "the response was lost: {read:?}");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}

#[tokio::test]
async fn serve_listens_on_ipv6_too() {
    // The address is resolved and bound by `serve`, as for IPv4.
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this machine: nothing to check");
        return;
    }
    let probe = std::net::TcpListener::bind("[::1]:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        app()
            .serve(addr)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let mut connection = None;
    for _ in 0..100 {
        if let Ok(stream) = tokio::net::TcpStream::connect(addr).await {
            connection = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(connection.expect("the server listens on [::1]"));
    let mut client = Connection::open(addr).await;
    client.send(GET).await;
    let response = client.read_response(false).await;
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"hello"[..])
    );
    stop.send(()).unwrap();
    tokio::time::timeout(STEP, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_sends_http2_goaway_and_lets_open_streams_finish() {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let (addr, stop, server) = start(|server| server).await;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    let request = |path: &str| {
        http::Request::get(format!("http://test{path}"))
            .body(Empty::<bytes::Bytes>::new())
            .unwrap()
    };
    let slow = sender.send_request(request("/slow"));
    let slow = tokio::spawn(slow);
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    // The stream open at the signal finishes.
    let response = tokio::time::timeout(STEP, slow)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "done");
    // GOAWAY ended the connection: the client's connection task finishes,
    // and no new stream is accepted on it.
    tokio::time::timeout(STEP, connection)
        .await
        .expect("the HTTP/2 connection ends after GOAWAY")
        .unwrap()
        .unwrap();
    assert!(sender.send_request(request("/")).await.is_err());
    tokio::time::timeout(STEP, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
