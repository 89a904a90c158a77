//! tower interop: any `tower::Layer` in a chain, and the rest of a chain as
//! a `tower::Service` for it to wrap.
//!
//! A tower layer is applied once per build, around a [`NextService`] that
//! runs the rest of whichever chain the request is in: one service for
//! every chain a `layer(..)` call is part of, so that a layer keeping state
//! in its service (a concurrency limit) keeps it for the whole scope. Per request the layer's service is cloned (tower's
//! `call` takes `&mut self`) and the request's context, where it goes on
//! included, rides in its extensions across the layer.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::StatusCode;
use tower_layer::Layer as TowerLayer;
use tower_service::Service;

use super::{ChainFuture, Middleware, Next};
use crate::problem::Problem;
use crate::request::{Request, RequestContext};
use crate::response::{IntoResponse, Response};
use crate::route::HandlerFuture;
use crate::{Body, BoxError};

/// The rest of a chain as a `tower::Service`: what a tower layer given to
/// `App::layer` or `Group::layer` wraps. Where the chain goes on comes with
/// each request.
#[derive(Debug, Clone, Copy)]
pub struct NextService {
    _private: (),
}

impl NextService {
    pub(crate) fn new() -> Self {
        NextService { _private: () }
    }
}

impl<B> Service<http::Request<B>> for NextService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = NextServiceFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> NextServiceFuture {
        let (mut head, body) = request.into_parts();
        let context = head
            .extensions
            .remove::<RequestContext>()
            .and_then(|mut context| Some((context.next.take()?, context)));
        let future = match context {
            Some((next, context)) => {
                let request = http::Request::from_parts(head, Body::from_stream(body));
                next.run_chain(context.join(request))
            }
            None => {
                tracing::error!("a tower layer passed on a request without waypost's context (did it build a new request?)");
                ChainFuture::ready(
                    Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                        .with_detail("the request lost its context in a tower layer")
                        .into_response(),
                )
            }
        };
        NextServiceFuture(future)
    }
}

/// The response of [`NextService`].
pub struct NextServiceFuture(ChainFuture);

impl Future for NextServiceFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().0).poll(cx).map(Ok)
    }
}

/// What a tower layer must make of the rest of a chain: a cloneable service
/// of `http::Request<Body>` whose response body yields `Bytes`. Written once
/// here, implied wherever it is named.
#[doc(hidden)]
pub trait ChainService:
    Service<
        http::Request<Body>,
        Response = http::Response<Self::ResponseBody>,
        Error: Into<BoxError>,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The body of the service's responses.
    type ResponseBody: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static;
}

impl<S, B> ChainService for S
where
    S: Service<
            http::Request<Body>,
            Response = http::Response<B>,
            Error: Into<BoxError>,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static,
    B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static,
{
    type ResponseBody = B;
}

/// Makes the middleware of a tower layer; a build calls it once for every
/// chain the layer is part of.
#[doc(hidden)]
pub trait LayerFactory: Send + Sync {
    fn instantiate(&self) -> Arc<dyn Middleware>;
}

/// A tower layer as waypost keeps it until chains are composed.
pub(crate) struct TowerLayerFactory<L> {
    pub(crate) layer: L,
    pub(crate) name: &'static str,
}

impl<L> LayerFactory for TowerLayerFactory<L>
where
    L: TowerLayer<NextService, Service: ChainService> + Send + Sync,
{
    fn instantiate(&self) -> Arc<dyn Middleware> {
        Arc::new(TowerMiddleware {
            service: self.layer.layer(NextService::new()),
            name: self.name,
        })
    }
}

/// A tower service that wraps the rest of its chain, as a middleware.
struct TowerMiddleware<S> {
    service: S,
    name: &'static str,
}

impl<S: ChainService> Middleware for TowerMiddleware<S> {
    fn call(&self, req: Request, next: Next) -> HandlerFuture {
        let (mut request, mut context) = req.split_http();
        context.next = Some(next);
        request.extensions_mut().insert(context);
        let mut service = self.service.clone();
        let name = self.name;
        HandlerFuture::new(async move {
            let ready: Result<(), BoxError> = poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(Into::into);
            let result = match ready {
                Ok(()) => service.call(request).await.map_err(Into::into),
                Err(error) => Err(error),
            };
            match result {
                Ok(response) => response.map(Body::from_stream),
                Err(error) => layer_failed(name, &error),
            }
        })
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

/// The answer to a tower layer's error. tower's timeout and load-shed
/// layers fail when the server cannot take a request now: 503, as
/// [`Timeout`](super::Timeout) answers. Anything else is a 500 that says
/// nothing of the cause, which is logged.
#[cold]
fn layer_failed(layer: &'static str, error: &BoxError) -> Response {
    let unavailable = if error.is::<::tower::timeout::error::Elapsed>() {
        Some("the request took longer than this server allows")
    } else if error.is::<::tower::load_shed::error::Overloaded>() {
        Some("the server is too busy to take this request; try again later")
    } else {
        None
    };
    match unavailable {
        Some(detail) => {
            tracing::warn!(layer, %error, "a tower layer refused the request; answered 503");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail(detail)
                .into_response()
        }
        None => {
            tracing::error!(layer, %error, "a tower layer failed; answered 500");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_detail("a middleware layer failed")
                .into_response()
        }
    }
}

/// A `tower::Layer` that `App::layer` and `Group::layer` accept: it wraps
/// [`NextService`] into a cloneable service of `http::Request<Body>` whose
/// response body yields `Bytes`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tower layer that `.layer(..)` can use",
    label = "not a `tower::Layer` over waypost's requests and responses",
    note = "a waypost middleware (`#[middleware]` or a built-in such as `RequestId`, `Cors`, `Timeout`) goes to `.wrap(..)`",
    note = "a tower layer must make a cloneable, `Send + Sync` service of `http::Request<waypost::Body>` whose responses have a body of `Bytes`"
)]
pub trait TowerLayerBound: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_factory(self) -> Arc<dyn LayerFactory>;
}

impl<L> TowerLayerBound for L
where
    L: TowerLayer<NextService, Service: ChainService> + Send + Sync + 'static,
{
    fn into_factory(self) -> Arc<dyn LayerFactory> {
        Arc::new(TowerLayerFactory {
            layer: self,
            name: std::any::type_name::<L>(),
        })
    }
}

/// A tower layer as a scope keeps it.
pub(crate) fn tower_layer<L: TowerLayerBound>(layer: L) -> super::Layer {
    super::Layer::Tower(layer.into_factory())
}
