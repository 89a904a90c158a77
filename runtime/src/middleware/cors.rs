//! `Cors`: cross-origin resource sharing, by tower-http's CORS layer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_layer::Layer as TowerLayer;
use tower_service::Service;

use super::chain::{ChainLayer, Layer};
use super::tower::tower_layer;
use super::{Middleware, Next};
use crate::request::Request;
use crate::route::HandlerFuture;

/// Answers CORS preflight requests without reaching handlers and adds the
/// CORS headers (with `Vary: Origin`) to responses for allowed origins.
/// Nothing is allowed until configured. Credentials with any origin (`*`)
/// cannot work in browsers and are refused by `App::build`.
///
/// Wrap it on a group to cover that group's routes (a preflight `OPTIONS`
/// for a path that has no `OPTIONS` route runs the group's chain), or on the
/// app to cover every path. Wrap it before (outside) authentication: browsers
/// send preflights without credentials, and an auth middleware that runs
/// first would answer them 401.
///
/// Not on a route's own `wrap = [..]`: a preflight for a method the route
/// lacks is answered 405 by the router before any route's middleware runs.
/// A preflight is an `OPTIONS` request with `Origin` and
/// `Access-Control-Request-Method` (the Fetch standard's rule). Any other
/// `OPTIONS` goes on to its route: without `Origin` as it is (no CORS
/// request at all), with `Origin` as a cross-origin request, which gets the
/// CORS headers on its response like a `GET` would (a browser sends one after
/// its preflight for a cross-origin `OPTIONS`).
///
/// ```
/// use std::time::Duration;
/// use waypost::{middleware::Cors, App, Method};
///
/// let cors = Cors::new()
///     .allow_origin("https://app.example")
///     .allow_methods([Method::GET, Method::POST])
///     .allow_headers(["content-type", "authorization"])
///     .allow_credentials(true)
///     .max_age(Duration::from_secs(600));
/// let app = App::new().wrap(cors);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Vec<String>,
    any_origin: bool,
    methods: Vec<Method>,
    headers: Vec<String>,
    expose: Vec<String>,
    credentials: bool,
    max_age: Option<Duration>,
}

impl Cors {
    /// A policy that allows nothing yet.
    pub fn new() -> Self {
        Cors::default()
    }

    /// Allows an origin, such as `https://app.example`; `"*"` allows any.
    pub fn allow_origin(mut self, origin: &str) -> Self {
        if origin == "*" {
            self.any_origin = true;
        } else {
            self.origins.push(origin.to_owned());
        }
        self
    }

