//! `Next`: the rest of a middleware chain, and the future it returns.

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
/// It is two indices, composed when the app was built: running it costs a
/// lookup, not an allocation.
#[derive(Debug, Clone, Copy)]
pub struct Next {
    chain: u32,
    position: u32,
}

impl Next {
    /// The start of chain `chain`.
    pub(crate) fn start(chain: u32) -> Next {
        Next { chain, position: 0 }
    }

    /// Runs the rest of the chain and returns its response.
    pub fn run(self, mut req: Request) -> NextFuture {
        // The futures of the chain's middleware and of the handler are placed in the request's frame.
        req.frame_mut().start();
        // The app handle is per connection: cloning it touches no counter that other connections share.
        let app = req.app().clone();
        let chain = app.chain(self.chain);
        match chain.layers.get(self.position as usize) {
            Some(layer) => NextFuture {
                future: layer.call(
                    req,
                    Next {
                        chain: self.chain,
                        position: self.position + 1,
                    },
                ),
                in_middleware: true,
            },
            None => match &chain.end {
                // Past the app's middleware, panics are caught again, so that
                // they see the 500 (an access log records it, a request id
                // is set on it); the guard around the whole app catches
                // panics in those middleware themselves.
                ChainEnd::Router if app.recover => {
                    let context = PanicContext::of(req.method(), req.uri(), &app);
                    NextFuture::boxed(HandlerFuture::new_in(req, |req| {
                        CatchPanic::start(context, || app.router.dispatch(req))
                    }))
                }
                ChainEnd::Router => app.router.dispatch(req),
                ChainEnd::Handler(handler) => NextFuture::boxed(handler(req)),
                ChainEnd::MethodNotAllowed(allow) => NextFuture::ready(
                    crate::router::method_not_allowed(req.method(), req.uri().path(), allow),
                ),
            },
        }
    }
}

/// The response of the rest of a chain.
pub struct NextFuture {
    future: HandlerFuture,
    /// A middleware is running and holds the request (see
    /// `ResponseFuture::run_ahead`), rather than a handler (or a middleware
    /// that the request reached through another `NextFuture`).
    in_middleware: bool,
}

impl NextFuture {
    pub(crate) fn boxed(future: HandlerFuture) -> Self {
        NextFuture {
            future,
            in_middleware: false,
        }
    }

    /// Answered without running anything (a 404 or 405): the cold path, so
    /// the response takes a block rather than making every `NextFuture` larger.
    pub(crate) fn ready(response: Response) -> Self {
        NextFuture::boxed(HandlerFuture::new(std::future::ready(response)))
    }

    /// Whether a middleware holds the request.
    pub(crate) fn in_middleware(&self) -> bool {
        self.in_middleware
    }

    /// The future as a [`HandlerFuture`]: a middleware that only changes
    /// the request returns this.
    pub fn into_boxed(self) -> HandlerFuture {
        self.future
    }
}

impl Future for NextFuture {
    type Output = Response;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        Pin::new(&mut self.get_mut().future).poll(cx)
    }
}
