//! The accept loop: a task per connection, at most `max_connections` of
//! them, and the drain that ends it.

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::connection::{ConnService, ConnState, Graceful, ShutDown, Watched};
use super::settings::Settings;
use super::shutdown::{DrainReport, Trigger};
use crate::service::AppService;

use super::watchdog::{self, Open};

/// Serves `listener` until `trigger` fires and the drain has ended.
pub(crate) async fn serve(
    listener: TcpListener,
    service: AppService,
    settings: Settings,
    trigger: Trigger,
) -> DrainReport {
    let builder = Arc::new(http_builder(&settings));
    let settings = Arc::new(settings);
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let open: Open = Arc::default();
    watchdog::spawn(&open, settings.timeouts());
    let mut tasks = JoinSet::new();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, max_connections = settings.max_connections, "listening");
    }
    // The signal marks the app draining (readiness answers 503) at once;
    // accepting stops after the shutdown delay.
    let shared = service.shared_handle();
    let shutdown_delay = settings.shutdown_delay;
    let fired = async move {
        trigger.fired().await;
        shared.draining.store(true, Ordering::Release);
        tracing::info!(
            delay_ms = shutdown_delay.as_millis() as u64,
            "shutdown signalled: readiness answers 503"
        );
        if !shutdown_delay.is_zero() {
            tokio::time::sleep(shutdown_delay).await;
        }
    };
    tokio::pin!(fired);
    let mut next_id = 0u64;
    let mut warned_full = false;
    'accepting: loop {
        // Reap finished connection tasks so the set does not grow.
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            _ = &mut fired => break 'accepting,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // At the cap, the new client waits (and those behind it wait in the
        // kernel's backlog) while idle connections are asked to make room.
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                warned_full = false;
                permit
            }
            Err(_) => {
                let shed = shed_idle(&open, settings.max_connections);
                if !warned_full {
                    tracing::warn!(
                        max_connections = settings.max_connections,
                        idle_closed = shed,
                        "connection limit reached: accepting paused, idle connections closed"
                    );
                    warned_full = true;
                }
                // Shed again while waiting: connections busy a moment ago
                // may be idle now, and a shed one may have ignored the request.
                let mut reshed = tokio::time::interval(RESHED_EVERY);
                reshed.tick().await;
                loop {
                    tokio::select! {
                        _ = &mut fired => break 'accepting,
                        permit = permits.clone().acquire_owned() => break permit.expect("the semaphore is never closed"),
                        _ = reshed.tick() => {
                            shed_idle(&open, settings.max_connections);
                        }
                    }
                }
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not set TCP_NODELAY");
        }
        let state = ConnState::new();
        next_id += 1;
        let id = next_id;
        open.lock()
            .expect("connection registry")
            .insert(id, state.clone());
        let connection = Connection {
            builder: builder.clone(),
            settings: settings.clone(),
            service: ConnService {
                app: service.for_peer(peer).over_tls(settings.serves_tls()),
                state,
            },
        };
        let registered = Registered {
            open: open.clone(),
            id,
        };
        tasks.spawn(async move {
            // Dropped however the task ends, a panic included.
            let _registered = registered;
            let _permit = permit;
            connection.serve(stream).await;
        });
    }
    drop(listener);
    drain(&service, tasks, &open, settings.drain_timeout).await
}

/// How often a client waiting at the connection cap sheds idle connections again.
const RESHED_EVERY: Duration = Duration::from_millis(100);

/// A connection's entry in the registry, removed when its task ends.
struct Registered {
    open: Open,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&self.id);
        }
    }
}

/// At the connection cap, asks the connections idle longest (no request in
/// flight) to close, a few at a time, so that a crowd of idle keep-alive
/// connections cannot lock new clients out until the keep-alive timeout.
/// Connections with requests in flight are never touched. Returns how many were asked.
fn shed_idle(open: &Open, max_connections: usize) -> usize {
    let open = open.lock().expect("connection registry");
    let mut idle: Vec<(u64, &Arc<ConnState>)> = open
        .values()
        .filter(|state| state.is_idle())
        .map(|state| (state.idle_since(), state))
        .collect();
    idle.sort_unstable_by_key(|(since, _)| *since);
    let batch = (max_connections / 64).max(1);
    for (_, state) in idle.iter().take(batch) {
        state.shut_down();
    }
    idle.len().min(batch)
}

/// Stops accepting (done by the caller), tells every connection to finish,
/// and waits up to `deadline` for them.
async fn drain(
    service: &AppService,
    mut tasks: JoinSet<()>,
    open: &Open,
    deadline: Duration,
) -> DrainReport {
    service.shared().draining.store(true, Ordering::Release);
    let in_flight = |open: &Open| -> (usize, usize) {
        let open = open.lock().expect("connection registry");
        (
            open.len(),
            open.values().map(|state| state.in_flight() as usize).sum(),
        )
    };
    let (connections, requests) = in_flight(open);
    tracing::info!(connections, requests_in_flight = requests, "draining");
    for state in open.lock().expect("connection registry").values() {
        state.shut_down();
    }
    let drained = tokio::time::timeout(deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    let requests_cut_off = match drained {
        Ok(()) => 0,
        Err(_) => {
            let (_, cut_off) = in_flight(open);
            tasks.shutdown().await;
            cut_off
        }
    };
    let report = DrainReport {
        connections,
        requests_finished: requests.saturating_sub(requests_cut_off),
        requests_cut_off,
    };
    tracing::info!(
        connections_closed = report.connections,
        requests_finished = report.requests_finished,
        requests_cut_off = report.requests_cut_off,
        "shut down"
    );
    report
}

fn http_builder(settings: &Settings) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Connections time out in `Watched`, which tells idle from slow.
        .header_read_timeout(None)
        .max_buf_size(settings.max_header_bytes);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(settings.http2_max_concurrent_streams)
        .max_header_list_size(settings.http2_max_header_list_size)
        .keep_alive_interval(settings.http2_keep_alive_interval)
        .keep_alive_timeout(settings.http2_keep_alive_timeout);
    builder
}

/// One accepted connection and what serving it needs.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    settings: Arc<Settings>,
    service: ConnService,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.settings.tls {
            // A client that stalls its handshake is held no longer than one stalling its head.
            let handshake = tls.acceptor().accept(stream);
            match tokio::time::timeout(self.settings.header_read_timeout, handshake).await {
                Ok(Ok(stream)) => self.serve_io(stream).await,
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
            return;
        }
        self.serve_io(stream).await;
    }

    async fn serve_io<IO>(self, stream: IO)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let state = self.service.state.clone();
        let io = Watched::new(
            stream,
            state.clone(),
            self.settings.timeouts(),
            self.settings.max_header_bytes,
        );
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(io), self.service);
        if let Err(error) = Graceful::new(connection, state.clone()).await {
            tracing::debug!(%error, "connection ended with an error");
        }
        // An upgraded socket lives on in the task that took it over (a
        // WebSocket's): this connection keeps its permit and its place in
        // the registry until that socket is gone.
        if state.is_upgraded() {
            state.io_closed().await;
        }
    }
}

impl<I, S, E, B> ShutDown for auto::UpgradeableConnection<'_, I, S, E>
where
    S: hyper::service::HttpService<hyper::body::Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: 'static,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, B>,
{
    fn shut_down(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}
