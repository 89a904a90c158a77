//! WebSockets over an HTTP/1.1 upgrade, on `tokio-tungstenite`.
//!
//! [`WebSocketUpgrade`] is an argument: it checks the upgrade request, and
//! [`WebSocketUpgrade::on_upgrade`] answers `101 Switching Protocols` and
//! runs the callback with the [`WebSocket`] once hyper hands the connection
//! over. Middleware runs before the handler, so authentication happens
//! before the upgrade. HTTP/2 WebSockets (RFC 8441) are not supported: over
//! HTTP/2 the extractor answers 426 and the client falls back to HTTP/1.1.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{frame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::WebSocketStream;

use crate::extract::FromRequestParts;
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response};
use crate::Body;

pub use tokio_tungstenite::tungstenite::Error;

/// The largest message a socket accepts by default: 1 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;
/// The largest frame a socket accepts by default: the message limit.
pub const DEFAULT_MAX_FRAME_SIZE: usize = DEFAULT_MAX_MESSAGE_SIZE;

/// The read buffer each socket allocates.
const READ_BUFFER_SIZE: usize = 8 << 10;

/// A WebSocket upgrade request, to be answered with [`on_upgrade`](Self::on_upgrade).
///
/// A request that is not an upgrade (a plain `GET`, a missing or wrong
/// `Sec-WebSocket-*` header, or HTTP/2) is answered `426 Upgrade Required`
/// or `400` problem+json saying what was missing.
///
/// ```
/// use waypost::ws::{Message, WebSocketUpgrade};
/// use waypost::{get, Response};
///
/// #[get("/echo")]
/// async fn echo(ws: WebSocketUpgrade) -> Response {
///     ws.on_upgrade(|mut socket| async move {
///         while let Some(Ok(message)) = socket.recv().await {
///             if let Message::Text(_) | Message::Binary(_) = message {
///                 if socket.send(message).await.is_err() {
///                     break;
///                 }
///             }
///         }
///     })
/// }
/// # let _ = waypost::routes![echo];
/// ```
pub struct WebSocketUpgrade {
    accept: HeaderValue,
    upgrade: OnUpgrade,
    config: WebSocketConfig,
    liveness: Liveness,
}

/// How a socket finds out that its client is gone: pings while `recv` waits,
/// and a deadline on hearing anything at all.
#[derive(Clone, Copy)]
struct Liveness {
    ping_every: Option<Duration>,
    silence_limit: Duration,
}

/// How often `recv` pings a silent client by default: every 20 s.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);
/// How long a client may send nothing (not even a pong) before `recv` gives up: 60 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl WebSocketUpgrade {
    /// The largest message the socket accepts (default 1 MiB); a larger one
    /// ends the socket with an error from [`WebSocket::recv`]. The frame
    /// limit becomes the same (browsers send a message as one frame, so a
    /// lower frame limit would be the real message limit).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config = self
            .config
            .max_message_size(Some(bytes))
            .max_frame_size(Some(bytes));
        self
    }

    /// The largest frame the socket accepts (default: the message limit);
    /// set it after [`max_message_size`](Self::max_message_size).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config = self.config.max_frame_size(Some(bytes));
        self
    }

    /// How often [`WebSocket::recv`] pings a client it has not heard from
    /// (default 20 s; `None` sends no pings). Browsers answer pings by
    /// themselves, so a quiet but present client stays connected.
    pub fn ping_interval(mut self, every: impl Into<Option<Duration>>) -> Self {
        self.liveness.ping_every = every.into();
        self
    }

    /// How long the client may send nothing, not even a pong, before
    /// [`WebSocket::recv`] returns a timed-out error (default 60 s). This is
    /// what frees the socket (and its place under the connection cap) of a
    /// client that vanished without closing.
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.liveness.silence_limit = limit;
        self
    }

    /// Answers `101 Switching Protocols` and, once the client switched, runs
    /// `callback` with the socket in a task of its own.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let WebSocketUpgrade {
            accept,
            upgrade,
            config,
            liveness,
        } = self;
        tokio::spawn(async move {
            let upgraded = match upgrade.await {
                Ok(upgraded) => upgraded,
                Err(error) => {
                    tracing::debug!(%error, "WebSocket upgrade failed");
                    return;
                }
            };
            let stream = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            callback(WebSocket {
                stream,
                liveness,
                heard: Instant::now(),
            })
            .await;
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        response
    }
}

/// Why a request is not a WebSocket upgrade.
#[derive(Debug)]
pub struct WebSocketRejection {
    status: StatusCode,
    detail: &'static str,
}

impl IntoResponse for WebSocketRejection {
    fn into_response(self) -> Response {
        let mut response = Problem::new(self.status)
            .with_detail(self.detail)
            .into_response();
        if self.status == StatusCode::UPGRADE_REQUIRED {
            let headers = response.headers_mut();
            headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        response
    }
}

fn reject(status: StatusCode, detail: &'static str) -> WebSocketRejection {
    WebSocketRejection { status, detail }
}

/// Whether the comma-separated header `name` holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    })
}

