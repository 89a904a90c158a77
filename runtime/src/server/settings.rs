//! What a server enforces, and the defaults it starts from.

use std::time::Duration;

/// The limits and timeouts of one server; see the README's table of defaults.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) header_read_timeout: Duration,
    pub(crate) keep_alive_timeout: Duration,
    pub(crate) send_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_header_bytes: usize,
    pub(crate) drain_timeout: Duration,
    pub(crate) shutdown_delay: Duration,
    pub(crate) http2_max_concurrent_streams: u32,
    pub(crate) http2_max_header_list_size: u32,
    pub(crate) http2_keep_alive_interval: Option<Duration>,
    pub(crate) http2_keep_alive_timeout: Duration,
    pub(crate) reuse_port: bool,
    pub(crate) backlog: u32,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<super::tls::TlsConfig>,
}

/// From the first byte of a request to the end of its head (nginx's
/// `client_header_timeout` is 60 s; browsers send a head at once).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a kept-alive connection may wait for its next request: above the
/// 60 s idle timeout of common load balancers, so that they close first (nginx: 75 s).
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(75);
/// How long a write may wait for the client to take any of it (nginx's
/// `send_timeout` is 60 s): a client that stops reading a response cannot
/// hold its connection for ever.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// The most bytes a request head may take (Node: 16 KiB; nginx: 8 KiB a line).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long a graceful shutdown waits for requests in flight.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections the server holds at most when the descriptor limit cannot be read.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Descriptors kept free of connections: the listener, log files, outgoing
/// connections to databases.
const DESCRIPTORS_KEPT: usize = 64;

impl Settings {
    /// The timeouts each connection keeps, in milliseconds.
    pub(crate) fn timeouts(&self) -> super::connection::Timeouts {
        super::connection::Timeouts::new(
            self.header_read_timeout,
            self.keep_alive_timeout,
            self.send_timeout,
        )
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            max_connections: default_max_connections(),
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            shutdown_delay: Duration::ZERO,
            http2_max_concurrent_streams: 200,
            http2_max_header_list_size: DEFAULT_MAX_HEADER_BYTES as u32,
            http2_keep_alive_interval: Some(Duration::from_secs(60)),
            http2_keep_alive_timeout: Duration::from_secs(20),
            reuse_port: false,
            backlog: 1024,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl Settings {
    /// Whether connections are served over TLS.
    pub(crate) fn serves_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }
}

/// Below the process's descriptor limit, so that a flood of idle connections
/// makes the server wait to accept rather than fail with "too many open files".
fn default_max_connections() -> usize {
    match descriptor_limit() {
        Some(limit) => limit.saturating_sub(DESCRIPTORS_KEPT).clamp(16, 100_000),
        None => DEFAULT_MAX_CONNECTIONS,
    }
}

#[cfg(unix)]
fn descriptor_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given and nothing else.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (status == 0 && limit.rlim_cur != libc::RLIM_INFINITY)
        .then(|| usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

#[cfg(not(unix))]
fn descriptor_limit() -> Option<usize> {
    None
}
