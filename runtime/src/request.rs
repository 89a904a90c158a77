//! The request as middleware and handlers see it: the HTTP head and body,
//! what routing found, and the app it runs in.
//!
//! Routing happens before any middleware: a [`Request`] knows its route and
//! where its path parameters are, but the parameters are parsed only when the
//! handler runs, so a middleware can answer (a 401, say) before a malformed
//! `<id>` would have answered 400.

use std::net::SocketAddr;

use http::request::Parts;
use http::{Extensions, HeaderMap, Method, Uri, Version};

use crate::app::AppHandle;
use crate::handler_future::FrameRef;
use crate::route::Route;
use crate::Body;

/// A request on its way through middleware to a handler.
///
/// It has the accessors of `http::Request` (`headers()`, `extensions_mut()`,
/// `uri()`, …) and carries, besides, the matched route and the app.
///
/// ```
/// use waypost::{middleware, Next, Request, Response};
///
/// #[middleware]
/// async fn tag(mut req: Request, next: Next) -> Response {
///     req.headers_mut().insert("x-seen", "1".parse().unwrap());
///     let mut response = next.run(req).await;
///     response.headers_mut().insert("x-tagged", "1".parse().unwrap());
///     response
/// }
/// ```
///
/// It is one pointer wide: the head, body and context live in one heap
/// block made when the request arrives, so passing a request through a
/// chain of middleware moves eight bytes per step, not a few hundred.
pub struct Request(Box<Inner>);

struct Inner {
    parts: RequestParts,
    body: Body,
    /// Where the futures of its middleware and handler are placed. It
    /// belongs to the whole request: split into parts, a request lets go
    /// of it (a request made again from parts has none, and boxes as usual).
    frame: FrameRef,
}

impl Inner {
    fn new(parts: RequestParts, body: Body) -> Self {
        Inner {
            parts,
            body,
            frame: FrameRef::none(),
        }
    }

    /// The parts and the body, letting go of the frame; without `Drop`
    /// (which would keep the extensions' map).
    fn into_fields(self) -> (RequestParts, Body) {
        let mut this = std::mem::ManuallyDrop::new(self);
        // SAFETY: each field is read or dropped once, and `this` is neither
        // used nor dropped afterwards.
        unsafe {
            std::ptr::drop_in_place(&mut this.frame);
            (std::ptr::read(&this.parts), std::ptr::read(&this.body))
        }
    }
}

impl Drop for Inner {
    /// A request that ends whole leaves its extension map for the next one.
    #[inline(always)]
    fn drop(&mut self) {
        crate::spare_extensions::keep(&mut self.parts.head.extensions);
    }
}

/// The head of a request and its context, without the body: what extractors
/// that do not read the body ([`FromRequestParts`](crate::FromRequestParts)) see.
pub struct RequestParts {
    head: Parts,
    app: AppHandle,
    routed: Option<Routed>,
    body_limit: usize,
    peer: Peer,
}

/// Where a request came from: the client's address (none through the test
/// client) and whether the connection is this server's TLS.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Peer {
    pub(crate) addr: Option<SocketAddr>,
    pub(crate) tls: bool,
}

/// What routing found: the route, and the path node that knows where its
/// parameters sit. The path's address and length are kept to notice a
/// middleware that replaced the URI since.
#[derive(Clone)]
pub(crate) struct Routed {
    pub(crate) route: &'static Route,
    pub(crate) node: u32,
    pub(crate) path_identity: (usize, usize),
}

impl Routed {
    pub(crate) fn new(route: &'static Route, node: u32, path: &str) -> Self {
        Routed {
            route,
            node,
            path_identity: (path.as_ptr() as usize, path.len()),
        }
    }
}

impl Request {
    #[inline]
    pub(crate) fn new<B>(request: http::Request<B>, app: AppHandle, peer: Peer) -> Self
    where
        Body: From<B>,
    {
        let (head, body) = request.into_parts();
        let body = Body::from(body);
        let body_limit = app.body_limit;
        // Written field by field into its block: built on the stack and then
        // moved, the head (a few hundred bytes) would be copied twice.
        let mut inner = Box::<Inner>::new_uninit();
        let slot = inner.as_mut_ptr();
        // SAFETY: every field of `Inner` is written once before `assume_init`,
        // through pointers into the block, which nothing else can see yet.
        unsafe {
            std::ptr::addr_of_mut!((*slot).parts.head).write(head);
            std::ptr::addr_of_mut!((*slot).parts.app).write(app);
            std::ptr::addr_of_mut!((*slot).parts.routed).write(None);
            std::ptr::addr_of_mut!((*slot).parts.body_limit).write(body_limit);
            std::ptr::addr_of_mut!((*slot).parts.peer).write(peer);
            std::ptr::addr_of_mut!((*slot).frame).write(FrameRef::none());
            std::ptr::addr_of_mut!((*slot).body).write(body);
            Request(inner.assume_init())
        }
    }

    /// Splits the request into its parts and its body.
    pub fn into_parts(self) -> (RequestParts, Body) {
        let (parts, body) = self.0.into_fields();
        (parts, body)
    }

    /// Joins parts and a body back into a request.
    pub fn from_parts(parts: RequestParts, body: Body) -> Self {
        Request(Box::new(Inner::new(parts, body)))
    }

    /// The parts: head and context.
    pub fn parts(&self) -> &RequestParts {
        &self.0.parts
    }

    /// The parts, mutably (to run an extractor from a middleware, say).
    pub fn parts_mut(&mut self) -> &mut RequestParts {
        &mut self.0.parts
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.0.parts.head.method
    }

    /// The method, mutably.
    pub fn method_mut(&mut self) -> &mut Method {
        &mut self.0.parts.head.method
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        &self.0.parts.head.uri
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.0.parts.head.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.parts.head.headers
    }

