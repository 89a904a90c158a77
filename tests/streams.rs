//! Streaming bodies and server-sent events over real TCP: backpressure from
//! a client that does not read, events and keep-alive comments as a client
//! sees them, and the handler's stream dropped when the client goes away.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, Stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use waypost::{get, routes, App, Body, Event, KeepAlive, Sse, State};

/// What the test sees of a handler's stream: how many chunks it made, and whether it was dropped.
#[derive(Clone, Default)]
struct Probe {
    produced: Arc<AtomicUsize>,
    dropped: Arc<AtomicBool>,
}

/// Sets `dropped` when the stream that owns it is dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

const CHUNK: usize = 64 * 1024;

/// An endless stream of 64 KiB chunks, made only when polled.
#[get("/endless")]
async fn endless(State(probe): State<Probe>) -> Body {
    let flag = DropFlag(probe.dropped.clone());
    let chunks = stream::unfold((flag, probe), |(flag, probe)| async move {
        probe.produced.fetch_add(1, Ordering::SeqCst);
        Some((Ok::<_, std::io::Error>(vec![b'x'; CHUNK]), (flag, probe)))
    });
    Body::from_byte_stream(chunks)
}

/// Three events, then silence filled by keep-alive comments.
fn three_then_silence(probe: Probe) -> impl Stream<Item = Result<Event, std::io::Error>> + Send {
    let flag = DropFlag(probe.dropped.clone());
    stream::unfold((flag, 1u32), |(flag, n)| async move {
        if n > 3 {
            std::future::pending::<()>().await;
        }
        let event = Event::default()
            .event("tick")
            .id(n.to_string())
            .data(format!("{n}\nof 3"));
        Some((Ok(event), (flag, n + 1)))
    })
}

#[get("/events")]
async fn events(
    State(probe): State<Probe>,
) -> Sse<impl Stream<Item = Result<Event, std::io::Error>>> {
    Sse::new(three_then_silence(probe)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_millis(100))
            .text("still here"),
    )
}

#[get("/quiet-events")]
async fn quiet_events(
    State(probe): State<Probe>,
) -> Sse<impl Stream<Item = Result<Event, std::io::Error>>> {
    Sse::new(three_then_silence(probe)).keep_alive(None)
}

async fn serve(probe: &Probe) -> std::net::SocketAddr {
    common::spawn(
        App::new()
            .state(probe.clone())
            .mount("/", routes![endless, events, quiet_events]),
    )
    .await
}

async fn request(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    socket
        .write_all(format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n").as_bytes())
        .await
        .expect("write");
    socket
}

/// Reads until `text` has been seen (or the step times out), returning all that was read.
async fn read_until(socket: &mut TcpStream, text: &str) -> String {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(common::STEP, async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = socket.read(&mut chunk).await.expect("read");
            assert!(
                n > 0,
                "closed before {text:?}: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&chunk[..n]);
            if String::from_utf8_lossy(&seen).contains(text) {
                return;
            }
        }
    })
    .await;
    let seen = String::from_utf8_lossy(&seen).into_owned();
    assert!(found.is_ok(), "{text:?} never came: {seen}");
    seen
}

async fn dropped_within(probe: &Probe, limit: Duration) -> bool {
    let start = tokio::time::Instant::now();
    while start.elapsed() < limit {
        if probe.dropped.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn a_client_that_does_not_read_slows_the_stream_down() {
    let probe = Probe::default();
    let addr = serve(&probe).await;
    let mut socket = request(addr, "/endless").await;
    let head = read_until(&mut socket, "\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");

    // The client stops reading. Only what the socket buffers hold is made;
    // without backpressure an endless stream would be made as fast as memory allows.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = probe.produced.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = probe.produced.load(Ordering::SeqCst);
    assert!(
        after * CHUNK < 32 * 1024 * 1024,
        "{after} chunks of 64 KiB made for a client that reads nothing"
    );
    assert_eq!(
        before, after,
        "the stream goes on while the client reads nothing"
    );

    // Reading again resumes it.
    let mut buffer = vec![0u8; 1024 * 1024];
    for _ in 0..64 {
        let _ = tokio::time::timeout(common::STEP, socket.read(&mut buffer))
            .await
            .expect("read");
    }
    assert!(probe.produced.load(Ordering::SeqCst) > after);

    drop(socket);
    assert!(
        dropped_within(&probe, Duration::from_secs(5)).await,
        "the stream outlived its client"
    );
}

#[tokio::test]
async fn server_sent_events_arrive_with_keep_alive_comments() {
    let probe = Probe::default();
    let addr = serve(&probe).await;
    let mut socket = request(addr, "/events").await;
    let seen = read_until(&mut socket, ": still here\n\n").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("content-type: text/event-stream"), "{seen}");
    assert!(seen.contains("cache-control: no-cache"), "{seen}");
    for n in 1..=3 {
        let event = format!("event: tick\nid: {n}\ndata: {n}\ndata: of 3\n\n");
        assert!(seen.contains(&event), "{event:?} missing from {seen}");
    }
    // The comments go on while the stream is silent.
    read_until(&mut socket, ": still here\n\n").await;

    drop(socket);
    assert!(
        dropped_within(&probe, Duration::from_secs(5)).await,
        "the event stream outlived its client"
    );
}

#[tokio::test]
async fn a_silent_event_stream_is_dropped_when_its_client_goes_away() {
    let probe = Probe::default();
    let addr = serve(&probe).await;
    let mut socket = request(addr, "/quiet-events").await;
    read_until(&mut socket, "id: 3\ndata: 3\ndata: of 3\n\n").await;
    drop(socket);
    assert!(
        dropped_within(&probe, Duration::from_secs(5)).await,
        "a stream with nothing to write outlived its client"
    );
}
