//! `Timeout`: a deadline for the rest of the chain.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::StatusCode;
use tokio::time::Sleep;

use super::{ChainFuture, Middleware, Next};
use crate::problem::Problem;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::route::{HandlerFuture, Route};

/// Answers 503 problem+json when the rest of the chain takes longer than
/// the duration; the unfinished handler future is dropped at the deadline.
/// Use it at app, group or route scope.
///
/// A request answered in its first poll (most are) never touches the timer:
/// the clock starts when the rest of the chain first has to wait.
///
/// ```
/// use std::time::Duration;
/// use waypost::{get, middleware::Timeout};
///
/// #[get("/report", wrap = [Timeout::new(Duration::from_secs(30))])]
/// async fn report() -> &'static str { "done" }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    duration: Duration,
}

impl Timeout {
    /// A deadline of `duration` after the request first waits in this middleware.
    pub const fn new(duration: Duration) -> Self {
        Timeout { duration }
    }
}

impl Middleware for Timeout {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        let route = req.route();
        let duration = self.duration;
        HandlerFuture::new_in(req, |req| Deadline {
            inner: Some(next.run_chain(req)),
            duration,
            sleep: None,
            route,
        })
    }

    fn name(&self) -> &'static str {
        "Timeout"
    }
}

/// The rest of the chain, racing a timer that is armed only once it waits.
struct Deadline {
    /// `None` once dropped at the deadline.
    inner: Option<ChainFuture>,
    duration: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    route: Option<&'static Route>,
}

impl Future for Deadline {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        if let Some(inner) = &mut this.inner {
            if let Poll::Ready(response) = Pin::new(inner).poll(cx) {
                return Poll::Ready(response);
            }
        }
        let duration = this.duration;
        let sleep = this
            .sleep
            // `sleep` clamps a deadline past the end of time; `now + duration` would panic.
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(duration)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The deadline passed: drop the unfinished work now, not when the response is written.
        this.inner = None;
        let route = this.route.map(Route::path).unwrap_or("(before routing)");
        tracing::warn!(route, ?duration, "request timed out; answered 503");
        Poll::Ready(
            Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail(format!(
                    "the request took longer than {} ms",
                    duration.as_millis()
                ))
                .into_response(),
        )
    }
}
