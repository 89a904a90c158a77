//! `Next`: the rest of a middleware chain, and the futures that run it.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chain::ChainEnd;
use super::{CatchPanic, PanicContext};
use crate::request::Request;
use crate::response::Response;
use crate::route::HandlerFuture;

/// The rest of the chain after the running middleware: the next middleware,
/// or, at the end, the router or the handler.
///
/// A middleware gets it as `next: Next` and calls [`Next::run`], as often as
/// it likes (it is `Copy`). Usually it is two indices into the chains
/// composed when the app was built (`R` is [`Chained`]): running it costs a
/// lookup, not an allocation. Inside a tuple of middleware wrapped together
/// (`.wrap((a, b, c))`) it is the rest of the tuple itself, known when the
/// program is compiled, so the compiler joins those middleware into one
/// future (see [`Compose`](super::Compose)).
///
/// A `#[middleware]` that uses `next` only as `next.run(req).await` (or
/// `.into_boxed()`) composes as written. One that passes `next` on to a
/// function of its own composes when both take `Next<impl Rest>`:
///
/// ```
/// use waypost::{middleware, middleware::Rest, routes, get, App, Next, Request, Response};
///
/// async fn logged(req: Request, next: Next<impl Rest>) -> Response {
///     let response = next.run(req).await;
///     tracing::info!(status = %response.status(), "answered");
///     response
/// }
///
/// #[middleware]
/// async fn log(req: Request, next: Next<impl Rest>) -> Response {
///     logged(req, next).await
/// }
///
/// #[middleware]
/// async fn stamp(req: Request, next: Next) -> Response {
///     next.run(req).await
/// }
///
/// #[get("/")]
/// async fn index() -> &'static str { "hi" }
///
/// let app = App::new().wrap((log, stamp)).mount("/", routes![index]);
/// # let _ = app.build().unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Next<R = Chained> {
    rest: R,
}

/// The rest of a chain composed when the app was built: a chain and a position in it.
#[derive(Debug, Clone, Copy)]
pub struct Chained {
    chain: u32,
    position: u32,
}

/// What can come after a middleware: the chain composed at build time
/// ([`Chained`]), or the rest of a tuple of middleware composed at compile
/// time ([`Then`](super::Then)).
///
/// Sealed: only waypost makes what comes next.
pub trait Rest: sealed::Sealed + Copy + Send + Sync + std::fmt::Debug + 'static {
    /// Runs the rest of the chain and returns its response.
    fn run(self, req: Request) -> impl Future<Output = Response> + Send + 'static;
}

impl<R: Rest> Next<R> {
    /// The rest of a chain `rest`.
    pub(crate) fn new(rest: R) -> Self {
        Next { rest }
    }

    /// What comes next.
    pub(crate) fn rest(self) -> R {
        self.rest
    }

    /// Runs the rest of the chain and returns its response.
    #[inline]
    pub fn run(self, req: Request) -> NextFuture<impl Future<Output = Response> + Send + 'static> {
        NextFuture {
            future: self.rest.run(req),
        }
    }
}

impl Next {
    /// The start of chain `chain`.
    pub(crate) fn start(chain: u32) -> Next {
        Next {
            rest: Chained { chain, position: 0 },
        }
    }

    /// Runs the rest of the chain, as a future of a type the runtime can name.
    pub(crate) fn run_chain(self, mut req: Request) -> ChainFuture {
        let Chained { chain, position } = self.rest;
        // The futures of the chain's middleware and of the handler are placed in the request's frame.
        req.frame_mut().start();
        // The app handle is per connection: cloning it touches no counter that other connections share.
        let app = req.app().clone();
        let composed = app.chain(chain);
        match composed.layers.get(position as usize) {
            Some(layer) => ChainFuture {
                future: layer.call(
                    req,
                    Next {
                        rest: Chained {
                            chain,
                            position: position + 1,
                        },
                    },
                ),
                in_middleware: true,
            },
            None => match &composed.end {
                // Past the app's middleware, panics are caught again, so that
                // they see the 500 (an access log records it, a request id
                // is set on it); the guard around the whole app catches
                // panics in those middleware themselves.
                ChainEnd::Router if app.recover => {
                    let context = PanicContext::of(req.method(), req.uri(), &app);
                    ChainFuture::boxed(HandlerFuture::new_in(req, |req| {
                        CatchPanic::start(context, || app.router.dispatch(req))
                    }))
                }
                ChainEnd::Router => app.router.dispatch(req),
                ChainEnd::Handler(handler) => ChainFuture::boxed(handler(req)),
                ChainEnd::MethodNotAllowed(allow) => ChainFuture::ready(
                    crate::router::method_not_allowed(req.method(), req.uri().path(), allow),
                ),
            },
        }
    }
}

pub(crate) mod sealed {
    /// Keeps [`Rest`](super::Rest) to the rests of chains waypost makes.
    pub trait Sealed {}
}

impl sealed::Sealed for Chained {}

impl Rest for Chained {
    #[inline]
    fn run(self, req: Request) -> impl Future<Output = Response> + Send + 'static {
        Next { rest: self }.run_chain(req)
    }
}

pin_project_lite::pin_project! {
    /// The response of the rest of a chain: what [`Next::run`] returns.
    /// Await it, or turn it into a [`HandlerFuture`] with
    /// [`into_boxed`](NextFuture::into_boxed) to keep it in a type of your
    /// own (its `F` cannot be named; a `HandlerFuture` can, and is `Unpin`).
    pub struct NextFuture<F> {
        #[pin]
        future: F,
    }
}

impl<F> NextFuture<F>
where
    F: Future<Output = Response> + Send + 'static,
{
    /// The future as a [`HandlerFuture`]: a middleware that only changes
    /// the request returns this. The rest of a chain composed at build time
    /// is a `HandlerFuture` already, and is not boxed again.
    pub fn into_boxed(self) -> HandlerFuture {
        let mut future = Some(self.future);
        if let Some(chained) = (&mut future as &mut dyn Any).downcast_mut::<Option<ChainFuture>>() {
            if let Some(chained) = chained.take() {
                return chained.future;
            }
        }
        match future {
            Some(future) => HandlerFuture::new(future),
            None => unreachable!("the future was taken only when it was a chain's"),
        }
    }
}

impl<F: Future<Output = Response>> Future for NextFuture<F> {
    type Output = Response;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.project().future.poll(cx)
    }
}

/// The response of the rest of a chain composed at build time.
pub(crate) struct ChainFuture {
    future: HandlerFuture,
    /// A middleware is running and holds the request (see
    /// `ResponseFuture::run_ahead`), rather than a handler (or a middleware
    /// that the request reached through another `ChainFuture`).
    in_middleware: bool,
}

impl ChainFuture {
    pub(crate) fn boxed(future: HandlerFuture) -> Self {
        ChainFuture {
            future,
            in_middleware: false,
        }
    }

    /// Answered without running anything (a 404 or 405): the cold path, so
    /// the response takes a block rather than making every `ChainFuture` larger.
    pub(crate) fn ready(response: Response) -> Self {
        ChainFuture::boxed(HandlerFuture::new(std::future::ready(response)))
    }

    /// Whether a middleware holds the request.
    pub(crate) fn in_middleware(&self) -> bool {
        self.in_middleware
    }
}

impl Future for ChainFuture {
    type Output = Response;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        Pin::new(&mut self.get_mut().future).poll(cx)
    }
}
