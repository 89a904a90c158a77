//! The built app as a service: what hyper calls for every request, and the test client too.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{header, HeaderValue};
use http_body::Body as _;
use tracing::Span;

use crate::app::{AppHandle, APP_CHAIN};
use crate::error::ErrorReport;
use crate::middleware::{poll_caught, start_caught, ChainFuture, Next, PanicContext};
use crate::problem::Problem;
use crate::request::{Peer, Request};
use crate::response::{IntoResponse, Response};
use crate::route::Route;
use crate::router::{Resolution, RouteInfo};
use crate::Body;

/// A built app: answers requests.
///
/// Each clone has a reference count of its own (a connection's requests
/// touch only their connection's counter), so cloning allocates: clone it per
/// connection, not per request.
pub struct AppService {
    app: AppHandle,
    /// The client's address and whether the connection is TLS, for the
    /// service a connection's requests go through.
    peer: Peer,
}

impl Clone for AppService {
    fn clone(&self) -> Self {
        AppService {
            app: self.app.for_connection(),
            peer: self.peer,
        }
    }
}

impl AppService {
    pub(crate) fn new(app: AppHandle) -> Self {
        AppService {
            app,
            peer: Peer::default(),
        }
    }

    /// A clone for one connection from `peer`: its requests report that address.
    pub fn for_peer(&self, peer: SocketAddr) -> AppService {
        AppService {
            app: self.app.for_connection(),
            peer: Peer {
                addr: Some(peer),
                tls: false,
            },
        }
    }

    /// Marks the connection's requests as having come over TLS.
    pub(crate) fn over_tls(mut self, tls: bool) -> AppService {
        self.peer.tls = tls;
        self
    }

    /// Answers one request.
    pub fn call(&self, request: http::Request<Body>) -> ResponseFuture {
        self.call_with(request)
    }

    /// Answers one request whose body becomes a [`Body`]; converted where the
    /// request is boxed, so that its head is copied once.
    #[inline]
    pub(crate) fn call_with<B>(&self, request: http::Request<B>) -> ResponseFuture
    where
        Body: From<B>,
    {
        // Boxed first: the head is copied once, from hyper's request into
        // the block, and everything after reads it there.
        let mut request = Request::new(request, self.app.clone(), self.peer);
        // Before any middleware, so that what a middleware checks is what the router routes.
        if !crate::path::normalize_uri(&mut request.parts_mut().head_mut().uri) {
            return ResponseFuture::ready(
                Problem::new(http::StatusCode::BAD_REQUEST)
                    .with_detail("the request path cannot be put in normal form")
                    .into_response(),
            );
        }
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = tracing::field::Empty,
        );
        // Without a subscriber that wants the span, neither entering it nor
        // keeping it is worth a single instruction per request.
        let span = (!span.is_disabled()).then_some(span);
        let entered = span.as_ref().map(Span::enter);
        let head = request.method() == http::Method::HEAD;
        let (future, catch) = if self.app.recover {
            let context = PanicContext::of(request.method(), request.uri(), &self.app);
            // A middleware's or handler's synchronous part runs in `start`, before the first poll.
            (start_caught(&context, || start(request)), Some(context))
        } else {
            (start(request), None)
        };
        drop(entered);
        ResponseFuture {
            future,
            catch,
            span,
            head,
        }
    }

    pub(crate) fn shared(&self) -> &crate::app::AppShared {
        &self.app
    }

    /// The app, to keep beyond a borrow of this service.
    pub(crate) fn shared_handle(&self) -> AppHandle {
        self.app.clone()
    }

    /// The route table.
    pub fn routes(&self) -> &[RouteInfo] {
        self.app.router.table()
    }

    /// The route that answers `method` on `path`, as a request would find it
    /// (HEAD falls back to GET); `None` for a 404 or a 405.
    ///
    /// ```
    /// use waypost::{get, routes, App, Method};
    /// #[get("/users/<id>")]
    /// async fn user(id: u64) -> String { id.to_string() }
    ///
    /// let app = App::new().mount("/", routes![user]).build().unwrap();
    /// let route = app.route_for(&Method::GET, "/users/7").unwrap();
    /// assert_eq!(route.handler_name(), "user");
    /// assert!(app.route_for(&Method::POST, "/users/7").is_none());
    /// ```
    pub fn route_for(&self, method: &http::Method, path: &str) -> Option<&'static Route> {
        match self.app.router.resolve(method, path) {
            Resolution::Route { endpoint, .. } => Some(endpoint.route),
            _ => None,
        }
    }
}

