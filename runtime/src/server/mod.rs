//! Serving an app over TCP: HTTP/1.1 and HTTP/2 on one port, a task per
//! connection, with timeouts, a connection cap and graceful shutdown.

mod accept;
mod connection;
mod settings;
mod shutdown;
#[cfg(feature = "tls")]
mod tls;
mod watchdog;

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};

use crate::app::{App, BuildError};

use settings::Settings;
pub use settings::{
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_SEND_TIMEOUT,
};
use shutdown::Trigger;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};

/// Why serving stopped or never started. Its `Debug` is its message (see
/// [`BuildError`]), for `fn main() -> Result<(), ServeError>`.
#[non_exhaustive]
pub enum ServeError {
    /// The app did not hold together; nothing was served.
    Build(BuildError),
    /// The address could not be bound.
    Bind(std::io::Error),
}

impl std::fmt::Debug for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Build(error) => write!(f, "the app could not be built: {error}"),
            ServeError::Bind(error) => write!(f, "could not bind the listening address: {error}"),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Build(error) => Some(error),
            ServeError::Bind(error) => Some(error),
        }
    }
}

impl From<BuildError> for ServeError {
    fn from(error: BuildError) -> Self {
        ServeError::Build(error)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where a server listens: an address to bind, or a listener bound already.
enum Bind {
    Resolve(Box<dyn FnOnce() -> BoxFuture<io::Result<Vec<SocketAddr>>> + Send>),
    Listener(TcpListener),
}

/// A server about to run: made by [`App::serve`] or [`App::serve_listener`],
/// configured with its methods, and run by awaiting it.
///
/// Awaiting it builds the app, binds, and serves until a graceful shutdown
/// has drained (on SIGINT or SIGTERM unless [`Server::with_graceful_shutdown`]
/// says otherwise). The defaults are on the safe side; the README has them in a table.
///
/// ```no_run
/// use std::time::Duration;
/// use waypost::App;
///
/// # async fn run() -> Result<(), waypost::ServeError> {
/// App::new()
///     .serve("0.0.0.0:8080")
///     .header_read_timeout(Duration::from_secs(10))
///     .drain_timeout(Duration::from_secs(20))
///     .await
/// # }
/// ```
#[must_use = "a server does nothing until it is awaited"]
pub struct Server {
    app: App,
    bind: Bind,
    settings: Settings,
    trigger: Trigger,
}

impl App {
    /// A server for this app on `addr` (`"0.0.0.0:8080"`, `"[::]:8080"`,
    /// `("127.0.0.1", 0)`, a `SocketAddr`); await it to serve.
    pub fn serve<A>(self, addr: A) -> Server
    where
        A: ToSocketAddrs + Send + 'static,
    {
        let resolve = move || -> BoxFuture<io::Result<Vec<SocketAddr>>> {
            Box::pin(async move { Ok(tokio::net::lookup_host(addr).await?.collect()) })
        };
        Server::new(self, Bind::Resolve(Box::new(resolve)))
    }

    /// A server for this app on a listener that is already bound (port 0 in
    /// tests, or a socket handed over by a supervisor); await it to serve.
    pub fn serve_listener(self, listener: TcpListener) -> Server {
        Server::new(self, Bind::Listener(listener))
    }
}

impl Server {
    fn new(app: App, bind: Bind) -> Self {
        Server {
            app,
            bind,
            settings: Settings::default(),
            trigger: Trigger::Signals,
        }
    }

    /// How long a client may take from the first bytes of an HTTP/1 request
    /// to the end of its head; past it the connection is closed, up to a
    /// tenth of the shortest timeout later (5 ms at least; see the README). Default 15 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.header_read_timeout = timeout;
        self
    }

    /// How long a connection may wait for its next request (or a new one for
    /// its first) before it is closed. Default 75 s (above the 60 s of common
    /// load balancers, so they close first). `Duration::MAX` means never.
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.settings.keep_alive_timeout = timeout;
        self
    }

