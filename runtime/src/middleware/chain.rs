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
    /// The middleware, the same at every chain position of one build it is
    /// used at (the `Next` it gets with each request says where the chain
    /// goes on). A tower layer makes its service once per build, in `made`:
    /// each built app has its own service state.
    pub(crate) fn instantiate(&self, made: &mut Made) -> Arc<dyn Middleware> {
        match self {
            // An invalid layer was refused by `App::build` before any chain was composed.
            Layer::Middleware(middleware) => middleware.clone(),
            Layer::Tower(factory) => made.of(factory),
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

/// The middleware made from tower layers during one build, by layer. Each
/// layer is held with what it made: a layer that lived only for part of the
/// build (a route's own) must not leave its address to another.
#[derive(Default)]
pub(crate) struct Made(Vec<(Arc<dyn LayerFactory>, Arc<dyn Middleware>)>);

impl Made {
    fn of(&mut self, factory: &Arc<dyn LayerFactory>) -> Arc<dyn Middleware> {
        if let Some((_, made)) = self.0.iter().find(|(seen, _)| Arc::ptr_eq(seen, factory)) {
            return made.clone();
        }
        let made = factory.instantiate();
        self.0.push((factory.clone(), made.clone()));
        made
    }
}

/// The chains of one build, numbered as they are composed.
#[derive(Default)]
pub(crate) struct Chains {
    pub(crate) chains: Vec<Chain>,
    made: Made,
}

impl Chains {
    /// Composes `layers` and what runs after them into the next chain; its number.
    pub(crate) fn push(&mut self, layers: &[&Layer], end: ChainEnd) -> u32 {
        let index = self.chains.len() as u32;
        let layers = layers
            .iter()
            .map(|layer| layer.instantiate(&mut self.made))
            .collect();
        self.chains.push(Chain { layers, end });
        index
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
