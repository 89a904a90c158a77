//! `Recover`: a panic in a handler or middleware answers 500 instead of
//! dropping the connection.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Method, StatusCode, Uri};

use super::{ChainFuture, Middleware, Next};
use crate::app::AppHandle;
use crate::problem::Problem;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::route::HandlerFuture;
use crate::router::Resolution;

/// Answers a panic in the rest of the chain with 500 problem+json (the
/// panic message is logged with the method, path and route, never sent to
/// the client); the connection stays usable.
///
/// Every app has it already, outermost, around everything: [`App::new`]
/// turns it on and [`App::recover(false)`](crate::App::recover) off. Wrap it
/// yourself to catch panics within a scope when the app-wide one is off.
///
/// Outermost, it answers a panic in app middleware after that middleware's
/// outer neighbours have unwound: the 500 of a panic in a middleware wrapped
/// after [`RequestId`](super::RequestId) or [`AccessLog`](super::AccessLog)
/// has no request id and no access-log line. Wrap `Recover` right after
/// them, and such a panic is answered inside them (panics in handlers are
/// caught after all app middleware either way).
///
/// [`App::new`]: crate::App::new
///
/// ```
/// use waypost::middleware::{AccessLog, Recover, RequestId};
/// use waypost::{App, Group};
/// let app = App::new().recover(false).group(Group::new("/api").wrap(Recover::new()));
/// let app = App::new()
///     .wrap(RequestId::new())
///     .wrap(AccessLog::new())
///     .wrap(Recover::new()); // panics in what follows get an id and a log line
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Recover {
    _private: (),
}

impl Recover {
    /// Catches panics in what it wraps.
    pub fn new() -> Self {
        Recover { _private: () }
    }
}

impl Middleware for Recover {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        let context = PanicContext::of(req.method(), req.uri(), req.app());
        HandlerFuture::new_in(req, |req| {
            CatchPanic::start(context, || next.run_chain(req))
        })
    }

    fn name(&self) -> &'static str {
        "Recover"
    }
}

/// A future whose panics, in its creation or any poll, become a 500.
pub(crate) struct CatchPanic {
    future: ChainFuture,
    context: PanicContext,
}

impl CatchPanic {
    /// Creates the future with `start` (the synchronous part of a chain runs there) and guards it.
    pub(crate) fn start(context: PanicContext, start: impl FnOnce() -> ChainFuture) -> Self {
        CatchPanic {
            future: start_caught(&context, start),
            context,
        }
    }
}

impl Future for CatchPanic {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        poll_caught(&mut this.future, &this.context, cx)
    }
}

/// Runs `start` (a chain's synchronous part); a panic there becomes the 500.
#[inline]
pub(crate) fn start_caught(
    context: &PanicContext,
    start: impl FnOnce() -> ChainFuture,
) -> ChainFuture {
    match std::panic::catch_unwind(AssertUnwindSafe(start)) {
        Ok(future) => future,
        Err(panic) => ChainFuture::ready(context.answer(panic)),
    }
}

/// Polls `future`; a panic becomes the 500, and the future is not polled again.
#[inline]
pub(crate) fn poll_caught(
    future: &mut ChainFuture,
    context: &PanicContext,
    cx: &mut Context<'_>,
) -> Poll<Response> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *future).poll(cx))) {
        Ok(poll) => poll,
        Err(panic) => {
            *future = ChainFuture::ready(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            Poll::Ready(context.answer(panic))
        }
    }
}

/// What a panic is logged with: the request's method, path and route.
pub(crate) struct PanicContext {
    /// Method and URI, kept only when an error event would be logged:
    /// cloning a URI costs more than the rest of panic handling together.
    /// The app too, to name the route: all of it only when logged, and
    /// boxed, so that the future every request carries stays small.
    request: Option<Box<(Method, Uri, AppHandle)>>,
}

impl PanicContext {
    #[inline]
    pub(crate) fn of(method: &Method, uri: &Uri, app: &AppHandle) -> Self {
        if tracing::enabled!(tracing::Level::ERROR) {
            PanicContext::kept(method, uri, app)
        } else {
            PanicContext { request: None }
        }
    }

    /// Apart, so that the check above is all a request pays when errors are not logged.
    #[cold]
    #[inline(never)]
    fn kept(method: &Method, uri: &Uri, app: &AppHandle) -> Self {
        PanicContext {
            request: Some(Box::new((method.clone(), uri.clone(), app.clone()))),
        }
    }

    /// Logs what a handler's [`Error`](crate::Error) left on its response:
    /// with the method, path and route when they were kept.
    pub(crate) fn log_error(&self, report: &crate::error::ErrorReport) {
        match &self.request {
            Some(request) => {
                let (method, uri, app) = &**request;
                let route = match app.router.resolve(method, uri.path()) {
                    Resolution::Route { endpoint, .. } => endpoint.route.describe(),
                    _ => "(no route)".to_owned(),
                };
                report.log(Some((method, uri.path(), &route)));
            }
            None => report.log(None),
        }
    }

    pub(crate) fn answer(&self, panic: Box<dyn std::any::Any + Send>) -> Response {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(a panic payload that is not a string)");
        if let Some(request) = &self.request {
            let (method, uri, app) = &**request;
            let route = match app.router.resolve(method, uri.path()) {
                Resolution::Route { endpoint, .. } => endpoint.route.describe(),
                _ => "(no route)".to_owned(),
            };
            tracing::error!(
                method = %method,
                path = uri.path(),
                route = %route,
                panic = message,
                "a handler or middleware panicked; answered 500"
            );
        }
        // The same body whatever the log level: the method, path and route
        // go to the log, where they were taken only when it records them.
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_detail("the server failed while handling this request")
            .into_response()
    }
}
