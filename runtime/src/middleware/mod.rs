//! Middleware: code that runs around handlers, declared with `#[middleware]`
//! or taken from the built-ins of this module, composed once when the app is built.
//!
//! ```text
//! request ─► app chain (every request, 404 and 405 too)
//!            └─► router ─► outer group ─► inner group ─► route ─► handler
//! response ◄─ the same chain, inside out
//! ```
//!
//! Within one `wrap` list the first is outermost. A tuple of `#[middleware]`
//! fns, `.wrap((a, b, c))`, runs in the same order as one future composed at
//! compile time: cheaper per request than separate `wrap`s (see [`Compose`]).
//!
//! ```
//! use waypost::{get, middleware, routes, App, Group, Next, Request, Response};
//!
//! #[middleware]
//! async fn stamp(req: Request, next: Next) -> Response {
//!     let mut response = next.run(req).await;
//!     response.headers_mut().insert("x-stamp", "1".parse().unwrap());
//!     response
//! }
//!
//! #[get("/users")]
//! async fn users() -> &'static str { "[]" }
//!
//! let app = App::new().group(Group::new("/api").wrap(stamp).mount("/", routes![users]));
//! # let _ = app.build().unwrap();
//! ```

mod access_log;
mod body_limit;
mod chain;
mod compose;
#[cfg(feature = "compression")]
mod compression;
mod cors;
mod next;
#[cfg(feature = "rate-limit")]
mod rate_limit;
mod recover;
mod request_id;
mod timeout;
mod tower;

pub use access_log::AccessLog;
pub use body_limit::BodyLimit;
pub use compose::{Compose, Then};
#[cfg(feature = "compression")]
pub use compression::Compression;
pub use cors::Cors;
pub(crate) use next::ChainFuture;
pub use next::{Chained, Next, NextFuture, Rest};
#[cfg(feature = "rate-limit")]
pub use rate_limit::{ManualClock, ProxyHeader, RateLimit};
pub use recover::Recover;
pub(crate) use recover::{poll_caught, start_caught, CatchPanic, PanicContext};
pub use request_id::{RequestId, RequestIdValue};
pub use timeout::Timeout;
pub use tower::{NextService, NextServiceFuture, TowerLayerBound};

pub use crate::extract::{AuthRejection, BasicAuth, Bearer};

pub use chain::ChainLayer;
pub(crate) use chain::{Chain, ChainEnd, Chains, Layer};
pub(crate) use tower::tower_layer;

use crate::extract::StateNeeds;
use crate::request::Request;
use crate::route::HandlerFuture;

/// Code that runs around handlers: `#[middleware] async fn`, the built-ins, or your own type.
///
/// `call` gets the request and the rest of the chain; it may change the
/// request, answer without calling [`Next::run`], or change the response.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a middleware",
    label = "not a middleware",
    note = "declare one with `#[waypost::middleware] async fn name(req: Request, next: Next) -> Response`, or use a built-in from `waypost::middleware` (`RequestId`, `AccessLog`, `Timeout`, …)",
    note = "a `tower::Layer` goes to `.layer(..)`, not `.wrap(..)`",
    note = "in a tuple `(a, b)`, each must be a `#[middleware]` fn that uses `next` only as `next.run(req).await`, or takes `next: Next<impl Rest>`; wrap anything else on its own: `.wrap((a, b)).wrap(other)`"
)]
pub trait Middleware: Send + Sync + 'static {
    /// Runs the middleware for one request.
    fn call(&self, req: Request, next: Next) -> HandlerFuture;

    /// The name used in build errors and logs.
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }

    /// Records the extension types this middleware inserts (`provides = T`).
    fn provides(&self, _provided: &mut Provided) {}

    /// Records the state and extension types this middleware's extractors need.
    fn required(&self, _needs: &mut StateNeeds) {}

    /// The middleware this value is composed of, in order, when it is
    /// several (a tuple); `false` when it is one.
    #[doc(hidden)]
    fn composed_of<'a>(&'a self, _parts: &mut Vec<&'a dyn Middleware>) -> bool {
        false
    }

    /// How a scope keeps this middleware. Built-ins made of tower layers
    /// override it to be applied as a tower layer.
    #[doc(hidden)]
    fn into_layer(self) -> ChainLayer
    where
        Self: Sized,
    {
        ChainLayer(Layer::Middleware(std::sync::Arc::new(self)))
    }
}

/// The extension types the middleware of one chain insert.
#[derive(Debug, Default)]
pub struct Provided(pub(crate) Vec<std::any::TypeId>);

impl Provided {
    /// Records that values of type `T` are inserted into requests' extensions.
    pub fn insert<T: 'static>(&mut self) {
        self.0.push(std::any::TypeId::of::<T>());
    }

    pub(crate) fn contains(&self, id: std::any::TypeId) -> bool {
        self.0.contains(&id)
    }
}