/// The app chain, or straight to the router when the app scope has no middleware.
fn start(request: Request) -> ChainFuture {
    let app = request.app();
    if app.routes_directly() {
        let app = app.clone();
        app.router.dispatch(request)
    } else {
        Next::start(APP_CHAIN).run_chain(request)
    }
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for AppService {
    type Response = Response;
    type Error = Infallible;
    type Future = ServeFuture;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> ServeFuture {
        ServeFuture(self.call_with(request))
    }
}

/// The response to one request.
pub struct ResponseFuture {
    future: ChainFuture,
    /// Set when panics are caught (see [`App::recover`](crate::App::recover)).
    catch: Option<PanicContext>,
    /// The request's span, when a subscriber wants it.
    span: Option<Span>,
    /// A HEAD request: the body is dropped here, after every middleware.
    head: bool,
}

impl ResponseFuture {
    /// Answered before anything ran: a request refused at the door.
    #[cold]
    fn ready(response: Response) -> Self {
        ResponseFuture {
            future: ChainFuture::ready(response),
            catch: None,
            span: None,
            head: false,
        }
    }

    /// Runs the request as far as it goes without waiting, now rather than
    /// at the first poll: the server calls it as hyper hands it the request,
    /// before hyper reads the connection again.
    ///
    /// Why: the request's head and URI share hyper's read buffer. hyper
    /// looks for the next request before it polls this one; if the request
    /// is still alive then (held by a middleware's future that has not run
    /// yet), the buffer cannot be reused and hyper allocates a new one: about
    /// 500 instructions per request behind any middleware. A chain that
    /// finishes without waiting drops the request here instead.
    ///
    /// Polled with `relay`: a future that is not ready is
    /// polled again with the connection's waker, and futures should wake
    /// the waker of their latest poll; one that keeps the waker of its
    /// first poll wakes the relay, which passes it on. Only from inside a
    /// tokio task (the server's, HTTP/1.1), where tokio's timers and I/O can
    /// register; and only when a middleware holds the request.
    pub(crate) fn run_ahead(&mut self, relay: &std::task::Waker) -> Option<Response> {
        // Without middleware the handler's shim has dropped the request
        // already, or keeps it in its own future: nothing to gain.
        if !self.future.in_middleware() {
            return None;
        }
        let mut cx = Context::from_waker(relay);
        match Pin::new(&mut *self).poll(&mut cx) {
            Poll::Ready(response) => Some(response),
            Poll::Pending => None,
        }
    }
}

impl Future for ResponseFuture {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        let _entered = this.span.as_ref().map(Span::enter);
        let mut poll = match &this.catch {
            Some(context) => poll_caught(&mut this.future, context, cx),
            None => Pin::new(&mut this.future).poll(cx),
        };
        if let Poll::Ready(response) = &mut poll {
            // A handler's `waypost::Error` is logged here, where the route is
            // known. Responses seldom carry extensions: one test, most of the time.
            if !response.extensions().is_empty() {
                crate::files::sent_whole(response);
                log_error(this.catch.as_ref(), response);
            }
        }
        if this.head {
            poll.map(strip_body)
        } else {
            poll
        }
    }
}

#[cold]
#[inline(never)]
fn log_error(context: Option<&PanicContext>, response: &mut Response) {
    let Some(report) = response.extensions_mut().remove::<ErrorReport>() else {
        return;
    };
    match context {
        Some(context) => context.log_error(&report),
        None => report.log(None),
    }
}

/// Drops the body of a response to HEAD, keeping the length it would have had.
fn strip_body(mut response: Response) -> Response {
    // A 304 or 204 has no content, and no length to announce.
    let has_content = !matches!(
        response.status(),
        http::StatusCode::NOT_MODIFIED | http::StatusCode::NO_CONTENT
    ) && !response.status().is_informational();
    if has_content && !response.headers().contains_key(header::CONTENT_LENGTH) {
        if let Some(length) = response.body().size_hint().exact() {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
    }
    *response.body_mut() = Body::empty();
    response
}

/// The built app as a `tower::Service`, to be served by another tower stack
/// or nested in another framework. Any request body that yields `Bytes` will do.
///
/// ```
/// use tower_service::Service;
/// use waypost::{get, routes, App};
///
/// #[get("/ping")]
/// async fn ping() -> &'static str { "pong" }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut service = App::new().mount("/", routes![ping]).build().unwrap();
/// let request = http::Request::get("/ping").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// // `AppService::call` is also an inherent method: name the trait's.
/// let response = Service::call(&mut service, request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// ```
impl<B> tower_service::Service<http::Request<B>> for AppService
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<crate::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ServeFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> ServeFuture {
        ServeFuture(AppService::call(self, request.map(Body::from_stream)))
    }
}

/// The response to one request, in the shape hyper's and tower's `Service` want.
pub struct ServeFuture(ResponseFuture);

impl Future for ServeFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().0).poll(cx).map(Ok)
    }
}
