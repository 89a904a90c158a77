//! Serving an app over TCP: HTTP/1.1 and HTTP/2 on one port, a task per connection.

use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::app::{App, BuildError};
use crate::service::AppService;

/// Why serving stopped or never started.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The app did not hold together; nothing was served.
    Build(BuildError),
    /// The address could not be bound.
    Bind(std::io::Error),
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

impl App {
    /// Builds the app, binds `addr` and serves until the process ends.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> Result<(), ServeError> {
        let service = self.build()?;
        let listener = TcpListener::bind(addr).await.map_err(ServeError::Bind)?;
        serve_connections(listener, service).await;
        Ok(())
    }

    /// Builds the app and serves it on a listener that is already bound
    /// (port 0 in tests, or a socket handed over by a supervisor).
    pub async fn serve_listener(self, listener: TcpListener) -> Result<(), ServeError> {
        let service = self.build()?;
        serve_connections(listener, service).await;
        Ok(())
    }
}

/// Accepts connections forever, each served on its own task.
pub(crate) async fn serve_connections(listener: TcpListener, service: AppService) {
    let builder = auto::Builder::new(TokioExecutor::new());
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "listening");
    }
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not set TCP_NODELAY");
        }
        let service = service.for_peer(peer);
        let builder = builder.clone();
        tokio::spawn(async move {
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
}
