//! What starts a graceful shutdown, and the report it ends with.

use std::future::Future;
use std::pin::Pin;

/// What starts a graceful shutdown.
pub(crate) enum Trigger {
    /// SIGINT or SIGTERM (Ctrl-C elsewhere).
    Signals,
    /// A future the user passed to `with_graceful_shutdown`.
    Future(Pin<Box<dyn Future<Output = ()> + Send>>),
}

impl Trigger {
    /// Completes when shutdown should begin.
    pub(crate) async fn fired(self) {
        match self {
            Trigger::Future(future) => future.await,
            Trigger::Signals => signals().await,
        }
    }
}

#[cfg(unix)]
async fn signals() {
    use tokio::signal::unix::{signal, SignalKind};
    let (interrupt, terminate) = match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "cannot listen for SIGINT and SIGTERM: no graceful shutdown on signals");
            return std::future::pending().await;
        }
    };
    let (mut interrupt, mut terminate) = (interrupt, terminate);
    let name = tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    };
    tracing::info!(signal = name, "shutting down gracefully");
}

#[cfg(not(unix))]
async fn signals() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for Ctrl-C: no graceful shutdown on signals");
        return std::future::pending().await;
    }
    tracing::info!(signal = "ctrl-c", "shutting down gracefully");
}

/// What a graceful shutdown did, logged when it ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DrainReport {
    /// Connections open when shutdown began.
    pub(crate) connections: usize,
    /// Requests in flight when shutdown began that completed.
    pub(crate) requests_finished: usize,
    /// Requests still in flight at the drain deadline, cut off.
    pub(crate) requests_cut_off: usize,
}