    /// The headers, mutably.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.0.parts.head.headers
    }

    /// Typed values attached to the request (a middleware's `provides`).
    pub fn extensions(&self) -> &Extensions {
        &self.0.parts.head.extensions
    }

    /// Typed values attached to the request, mutably: insert what handlers
    /// take as [`Extension<T>`](crate::Extension).
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        let extensions = &mut self.0.parts.head.extensions;
        crate::spare_extensions::reuse(extensions);
        extensions
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.0.body
    }

    /// The body, mutably.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.0.body
    }

    /// Takes the body, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.0.body)
    }

    /// The route routing matched; always `None` in an app-scope middleware, which runs before routing.
    pub fn route(&self) -> Option<&'static Route> {
        self.0.parts.route()
    }

    /// The address of the client's end of the connection (a proxy's, behind
    /// one); `None` for requests that did not come over TCP (the test client).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.0.parts.peer.addr
    }

    /// Whether the request came over this server's TLS ([`Server::tls`](crate::Server::tls)).
    /// Behind a proxy that ends TLS itself, this is `false`.
    pub fn is_tls(&self) -> bool {
        self.0.parts.peer.tls
    }

    /// The largest body, in bytes, that body extractors accept for this request.
    pub fn body_limit(&self) -> usize {
        self.0.parts.body_limit
    }

    /// Sets the largest body, in bytes, that body extractors accept for this request.
    pub fn set_body_limit(&mut self, bytes: usize) {
        self.0.parts.body_limit = bytes;
    }

    /// The request as a plain `http::Request`, its context dropped.
    pub fn into_http(self) -> http::Request<Body> {
        let (parts, body) = self.0.into_fields();
        http::Request::from_parts(parts.head, body)
    }

    pub(crate) fn app(&self) -> &AppHandle {
        &self.0.parts.app
    }

    /// The request's frame, for [`HandlerFuture::new_in`](crate::HandlerFuture::new_in).
    #[inline]
    pub(crate) fn frame_mut(&mut self) -> &mut FrameRef {
        &mut self.0.frame
    }

    pub(crate) fn set_routed(&mut self, routed: Routed) {
        self.0.parts.routed = Some(routed);
    }

    /// Splits off the head and body, keeping the context to join them again
    /// with [`RequestContext::join`]: how a request passes through a tower layer.
    pub(crate) fn split_http(self) -> (http::Request<Body>, RequestContext) {
        let (parts, body) = self.0.into_fields();
        let RequestParts {
            head,
            app,
            routed,
            body_limit,
            peer,
        } = parts;
        (
            http::Request::from_parts(head, body),
            RequestContext {
                app,
                routed,
                body_limit,
                peer,
                next: None,
            },
        )
    }
}

/// A request's context without its head and body, while a tower layer has
/// them (it travels in the `http::Request`'s extensions).
#[derive(Clone)]
pub(crate) struct RequestContext {
    app: AppHandle,
    routed: Option<Routed>,
    body_limit: usize,
    peer: Peer,
    /// Where the chain goes on after the tower layer that has the request.
    pub(crate) next: Option<crate::middleware::Next>,
}

impl RequestContext {
    pub(crate) fn join(self, request: http::Request<Body>) -> Request {
        let (head, body) = request.into_parts();
        Request(Box::new(Inner::new(
            RequestParts {
                head,
                app: self.app,
                routed: self.routed,
                body_limit: self.body_limit,
                peer: self.peer,
            },
            body,
        )))
    }
}

impl RequestParts {
    pub(crate) fn app(&self) -> &AppHandle {
        &self.app
    }

    /// Method, URI, version, headers and extensions.
    pub fn head(&self) -> &Parts {
        &self.head
    }

    /// The head, mutably (e.g. to take an extension out).
    pub fn head_mut(&mut self) -> &mut Parts {
        &mut self.head
    }

    /// The largest body, in bytes, that body extractors accept.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The address of the client's end of the connection, if it came over TCP.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer.addr
    }

    /// Whether the request came over this server's TLS ([`Server::tls`](crate::Server::tls)).
    /// Behind a proxy that ends TLS itself, this is `false`.
    pub fn is_tls(&self) -> bool {
        self.peer.tls
    }

    /// App state of type `T`, if it was set with `App::state`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.app.state::<T>()
    }

    /// The route routing matched, if any.
    pub fn route(&self) -> Option<&'static Route> {
        self.routed.as_ref().map(|routed| routed.route)
    }

    /// The raw (percent-encoded) text of the `index`-th path parameter.
    ///
    /// If a middleware replaced the URI since routing, the new path is
    /// matched again (the cold path): its parameters count when it still
    /// leads to the same route; otherwise there are none.
    pub(crate) fn raw_param(&self, index: usize) -> Option<&str> {
        let routed = self.routed.as_ref()?;
        let path = self.head.uri.path();
        if (path.as_ptr() as usize, path.len()) == routed.path_identity {
            let found = self.app.router.param_layout(routed.node).get(path, index);
            if found.is_some() {
                return found;
            }
        }
        self.raw_param_again(routed, index)
    }

    /// [`raw_param`](Self::raw_param) for a path replaced since routing (or
    /// a pattern whose layout cannot say): matched again.
    #[cold]
    #[inline(never)]
    fn raw_param_again(&self, routed: &Routed, index: usize) -> Option<&str> {
        let path = self.head.uri.path();
        match self.app.router.resolve(&self.head.method, path) {
            crate::router::Resolution::Route {
                endpoint, params, ..
            } if std::ptr::eq(endpoint.route, routed.route) => {
                params.iter().nth(index).map(|(_, value)| value)
            }
            _ => None,
        }
    }
}
