//! The request as extractors see it: the head, the body until one extractor takes it, and the app.

use std::sync::Arc;

use http::request::Parts;

use crate::app::AppShared;
use crate::Body;

/// A request being taken apart by a handler's extractors.
pub struct RequestParts {
    head: Parts,
    body: Option<Body>,
    app: Arc<AppShared>,
}

impl RequestParts {
    pub(crate) fn new(request: http::Request<Body>, app: Arc<AppShared>) -> Self {
        let (head, body) = request.into_parts();
        RequestParts {
            head,
            body: Some(body),
            app,
        }
    }

    /// Method, URI, version, headers and extensions.
    pub fn head(&self) -> &Parts {
        &self.head
    }

    /// The head, mutably (e.g. to take an extension out).
    pub fn head_mut(&mut self) -> &mut Parts {
        &mut self.head
    }

    /// Takes the body; `None` if an extractor took it already.
    pub fn take_body(&mut self) -> Option<Body> {
        self.body.take()
    }

    /// The largest body, in bytes, that body extractors accept.
    pub fn body_limit(&self) -> usize {
        self.app.body_limit
    }

    /// App state of type `T`, if it was set with `App::state`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.app.state::<T>()
    }
}
