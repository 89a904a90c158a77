//! Helpers shared by the integration tests: a real server on 127.0.0.1:0 and raw HTTP/1.1 exchanges.

#![allow(dead_code)]

pub mod auth;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use waypost::{App, TestResponse};

/// Every network step of a test is bounded by this.
pub const STEP: Duration = Duration::from_secs(10);

/// Serves `app` on an ephemeral loopback port; the server task ends with the test's runtime.
pub async fn spawn(app: App) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        app.serve_listener(listener).await.expect("serve");
    });
    addr
}

/// Asserts a problem+json response with `status`, returning the parsed body.
pub fn assert_problem(response: &TestResponse, status: u16) -> Value {
    assert_eq!(
        response.status().as_u16(),
        status,
        "unexpected status; body: {}",
        response.text()
    );
    assert_eq!(
        response.content_type(),
        Some("application/problem+json"),
        "body: {}",
        response.text()
    );
    let body: Value = response.json();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string());
    body
}

/// A raw HTTP/1.1 response read off a socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as text, after asserting a 200 (the body in the message if not).
    pub fn ok_text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body).into_owned();
        assert_eq!(self.status, 200, "{text}");
        text
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.1 connection that writes requests and reads responses in
/// order, so tests can see keep-alive and framing as a client would.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> Connection {
        let stream = tokio::time::timeout(STEP, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect");
        Connection {
            stream,
            buffer: Vec::new(),
        }
    }

    pub async fn send(&mut self, raw: &[u8]) {
        tokio::time::timeout(STEP, self.stream.write_all(raw))
            .await
            .expect("write timed out")
            .expect("write");
    }

    /// Sends `GET path` on this keep-alive connection and reads the response.
    pub async fn get(&mut self, path: &str) -> RawResponse {
        self.send(format!("GET {path} HTTP/1.1\r\nhost: t\r\n\r\n").as_bytes())
            .await;
        self.read_response(false).await
    }

    /// Reads one response; `head_request` responses have no body whatever their length says.
    pub async fn read_response(&mut self, head_request: bool) -> RawResponse {
        tokio::time::timeout(STEP, self.read_inner(head_request))
            .await
            .expect("response timed out")
    }

    /// Whether the server closes the connection (end of stream, or a reset)
    /// within `limit`, discarding whatever it sends first.
    pub async fn closed_within(&mut self, limit: Duration) -> bool {
        let closed = async {
            let mut chunk = [0u8; 8192];
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(limit, closed).await.is_ok()
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await.expect("read");
        self.buffer.extend_from_slice(&chunk[..n]);
        n > 0
    }

    async fn read_inner(&mut self, head_request: bool) -> RawResponse {
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at;
            }
            assert!(
                self.fill().await,
                "connection closed before a response head"
            );
        };
        let head = String::from_utf8(self.buffer[..head_end].to_vec()).expect("utf-8 head");
        self.buffer.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(": "))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
            .collect();
        let mut response = RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
        if head_request {
            return response;
        }
        if response.header("transfer-encoding") == Some("chunked") {
            loop {
                let line_end = loop {
                    if let Some(at) = find(&self.buffer, b"\r\n") {
                        break at;
                    }
                    assert!(self.fill().await, "closed inside a chunk size");
                };
                let size_text = String::from_utf8(self.buffer[..line_end].to_vec()).unwrap();
                let size = usize::from_str_radix(size_text.trim(), 16).expect("chunk size");
                self.buffer.drain(..line_end + 2);
                while self.buffer.len() < size + 2 {
                    assert!(self.fill().await, "closed inside a chunk");
                }
                response.body.extend_from_slice(&self.buffer[..size]);
                self.buffer.drain(..size + 2);
                if size == 0 {
                    break;
                }
            }
        } else {
            let length: usize = response
                .header("content-length")
                .map(|v| v.parse().expect("content-length"))
                .unwrap_or(0);
            while self.buffer.len() < length {
                assert!(self.fill().await, "closed inside a body");
            }
            response.body = self.buffer.drain(..length).collect();
        }
        response
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "waypost-test-{}-{test}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes a file (and the directories it needs) under the directory.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// The names of the entries directly in the directory, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An HTTP/2 (prior knowledge) client connection to `addr`, and the task driving it.
pub async fn h2_connect(
    addr: SocketAddr,
) -> (
    hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>,
    tokio::task::JoinHandle<hyper::Result<()>>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let stream = tokio::time::timeout(STEP, TcpStream::connect(addr))
        .await
        .expect("connect timed out")
        .expect("connect");
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2 handshake");
    (sender, tokio::spawn(connection))
}