    /// How long a write may wait for the client to take any of it before
    /// the connection is closed: a client that stops reading a response (or
    /// never reads one) cannot hold its connection, and its place under
    /// [`max_connections`](Self::max_connections), for ever. A slow client
    /// is cut only when no write gets through for this long (a write counts
    /// when the socket takes it, which on Linux is once about half of what
    /// waits has gone). `Duration::MAX` means never. Default 60 s (nginx's
    /// `send_timeout`). HTTP/2 flow control is not covered: a client that
    /// never opens its window holds a stream, not the socket.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.settings.send_timeout = timeout;
        self
    }

    /// The most connections served at once; past it the server stops
    /// accepting until one closes (nothing is reset). Default: the process's
    /// descriptor limit less 64, or 10,000 when the limit cannot be read.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.settings.max_connections = max.max(1);
        self
    }

    /// The most bytes a request head may take; a larger one is answered 431.
    /// Default 16 KiB; at least 8 KiB. Also bounds an HTTP/2 header list.
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        let max = max.max(8 * 1024);
        self.settings.max_header_bytes = max;
        self.settings.http2_max_header_list_size = u32::try_from(max).unwrap_or(u32::MAX);
        self
    }

    /// How long a graceful shutdown waits for requests in flight before it
    /// cuts them off. Default 30 s.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.settings.drain_timeout = timeout;
        self
    }

    /// How long the server goes on accepting and serving after the shutdown
    /// signal, readiness answering 503 all the while, before it closes the
    /// listener and drains. Default 0 (close at once). Behind a load balancer
    /// that polls readiness (Kubernetes endpoints, an upstream health check),
    /// set it a little above the polling period, so that the balancer stops
    /// sending new connections before they would be refused.
    pub fn shutdown_delay(mut self, delay: Duration) -> Self {
        self.settings.shutdown_delay = delay;
        self
    }

    /// Serves HTTPS: every connection starts with a TLS handshake (bounded
    /// by the header read timeout), and HTTP/2 or HTTP/1.1 is chosen by ALPN.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: TlsConfig) -> Self {
        self.settings.tls = Some(config);
        self
    }

    /// The most HTTP/2 streams a connection may have open at once. Default 200.
    pub fn http2_max_concurrent_streams(mut self, max: u32) -> Self {
        self.settings.http2_max_concurrent_streams = max;
        self
    }

    /// HTTP/2 keep-alive pings: sent after `interval` without frames, the
    /// connection closed when one is not answered within `timeout`. `None`
    /// turns them off. Default every 60 s, 20 s to answer.
    pub fn http2_keep_alive(mut self, interval: Option<Duration>, timeout: Duration) -> Self {
        self.settings.http2_keep_alive_interval = interval;
        self.settings.http2_keep_alive_timeout = timeout;
        self
    }

    /// Sets `SO_REUSEPORT` on the listening socket, so that several
    /// processes can listen on one port (a restart overlapping the old
    /// process). Default off. Only for [`App::serve`]; Unix only.
    pub fn reuse_port(mut self, reuse: bool) -> Self {
        self.settings.reuse_port = reuse;
        self
    }

    /// Shuts down gracefully when `signal` completes, instead of on SIGINT
    /// and SIGTERM: readiness answers 503, the listener closes, requests in
    /// flight finish (up to the drain timeout), then the server future resolves.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.trigger = Trigger::Future(Box::pin(signal));
        self
    }

    async fn run(self) -> Result<(), ServeError> {
        let service = self.app.build()?;
        let listener = match self.bind {
            Bind::Listener(listener) => listener,
            Bind::Resolve(resolve) => {
                bind(resolve().await.map_err(ServeError::Bind)?, &self.settings)?
            }
        };
        accept::serve(listener, service, self.settings, self.trigger).await;
        Ok(())
    }
}

impl IntoFuture for Server {
    type Output = Result<(), ServeError>;
    type IntoFuture = BoxFuture<Result<(), ServeError>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Binds the first of `addrs` that can be bound.
fn bind(addrs: Vec<SocketAddr>, settings: &Settings) -> Result<TcpListener, ServeError> {
    let mut last_error = io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolved to nothing",
    );
    for addr in addrs {
        match bind_one(addr, settings) {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = error,
        }
    }
    Err(ServeError::Bind(last_error))
}

fn bind_one(addr: SocketAddr, settings: &Settings) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // A restarted server binds at once even while the old one's connections linger in TIME_WAIT.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    if settings.reuse_port {
        socket.set_reuseport(true)?;
    }
    socket.bind(addr)?;
    socket.listen(settings.backlog)
}
