//! Chains composed once when the app is built: the middleware of one scope
//! path (app, or group → route) and what runs after them.

use std::sync::Arc;

use http::HeaderValue;

use super::Middleware;
use crate::route::HandlerFn;

/// What `wrap` (or `layer`) added to a scope, before it is composed.
#[derive(Clone)]
pub(crate) enum Layer {
    Middleware(Arc<dyn Middleware>),
}

impl Layer {
    pub(crate) fn middleware(&self) -> &Arc<dyn Middleware> {
        match self {
            Layer::Middleware(middleware) => middleware,
        }
    }
}

/// One composed chain.
pub(crate) struct Chain {
    pub(crate) layers: Box<[Arc<dyn Middleware>]>,
    pub(crate) end: ChainEnd,
}

/// What runs after a chain's last middleware.
pub(crate) enum ChainEnd {
    /// The app chain: routing, then the route's own chain.
    Router,
    /// A route's chain: its handler.
    Handler(HandlerFn),
    /// A group's chain for a path whose method it lacks: 405 with this `Allow`.
    MethodNotAllowed(HeaderValue),
}

impl Layer {
    /// Whether two layers are the same value added once (to a group shared by several routes).
    pub(crate) fn same_as(&self, other: &Layer) -> bool {
        Arc::ptr_eq(self.middleware(), other.middleware())
    }
}
