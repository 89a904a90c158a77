//! Chains composed once when the app is built: the middleware of one scope
//! path (app, or group → route) and what runs after them.

use std::sync::Arc;

use http::HeaderValue;

use super::tower::LayerFactory;
use super::Middleware;
use crate::route::HandlerFn;

/// What `wrap` (or `layer`) added to a scope, before it is composed.
#[derive(Clone)]
pub(crate) enum Layer {
    /// A middleware, the same value at every position it is used.
    Middleware(Arc<dyn Middleware>),
    /// A tower layer, applied once around a service that goes on where each request says.
    Tower(Arc<dyn LayerFactory>),
    /// A middleware whose configuration cannot work; `App::build` refuses it.
    Invalid { name: &'static str, reason: String },
}

/// A middleware as a scope keeps it. Made by [`Middleware::into_layer`].
#[doc(hidden)]
pub struct ChainLayer(pub(crate) Layer);

impl Layer {
    /// The middleware, the same at every chain position it is used at (the
    /// `Next` it gets with each request says where the chain goes on).
    pub(crate) fn instantiate(&self) -> Arc<dyn Middleware> {
        match self {
            // An invalid layer was refused by `App::build` before any chain was composed.
            Layer::Middleware(middleware) => middleware.clone(),
            Layer::Tower(factory) => factory.instantiate(),
            Layer::Invalid { .. } => unreachable!("an invalid middleware reached a chain"),
        }
    }

    /// Whether two layers are the same value added once (to a group shared by several routes).
    pub(crate) fn same_as(&self, other: &Layer) -> bool {
        match (self, other) {
            (Layer::Middleware(a), Layer::Middleware(b)) => Arc::ptr_eq(a, b),
            (Layer::Tower(a), Layer::Tower(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Why this layer cannot be used, if it cannot.
    pub(crate) fn invalid(&self) -> Option<(&'static str, &str)> {
        match self {
            Layer::Invalid { name, reason } => Some((name, reason)),
            _ => None,
        }
    }
}

/// One composed chain.
pub(crate) struct Chain {
    pub(crate) layers: Box<[Arc<dyn Middleware>]>,
    pub(crate) end: ChainEnd,
}

impl Chain {
    /// Composes `layers` into a chain.
    pub(crate) fn compose(layers: &[&Layer], end: ChainEnd) -> Chain {
        Chain {
            layers: layers.iter().map(|layer| layer.instantiate()).collect(),
            end,
        }
    }
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