    /// Allows these methods in cross-origin requests.
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods.extend(methods);
        self
    }

    /// Allows these request headers in cross-origin requests.
    pub fn allow_headers<'a>(mut self, headers: impl IntoIterator<Item = &'a str>) -> Self {
        self.headers.extend(headers.into_iter().map(str::to_owned));
        self
    }

    /// Lets the browser's script read these response headers.
    pub fn expose_headers<'a>(mut self, headers: impl IntoIterator<Item = &'a str>) -> Self {
        self.expose.extend(headers.into_iter().map(str::to_owned));
        self
    }

    /// Allows cookies and `Authorization` in cross-origin requests.
    pub fn allow_credentials(mut self, allow: bool) -> Self {
        self.credentials = allow;
        self
    }

    /// How long browsers may cache a preflight answer.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The layer, or why this policy cannot work.
    fn to_layer(&self) -> Result<PreflightGate, String> {
        self.to_cors_layer().map(PreflightGate)
    }

    /// The tower-http layer, or why this policy cannot work.
    fn to_cors_layer(&self) -> Result<CorsLayer, String> {
        if self.credentials && self.any_origin {
            return Err(
                "`allow_credentials(true)` cannot be combined with `allow_origin(\"*\")`: \
                browsers refuse credentials for a wildcard origin; list the origins instead"
                    .to_owned(),
            );
        }
        if self.credentials
            && self
                .headers
                .iter()
                .chain(&self.expose)
                .any(|name| name == "*")
        {
            return Err("`allow_credentials(true)` cannot be combined with `*` in the allowed or \
                exposed headers: with credentials browsers take `*` literally; list the headers instead"
                .to_owned());
        }
        if self.credentials && self.methods.iter().any(|method| method.as_str() == "*") {
            return Err(
                "`allow_credentials(true)` cannot be combined with a `*` method: with \
                credentials browsers take `*` literally; list the methods instead"
                    .to_owned(),
            );
        }
        let origins = self
            .origins
            .iter()
            .map(|origin| {
                HeaderValue::try_from(origin.as_str())
                    .map_err(|_| format!("`{origin}` is not a valid origin"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let names = |list: &[String]| {
            list.iter()
                .map(|name| {
                    HeaderName::try_from(name.as_str())
                        .map_err(|_| format!("`{name}` is not a valid header name"))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let origin = if self.any_origin {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(origins)
        };
        let mut layer = CorsLayer::new()
            .allow_origin(origin)
            .allow_methods(self.methods.clone())
            .allow_headers(names(&self.headers)?)
            .expose_headers(names(&self.expose)?)
            .allow_credentials(self.credentials);
        if let Some(max_age) = self.max_age {
            layer = layer.max_age(max_age);
        }
        Ok(layer)
    }
}

impl Middleware for Cors {
    /// Not used by `wrap`, which applies the layer once for its scope
    /// (see [`Middleware::into_layer`]); here for completeness, per request.
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        match self.to_layer() {
            Ok(layer) => tower_layer(layer)
                .instantiate(&mut Default::default())
                .call(req, next),
            Err(_) => next.run(req).into_boxed(),
        }
    }

    fn name(&self) -> &'static str {
        "Cors"
    }

    fn into_layer(self) -> ChainLayer {
        ChainLayer(match self.to_layer() {
            Ok(layer) => tower_layer(layer),
            Err(reason) => Layer::Invalid {
                name: "Cors",
                reason,
            },
        })
    }
}

/// tower-http's CORS layer, answering as preflights only the `OPTIONS`
/// requests that are preflights: tower-http answers any `OPTIONS` as one,
/// which would hide an app's own `OPTIONS` routes behind a `Cors`.
#[derive(Clone)]
struct PreflightGate(CorsLayer);

impl<S: Clone> TowerLayer<S> for PreflightGate {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            cors: self.0.layer(RestoreOptions(inner.clone())),
            next: inner,
        }
    }
}

#[derive(Clone)]
struct Gated<S> {
    cors: tower_http::cors::Cors<RestoreOptions<S>>,
    next: S,
}

/// Marks a cross-origin `OPTIONS` that is not a preflight, passed through
/// tower-http as a `GET` (tower-http tells a preflight by its method alone)
/// and made an `OPTIONS` again on the other side.
#[derive(Clone, Copy)]
struct ActualOptions;

/// The service after tower-http's CORS: gives an [`ActualOptions`] request its method back.
#[derive(Clone)]
struct RestoreOptions<S>(S);

impl<S, B> Service<http::Request<B>> for RestoreOptions<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> S::Future {
        if request.extensions_mut().remove::<ActualOptions>().is_some() {
            *request.method_mut() = Method::OPTIONS;
        }
        self.0.call(request)
    }
}

impl<S, B, R> Service<http::Request<B>> for Gated<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    R: Default,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = GatedFuture<S::Future>;

    /// Both are made ready though one is called: the inner service is
    /// `NextService`, always ready and holding nothing.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        std::task::ready!(self.cors.poll_ready(cx))?;
        self.next.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        if request.method() == Method::OPTIONS {
            let headers = request.headers();
            if !headers.contains_key(header::ORIGIN) {
                return GatedFuture::Next {
                    future: self.next.call(request),
                };
            }
            if !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
                *request.method_mut() = Method::GET;
                request.extensions_mut().insert(ActualOptions);
            }
        }
        GatedFuture::Cors {
            future: self.cors.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    #[project = GatedProjection]
    enum GatedFuture<F> {
        Cors { #[pin] future: tower_http::cors::ResponseFuture<F> },
        Next { #[pin] future: F },
    }
}

impl<F, R, E> Future for GatedFuture<F>
where
    F: Future<Output = Result<http::Response<R>, E>>,
    R: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project() {
            GatedProjection::Cors { future } => future.poll(cx),
            GatedProjection::Next { future } => future.poll(cx),
        }
    }
}
