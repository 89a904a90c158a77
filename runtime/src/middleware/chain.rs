//! Chains composed once when the app is built: the middleware of one scope
//! path (app, or group → route) and what runs after them.

use std::sync::Arc;

use http::HeaderValue;

use super::tower::LayerFactory;
use super::{Middleware, Next};
use crate::route::HandlerFn;

/// What `wrap` (or `layer`) added to a scope, before it is composed.
#[derive(Clone)]
pub(crate) enum Layer {
    /// A middleware, the same value at every position it is used.
    Middleware(Arc<dyn Middleware>),
    /// A tower layer, applied anew at each chain position around the rest of that chain.
    Tower(Arc<dyn LayerFactory>),
    /// A middleware whose configuration cannot work; `App::build` refuses it.
    Invalid { name: &'static str, reason: String },
}

/// A middleware as a scope keeps it. Made by [`Middleware::into_layer`].
#[doc(hidden)]
pub struct ChainLayer(pub(crate) Layer);

impl Layer {
    /// The middleware at `position` of chain `chain`.
    pub(crate) fn instantiate(&self, chain: u32, position: u32) -> Arc<dyn Middleware> {
        // An invalid layer was refused by `App::build` before any chain was composed.
        self.instantiate_at(Next::at(chain, position + 1))
    }

    /// The middleware that continues at `next`.
    pub(crate) fn instantiate_at(&self, next: Next) -> Arc<dyn Middleware> {
        match self {
            Layer::Middleware(middleware) => middleware.clone(),
            Layer::Tower(factory) => factory.instantiate(next),
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
    /// Composes `layers` as chain number `index`.
    pub(crate) fn compose(index: u32, layers: &[&Layer], end: ChainEnd) -> Chain {
        Chain {
            layers: layers
                .iter()
                .enumerate()
                .map(|(position, layer)| layer.instantiate(index, position as u32))
                .collect(),
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
