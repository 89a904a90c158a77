//! `AccessLog`: one tracing event per request.

use std::time::Instant;

use tracing::Level;

use super::{Middleware, Next, RequestIdValue};
use crate::request::Request;
use crate::route::HandlerFuture;
use crate::router::Resolution;

/// Emits one `INFO` event per request, target `waypost::access`, with the
/// method, path, matched route pattern, status, latency in microseconds and
/// request id (from [`RequestId`](super::RequestId) when it runs before this).
/// When no subscriber wants the event, it costs a check and nothing else.
///
/// ```
/// use waypost::{middleware::{AccessLog, RequestId}, App};
/// let app = App::new().wrap(RequestId::new()).wrap(AccessLog::new());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLog {
    _private: (),
}

impl AccessLog {
    /// An access log at `INFO`, target `waypost::access`.
    pub fn new() -> Self {
        AccessLog { _private: () }
    }
}

impl Middleware for AccessLog {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        if tracing::enabled!(target: "waypost::access", Level::INFO) {
            logged(req, next)
        } else {
            next.run(req).into_boxed()
        }
    }

    fn name(&self) -> &'static str {
        "AccessLog"
    }
}

/// The rest of the chain, and its event. Apart from `call`, so that a
/// request pays only for the check when nothing records the event.
#[inline(never)]
fn logged(req: Request, next: Next) -> HandlerFuture {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let request_id = req.extensions().get::<RequestIdValue>().cloned();
    let app = req.app().clone();
    HandlerFuture::new_in(req, move |req| async move {
        let response = next.run(req).await;
        // At app scope routing has not happened yet when the request
        // passes: find the route the same way the router did.
        let route = match app.router.resolve(&method, uri.path()) {
            Resolution::Route { endpoint, .. } => Some(endpoint.pattern.as_str()),
            _ => None,
        };
        // Strings as `Display` (`%`): subscribers then write them as they
        // are, not escaped character by character as `Debug` would.
        let request_id = request_id
            .as_ref()
            .map(RequestIdValue::as_str)
            .unwrap_or("");
        tracing::info!(
            target: "waypost::access",
            method = %method,
            path = %uri.path(),
            route = %route.unwrap_or(""),
            status = response.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            request_id = %request_id,
            "request"
        );
        response
    })
}
