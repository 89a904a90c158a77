//! `BodyLimit`: the largest request body for a group or a route.

use super::{Middleware, Next};
use crate::request::Request;
use crate::route::HandlerFuture;

/// Sets the largest request body, in bytes, that body extractors accept
/// (413 problem+json beyond) for the routes it wraps; `App::body_limit` sets
/// the app-wide default.
///
/// ```
/// use waypost::{post, middleware::BodyLimit, Bytes};
///
/// #[post("/uploads", wrap = [BodyLimit::new(64 * 1024 * 1024)])]
/// async fn upload(body: Bytes) -> String { body.len().to_string() }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    bytes: usize,
}

impl BodyLimit {
    /// A limit of `bytes`.
    pub const fn new(bytes: usize) -> Self {
        BodyLimit { bytes }
    }
}

impl Middleware for BodyLimit {
    fn call(&self, mut req: Request, next: Next) -> HandlerFuture {
        req.set_body_limit(self.bytes);
        next.run(req).into_boxed()
    }

    fn name(&self) -> &'static str {
        "BodyLimit"
    }
}
