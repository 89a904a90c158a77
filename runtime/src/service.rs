//! The built app as a service: what hyper calls for every request, and the test client too.
//!
//! This is the seam where middleware will wrap routes: a route's handler is
//! called from exactly one place, [`Router::dispatch`](crate::router::Router).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{header, HeaderValue};
use http_body::Body as _;
use tracing::instrument::Instrumented;
use tracing::Instrument;

use crate::app::AppShared;
use crate::response::Response;
use crate::route::{HandlerFuture, Route};
use crate::router::{Resolution, RouteInfo};
use crate::Body;

/// A built app: cheap to clone, answers requests.
#[derive(Clone)]
pub struct AppService {
    shared: Arc<AppShared>,
}

impl AppService {
    pub(crate) fn new(shared: Arc<AppShared>) -> Self {
        AppService { shared }
    }

    /// Answers one request.
    pub fn call(&self, request: http::Request<Body>) -> ResponseFuture {
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
        );
        // Without a subscriber that wants the span, neither entering it nor
        // wrapping the future is worth a single instruction per request.
        if span.is_disabled() {
            let future = self.shared.router.dispatch(request, &self.shared);
            return ResponseFuture(Traced::Plain(future));
        }
        let future = span.in_scope(|| self.shared.router.dispatch(request, &self.shared));
        ResponseFuture(Traced::Instrumented(future.instrument(span)))
    }

    /// The route table.
    pub fn routes(&self) -> &[RouteInfo] {
        self.shared.router.table()
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
    pub fn route_for(&self, method: &http::Method, path: &str) -> Option<&Route> {
        match self.shared.router.resolve(method, path) {
            Resolution::Route { route, .. } => Some(route),
            _ => None,
        }
    }
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for AppService {
    type Response = Response;
    type Error = Infallible;
    type Future = ServeFuture;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> ServeFuture {
        ServeFuture(AppService::call(self, request.map(Body::from)))
    }
}

/// The response to one request.
pub struct ResponseFuture(Traced);

/// A route future, inside its tracing span when a subscriber wants one.
enum Traced {
    Plain(RouteFuture),
    Instrumented(Instrumented<RouteFuture>),
}

impl Future for ResponseFuture {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match &mut self.get_mut().0 {
            Traced::Plain(future) => Pin::new(future).poll(cx),
            Traced::Instrumented(future) => Pin::new(future).poll(cx),
        }
    }
}

/// The response to one request, in the shape hyper's `Service` wants.
pub struct ServeFuture(ResponseFuture);

impl Future for ServeFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().0).poll(cx).map(Ok)
    }
}

/// What the router started for a request.
pub(crate) enum RouteFuture {
    /// A handler is running.
    Handler(HandlerFuture),
    /// A GET handler answering a HEAD request: its body is dropped.
    Head(HandlerFuture),
    /// The router answered by itself (404, 405, a parameter that did not parse).
    Ready(Option<Response>),
}

impl RouteFuture {
    pub(crate) fn handler(future: HandlerFuture) -> Self {
        RouteFuture::Handler(future)
    }

    pub(crate) fn head(future: HandlerFuture) -> Self {
        RouteFuture::Head(future)
    }

    pub(crate) fn ready(response: Response) -> Self {
        RouteFuture::Ready(Some(response))
    }
}

impl Future for RouteFuture {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.get_mut() {
            RouteFuture::Handler(future) => future.as_mut().poll(cx),
            RouteFuture::Head(future) => future.as_mut().poll(cx).map(strip_body),
            RouteFuture::Ready(response) => Poll::Ready(
                response
                    .take()
                    .expect("RouteFuture polled after completion"),
            ),
        }
    }
}

/// Drops a GET response's body for HEAD, keeping the length it would have had.
fn strip_body(mut response: Response) -> Response {
    if !response.headers().contains_key(header::CONTENT_LENGTH) {
        if let Some(length) = response.body().size_hint().exact() {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
    }
    *response.body_mut() = Body::empty();
    response
}
