//! HTTPS over real TCP: a certificate generated per run, HTTP/1.1 and HTTP/2
//! chosen by ALPN, and handshakes that fail or stall.

mod common;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{Connection, STEP};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use waypost::{get, routes, App, Server, TlsConfig};

#[get("/")]
async fn index() -> &'static str {
    "hello over tls"
}

/// Sets a cookie with no `Secure` of its own: over TLS it gets one.
#[get("/cookie")]
async fn cookie(jar: waypost::CookieJar) -> (waypost::CookieJar, &'static str) {
    (jar.add(waypost::Cookie::new("session", "1")), "set")
}

/// A self-signed certificate for `localhost` and 127.0.0.1, as PEM files in
/// a directory of this test's own.
struct Certificate {
    dir: PathBuf,
    der: CertificateDer<'static>,
}

impl Certificate {
    fn generate(test: &str) -> Certificate {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .expect("certificate");
        let dir = std::env::temp_dir().join(format!("waypost-tls-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), certified.key_pair.serialize_pem()).unwrap();
        Certificate {
            dir,
            der: certified.cert.der().clone(),
        }
    }

    fn config(&self) -> TlsConfig {
        TlsConfig::from_pem_files(self.dir.join("cert.pem"), self.dir.join("key.pem"))
            .expect("TLS config")
    }

    /// A client that trusts this certificate and offers `alpn`.
    fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start(configure: impl FnOnce(Server) -> Server) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = configure(
        App::new()
            .mount("/", routes![index, cookie])
            .serve_listener(listener),
    );
    tokio::spawn(server.into_future());
    addr
}

/// Handshakes offering `alpn` and returns the stream and the protocol agreed.
async fn handshake(
    cert: &Certificate,
    addr: SocketAddr,
    alpn: &[&[u8]],
) -> (tokio_rustls::client::TlsStream<TcpStream>, Option<Vec<u8>>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let stream = tokio::time::timeout(STEP, cert.connector(alpn).connect(name, tcp))
        .await
        .expect("handshake timed out")
        .expect("handshake");
    let protocol = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    (stream, protocol)
}

/// An HTTP/1.1 client on a TLS stream, its connection driven by a task.
async fn http1_client(
    stream: tokio_rustls::client::TlsStream<TcpStream>,
) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>> {
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    sender
}

async fn http1_get(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    path: &str,
) -> http::Response<hyper::body::Incoming> {
    let request = http::Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    tokio::time::timeout(STEP, sender.send_request(request))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn http1_over_tls() {
    let cert = Certificate::generate("http1");
    let addr = start(|server| server.tls(cert.config())).await;
    let (stream, protocol) = handshake(&cert, addr, &[b"http/1.1"]).await;
    assert_eq!(protocol.as_deref(), Some(&b"http/1.1"[..]));
    let mut sender = http1_client(stream).await;
    for _ in 0..2 {
        let response = http1_get(&mut sender, "/").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), http::Version::HTTP_11);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "hello over tls");
    }
}

#[tokio::test]
async fn cookies_set_over_tls_are_secure() {
    let cert = Certificate::generate("cookie");
    let addr = start(|server| server.tls(cert.config())).await;
    let (stream, _) = handshake(&cert, addr, &[b"http/1.1"]).await;
    let mut sender = http1_client(stream).await;
    let response = http1_get(&mut sender, "/cookie").await;
    assert_eq!(
        response.headers()["set-cookie"],
        "session=1; HttpOnly; SameSite=Lax; Secure; Path=/"
    );
    // The same app over plain TCP sets it without `Secure` (tests/cookies.rs checks the rest).
    let plain = start(|server| server).await;
    let mut connection = Connection::open(plain).await;
    connection
        .send(b"GET /cookie HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let response = connection.read_response(false).await;
    assert_eq!(
        response.header("set-cookie"),
        Some("session=1; HttpOnly; SameSite=Lax; Path=/")
    );
}

#[tokio::test]
async fn http2_over_tls_by_alpn() {
    let cert = Certificate::generate("http2");
    let addr = start(|server| server.tls(cert.config())).await;
    let (stream, protocol) = handshake(&cert, addr, &[b"h2", b"http/1.1"]).await;
    assert_eq!(
        protocol.as_deref(),
        Some(&b"h2"[..]),
        "the server prefers h2"
    );
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("https://localhost/")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = tokio::time::timeout(STEP, sender.send_request(request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "hello over tls");
}

#[tokio::test]
async fn plaintext_and_stalled_handshakes_are_closed_and_others_still_served() {
    let cert = Certificate::generate("stalled");
    let addr = start(|server| {
        server
            .tls(cert.config())
            .header_read_timeout(Duration::from_millis(300))
    })
    .await;
    // Plain HTTP on a TLS port: not a handshake, closed.
    let mut plain = Connection::open(addr).await;
    plain.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await;
    assert!(plain.closed_within(STEP).await);
    // A client that connects and says nothing: closed at the header timeout.
    let mut silent = Connection::open(addr).await;
    assert!(!silent.closed_within(Duration::from_millis(150)).await);
    assert!(silent.closed_within(STEP).await);
    // The server still serves.
    let (_stream, protocol) = handshake(&cert, addr, &[b"http/1.1"]).await;
    assert_eq!(protocol.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn an_idle_tls_connection_is_closed_at_the_keep_alive_timeout() {
    let cert = Certificate::generate("idle");
    let addr = start(|server| {
        server
            .tls(cert.config())
            .keep_alive_timeout(Duration::from_millis(400))
    })
    .await;
    let (stream, _) = handshake(&cert, addr, &[b"http/1.1"]).await;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    assert_eq!(http1_get(&mut sender, "/").await.status(), 200);
    let idle = std::time::Instant::now();
    let _ = tokio::time::timeout(Duration::from_secs(5), connection)
        .await
        .expect("the idle TLS connection was closed");
    let closed_after = idle.elapsed();
    assert!(
        closed_after >= Duration::from_millis(300) && closed_after < Duration::from_millis(2000),
        "closed after {closed_after:?}"
    );
}

#[test]
fn bad_pem_is_reported_with_its_file() {
    let cert = Certificate::generate("bad-pem");
    let garbage = cert.dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let error = TlsConfig::from_pem_files(&garbage, cert.dir.join("key.pem")).unwrap_err();
    assert!(error.to_string().contains("garbage.pem"), "{error}");
    assert!(error.to_string().contains("CERTIFICATE"), "{error}");
    let missing =
        TlsConfig::from_pem_files(cert.dir.join("nope.pem"), cert.dir.join("key.pem")).unwrap_err();
    assert!(missing.to_string().contains("nope.pem"), "{missing}");
    // What `fn main() -> Result<..>` prints through `?`: the message, not a struct.
    assert_eq!(format!("{missing:?}"), missing.to_string());
    // A key that is not the certificate's.
    let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let pem = std::fs::read(cert.dir.join("cert.pem")).unwrap();
    let error = TlsConfig::from_pem(&pem, other.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("does not fit"), "{error}");
}
