//! `Timeout`: a deadline for the rest of the chain.

use std::time::Duration;

use http::StatusCode;

use super::{Middleware, Next};
use crate::problem::Problem;
use crate::request::Request;
use crate::response::IntoResponse;
use crate::route::HandlerFuture;

/// Answers 503 problem+json when the rest of the chain takes longer than
/// the duration; the unfinished handler future is dropped at the deadline.
/// Use it at app, group or route scope.
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
    /// A deadline of `duration` after the request enters this middleware.
    pub const fn new(duration: Duration) -> Self {
        Timeout { duration }
    }
}

impl Middleware for Timeout {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        let duration = self.duration;
        Box::pin(async move {
            let uri = req.uri().clone();
            match tokio::time::timeout(duration, next.run(req)).await {
                Ok(response) => response,
                Err(_) => {
                    let path = uri.path();
                    tracing::warn!(path, ?duration, "request timed out; answered 503");
                    Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                        .with_detail(format!(
                            "the request took longer than {} ms",
                            duration.as_millis()
                        ))
                        .with_instance(path)
                        .into_response()
                }
            }
        })
    }

    fn name(&self) -> &'static str {
        "Timeout"
    }
}