impl FromRequestParts for WebSocketUpgrade {
    type Rejection = WebSocketRejection;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, WebSocketRejection> {
        let head = parts.head_mut();
        if head.method != Method::GET {
            return Err(reject(
                StatusCode::METHOD_NOT_ALLOWED,
                "a WebSocket upgrade is a GET request",
            ));
        }
        if head.version != http::Version::HTTP_11 {
            return Err(reject(
                StatusCode::UPGRADE_REQUIRED,
                "WebSockets are served over HTTP/1.1 only (no RFC 8441 over HTTP/2)",
            ));
        }
        if !has_token(&head.headers, header::CONNECTION, "upgrade")
            || !has_token(&head.headers, header::UPGRADE, "websocket")
        {
            return Err(reject(
                StatusCode::UPGRADE_REQUIRED,
                "this endpoint is a WebSocket: send `Connection: upgrade` and `Upgrade: websocket`",
            ));
        }
        if head
            .headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_none_or(|version| version != "13")
        {
            return Err(reject(
                StatusCode::UPGRADE_REQUIRED,
                "`Sec-WebSocket-Version` must be 13",
            ));
        }
        let Some(key) = head.headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                "the upgrade request has no `Sec-WebSocket-Key`",
            ));
        };
        // RFC 6455 §4.2.1: the key is 16 random bytes in base64.
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD.decode(key.as_bytes());
        if decoded.map_or(true, |bytes| bytes.len() != 16) {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                "`Sec-WebSocket-Key` must be 16 bytes in base64",
            ));
        }
        let accept = HeaderValue::try_from(derive_accept_key(key.as_bytes()))
            .map_err(|_| reject(StatusCode::BAD_REQUEST, "invalid `Sec-WebSocket-Key`"))?;
        let Some(upgrade) = head.extensions.remove::<OnUpgrade>() else {
            return Err(reject(
                StatusCode::UPGRADE_REQUIRED,
                "this connection cannot be upgraded (the in-process test client, or a tower layer that dropped it)",
            ));
        };
        Ok(WebSocketUpgrade {
            accept,
            upgrade,
            // tungstenite allocates its read buffer up front, 128 KiB by
            // default: 8 KiB keeps an idle socket small (a larger message
            // is still read, in more calls).
            config: WebSocketConfig::default()
                .read_buffer_size(READ_BUFFER_SIZE)
                .max_message_size(Some(DEFAULT_MAX_MESSAGE_SIZE))
                .max_frame_size(Some(DEFAULT_MAX_FRAME_SIZE)),
            liveness: Liveness {
                ping_every: Some(DEFAULT_PING_INTERVAL),
                silence_limit: DEFAULT_IDLE_TIMEOUT,
            },
        })
    }
}

/// An open WebSocket: [`recv`](Self::recv) and [`send`](Self::send) messages.
///
/// Pings are answered with pongs by the socket itself; a `Close` from the
/// client is answered when received, after which `recv` returns `None`.
pub struct WebSocket {
    stream: WebSocketStream<TokioIo<Upgraded>>,
    liveness: Liveness,
    /// When anything last arrived from the client.
    heard: Instant,
}

impl WebSocket {
    /// The next message; `None` once the socket is closed. While it waits,
    /// it pings the client (see [`WebSocketUpgrade::ping_interval`]); after
    /// [`WebSocketUpgrade::idle_timeout`] without a word from the client it
    /// returns a timed-out error.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        loop {
            let deadline = self.heard + self.liveness.silence_limit;
            let wake = match self.liveness.ping_every {
                Some(every) => (Instant::now() + every).min(deadline),
                None => deadline,
            };
            let next = tokio::select! {
                next = self.stream.next() => next,
                () = tokio::time::sleep_until(wake) => {
                    if Instant::now() >= deadline {
                        return Some(Err(Error::Io(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the client sent nothing, not even a pong, within the idle timeout",
                        ))));
                    }
                    if let Err(error) = self.stream.send(Frame::Ping(Bytes::new())).await {
                        return Some(Err(error));
                    }
                    continue;
                }
            };
            self.heard = Instant::now();
            return match next? {
                Ok(Frame::Frame(_)) => continue,
                Ok(frame) => Some(Ok(Message::from_frame(frame))),
                Err(error) => Some(Err(error)),
            };
        }
    }

    /// Sends a message (and flushes it).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.stream.send(message.into_frame()).await
    }

    /// Sends a close frame and waits for the client's.
    pub async fn close(mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        self.stream.close(frame.map(CloseFrame::into_frame)).await
    }
}

/// A WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Binary(Bytes),
    /// A ping (at most 125 bytes); the socket answers it by itself.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer is closing, with a code and reason if it gave them.
    Close(Option<CloseFrame>),
}

/// Why a socket closes: a code (1000 normal, 1001 going away, 1009 too big, …) and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code.
    pub code: u16,
    /// The reason, for people.
    pub reason: String,
}

impl CloseFrame {
    fn into_frame(self) -> frame::CloseFrame {
        frame::CloseFrame {
            code: self.code.into(),
            reason: self.reason.into(),
        }
    }
}

impl Message {
    fn from_frame(frame: Frame) -> Message {
        match frame {
            Frame::Text(text) => Message::Text(text.as_str().to_owned()),
            Frame::Binary(bytes) => Message::Binary(bytes),
            Frame::Ping(bytes) => Message::Ping(bytes),
            Frame::Pong(bytes) => Message::Pong(bytes),
            Frame::Close(frame) => Message::Close(frame.map(|frame| CloseFrame {
                code: frame.code.into(),
                reason: frame.reason.as_str().to_owned(),
            })),
            Frame::Frame(_) => Message::Binary(Bytes::new()),
        }
    }

    fn into_frame(self) -> Frame {
        match self {
            Message::Text(text) => Frame::Text(text.into()),
            Message::Binary(bytes) => Frame::Binary(bytes),
            Message::Ping(bytes) => Frame::Ping(bytes),
            Message::Pong(bytes) => Frame::Pong(bytes),
            Message::Close(frame) => Frame::Close(frame.map(CloseFrame::into_frame)),
        }
    }
}
