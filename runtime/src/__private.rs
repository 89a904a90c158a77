//! What generated code names: `::waypost::__private::…`. Not a public API.
//!
//! Handler arguments are extracted in order with the body threaded through
//! as a type: `Body` until a body extractor takes it, `BodyTaken` after. A
//! second body extractor then has no impl to use, which rustc reports at its
//! argument with the message of [`BodyUse`].

// The error side carries a ready response; it is the cold path and moves once.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::marker::PhantomData;

pub use std::marker::PhantomData as Type;

pub use crate::extract::{FromParam, FromRequest, FromRequestParts, StateNeeds};
pub use crate::middleware::{Chained, Compose, Middleware, Next, Provided, Rest};
pub use crate::overlap::{assert_no_conflict, candidate_count, candidates, conflicts, Candidate};
pub use crate::request::{Request, RequestParts};
pub use crate::response::{IntoResponse, Response};
pub use crate::route::{HandlerFuture, MethodSet, Route, RouteMiddleware};
pub use crate::routed::{route_of, RouteFuture, RouteHandler, RouteOf, Routed, RoutedFuture};
pub use crate::Body;
pub use std::boxed::Box;

/// Parses the `index`-th path parameter; the error is the 400 response.
pub fn path_param<T: FromParam>(
    parts: &RequestParts,
    index: usize,
    name: &'static str,
    expected: &'static str,
) -> Result<T, Response> {
    crate::extract::parse_param(parts, index, name, expected)
}

/// How an argument is extracted: from the head only.
pub struct ViaParts;
/// How an argument is extracted: by consuming the body.
pub struct ViaBody;
/// The body, after a body extractor consumed it.
pub struct BodyTaken;

/// A handler argument: a head extractor or a body extractor.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler argument: it is not an extractor, or its type argument lacks a bound the extractor needs",
    label = "not an extractor as written",
    note = "a handler argument is an extractor: `waypost::FromRequestParts` (`Query<T>`, `State<T>`, `Extension<T>`, `HeaderMap`, `Method`, `Uri`, …) or `waypost::FromRequest` (`Json<T>`, `Form<T>`, `Bytes`, `String`)",
    note = "`Json<T>`, `Form<T>` and `Query<T>` need `T: serde::Deserialize` (`#[derive(Deserialize)]`); `State<T>` needs `T: Clone + Send + Sync + 'static`: app state is cloned for each request, so wrap a `Mutex` (or other state that is not `Clone`) in `Arc`: `State<Arc<Mutex<T>>>`; a reference (`&str`) cannot outlive the request: take `String` or `Bytes`",
    note = "an argument whose name matches a `<name>` segment of the route path is a path parameter instead",
    note = "`Option<E>` is an extractor when `E` says what absent means for it (`waypost::OptionalFromRequestParts` or `waypost::OptionalFromRequest`); `Result<E, E::Rejection>` works for any extractor"
)]
pub trait HandlerArg<M>: Sized + Send {
    #[doc(hidden)]
    fn extract(
        parts: &mut RequestParts,
        body: Option<Body>,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
    #[doc(hidden)]
    fn required(needs: &mut StateNeeds);
}

impl<T: FromRequestParts> HandlerArg<ViaParts> for T {
    async fn extract(parts: &mut RequestParts, _body: Option<Body>) -> Result<Self, Response> {
        T::from_request_parts(parts)
            .await
            .map_err(IntoResponse::into_response)
    }

    fn required(needs: &mut StateNeeds) {
        T::required(needs)
    }
}

impl<T: FromRequest> HandlerArg<ViaBody> for T {
    async fn extract(parts: &mut RequestParts, body: Option<Body>) -> Result<Self, Response> {
        T::from_request(parts, body.unwrap_or_default())
            .await
            .map_err(IntoResponse::into_response)
    }

    fn required(needs: &mut StateNeeds) {
        T::required(needs)
    }
}

/// What an extraction does to the body: passes it on, or takes it.
#[diagnostic::on_unimplemented(
    message = "a handler can read the request body only once: this argument and an earlier one both consume it",
    label = "the body was already consumed by an earlier argument",
    note = "keep one body extractor (`Json<T>`, `Form<T>`, `Multipart`, `Bytes` or `String`); read a multipart form's text fields with `field.text()`; head extractors (`Query<T>`, `HeaderMap`, …) may come in any number"
)]
pub trait BodyUse<B> {
    #[doc(hidden)]
    type Rest: Send;
    #[doc(hidden)]
    fn split(body: B) -> (Option<Body>, Self::Rest);
}

impl<B: Send> BodyUse<B> for ViaParts {
    type Rest = B;
    fn split(body: B) -> (Option<Body>, B) {
        (None, body)
    }
}

impl BodyUse<Body> for ViaBody {
    type Rest = BodyTaken;
    fn split(body: Body) -> (Option<Body>, BodyTaken) {
        (Some(body), BodyTaken)
    }
}

/// Never constructed. A second impl of `BodyUse` for `ViaBody` keeps rustc
/// from inferring the body type from the one real impl: it then takes the
/// type of the body actually passed, and a second body extractor is reported
/// as `BodyUse`'s message instead of a type mismatch.
pub enum NoBody {}

impl BodyUse<NoBody> for ViaBody {
    type Rest = BodyTaken;
    fn split(body: NoBody) -> (Option<Body>, BodyTaken) {
        match body {}
    }
}

/// Runs one handler extractor; the error is its rejection as a response.
///
/// Not an `async fn`: its bounds are then checked once, at the call, and a
/// type that is not an extractor is reported once, at its argument.
pub fn extract<'a, T, M, B>(
    _: PhantomData<T>,
    parts: &'a mut RequestParts,
    body: B,
) -> impl Future<Output = Result<(T, <M as BodyUse<B>>::Rest), Response>> + Send + 'a
where
    T: HandlerArg<M> + 'a,
    M: BodyUse<B> + 'a,
    <M as BodyUse<B>>::Rest: 'a,
{
    let (body, rest) = M::split(body);
    let extraction = T::extract(parts, body);
    async move { extraction.await.map(|value| (value, rest)) }
}

/// Records what a handler argument needs (state, extensions).
pub fn require_arg<T: HandlerArg<M>, M>(_: PhantomData<T>, needs: &mut StateNeeds) {
    T::required(needs)
}

/// [`require_arg`] for a route whose methods carry no body (GET, HEAD,
/// OPTIONS, TRACE): the argument must not read one.
pub fn require_head_arg<T: HandlerArg<M>, M: HeadOnlyArg>(
    _: PhantomData<T>,
    needs: &mut StateNeeds,
) {
    T::required(needs)
}

/// How an argument of a body-less route may be extracted: from the head only.
#[diagnostic::on_unimplemented(
    message = "a handler for GET, HEAD, OPTIONS or TRACE cannot read the request body, and this argument reads it",
    label = "reads the request body",
    note = "these methods carry no body: take the value from the path (a `<name>` segment and an argument of that name), the query (`Query<T>`) or a header",
    note = "if the route takes a body, declare a method that carries one: `#[post(..)]`, or `#[route(.., method = \"GET\", method = \"POST\")]`"
)]
pub trait HeadOnlyArg {}

impl HeadOnlyArg for ViaParts {}

/// A middleware argument: an extractor (a body extractor too, to be refused by [`HeadOnly`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a middleware argument: it is not an extractor",
    label = "not an extractor",
    note = "a middleware takes head extractors (`waypost::FromRequestParts`: `State<T>`, `Extension<T>`, `HeaderMap`, `Bearer`, …), then `req: Request`, then `next: Next`"
)]
pub trait MiddlewareArg<M>: Sized + Send {
    #[doc(hidden)]
    fn extract(parts: &mut RequestParts) -> impl Future<Output = Result<Self, Response>> + Send;
    #[doc(hidden)]
    fn required(needs: &mut StateNeeds);
}

impl<T: FromRequestParts> MiddlewareArg<ViaParts> for T {
    async fn extract(parts: &mut RequestParts) -> Result<Self, Response> {
        T::from_request_parts(parts)
            .await
            .map_err(IntoResponse::into_response)
    }

    fn required(needs: &mut StateNeeds) {
        T::required(needs)
    }
}

impl<T: FromRequest> MiddlewareArg<ViaBody> for T {
    async fn extract(parts: &mut RequestParts) -> Result<Self, Response> {
        // Unreachable: `HeadOnly` refuses `ViaBody` at compile time.
        T::from_request(parts, Body::empty())
            .await
            .map_err(IntoResponse::into_response)
    }

    fn required(needs: &mut StateNeeds) {
        T::required(needs)
    }
}

/// Refuses body extractors in middleware.
#[diagnostic::on_unimplemented(
    message = "a middleware cannot take an extractor that reads the request body",
    label = "this extractor consumes the body",
    note = "the body belongs to the handler: take it there (`Json<T>`, `Form<T>`, `Bytes`, `String`); a middleware takes head extractors (`State<T>`, `HeaderMap`, `Bearer`, …) and may read `req.body()` itself"
)]
pub trait HeadOnly {}

impl HeadOnly for ViaParts {}

/// Runs one middleware extractor; the error is its rejection as a response.
pub fn middleware_arg<'a, T, M>(
    _: PhantomData<T>,
    parts: &'a mut RequestParts,
) -> impl Future<Output = Result<T, Response>> + Send + 'a
where
    T: MiddlewareArg<M> + 'a,
    M: HeadOnly + 'a,
{
    T::extract(parts)
}

/// Records what a middleware argument needs.
pub fn require_middleware_arg<T: MiddlewareArg<M>, M>(_: PhantomData<T>, needs: &mut StateNeeds) {
    T::required(needs)
}

/// Converts a handler's return value; its span points at the return type.
pub fn into_response<T: IntoResponse>(value: T) -> Response {
    value.into_response()
}

/// Converts a handler's return value where the request is still at hand,
/// so that a file answers the request's conditional and range headers; its
/// span points at the return type.
pub fn into_response_for<T: IntoResponse>(value: T, parts: &RequestParts) -> Response {
    let response = value.into_response();
    if T::USES_REQUEST {
        crate::files::finish(response, parts)
    } else {
        response
    }
}

/// Checks, at the `wrap = [..]` entry's span, that it is a middleware.
pub fn wrap<M: Middleware>(layers: &mut RouteMiddleware, middleware: M) {
    layers.push(middleware);
}

/// A handler future that answers at once (a path parameter did not parse).
pub fn ready(response: Response) -> HandlerFuture {
    HandlerFuture::new(std::future::ready(response))
}

pin_project_lite::pin_project! {
    /// A handler's or middleware's future whose output becomes a response:
    /// boxed as it is, without an `async` block around it that would keep
    /// its arguments a second time.
    pub struct Respond<F> {
        #[pin]
        future: F,
    }
}

/// The future of a middleware without extractors, its output converted
/// with `IntoResponse`, unboxed (a tuple of middleware nests it in the
/// future of the one before); the return type's span points at a type that
/// is not a response.
///
/// The conversion is carried as a function rather than required of the
/// future's type: a type that is not a response is then reported once, here,
/// not again wherever the future's type is named.
#[inline]
pub fn respond_inline<T, F>(
    future: F,
) -> RespondWith<F, impl FnOnce(T) -> Response + Copy + Send + 'static>
where
    T: IntoResponse,
    F: Future<Output = T> + Send + 'static,
{
    RespondWith {
        future,
        convert: |output: T| output.into_response(),
    }
}

pin_project_lite::pin_project! {
    /// A middleware's future, its output converted into a response by `convert`.
    pub struct RespondWith<F, C> {
        #[pin]
        future: F,
        convert: C,
    }
}

impl<F: Future, C: FnOnce(F::Output) -> Response + Copy> Future for RespondWith<F, C> {
    type Output = Response;

    #[inline]
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Response> {
        let this = self.project();
        this.future.poll(cx).map(*this.convert)
    }
}

pin_project_lite::pin_project! {
    /// A handler's future without extractors, boxed as it is, with the
    /// request kept beside it for [`into_response_for`].
    pub struct RespondTo<F> {
        #[pin]
        future: F,
        request: Request,
    }
}

/// Boxes the future of a handler that takes no extractors, keeping the
/// request to answer it when its response type uses it (see
/// [`into_response_for`]).
pub fn respond_to<T, F>(request: Request, future: F) -> HandlerFuture
where
    T: IntoResponse,
    F: Future<Output = T> + Send + 'static,
{
    if T::USES_REQUEST {
        HandlerFuture::new_in(request, |request| RespondTo { future, request })
    } else {
        // Dropped before the handler runs, as without this function: most
        // responses have no use for it, and keeping it costs an allocator
        // round trip per request (about 600 instructions measured).
        HandlerFuture::new_in(request, |request| {
            drop(request);
            Respond { future }
        })
    }
}

impl<F> Future for RespondTo<F>
where
    F: Future,
    F::Output: IntoResponse,
{
    type Output = Response;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Response> {
        let this = self.project();
        let request = &*this.request;
        this.future
            .poll(cx)
            .map(|output| into_response_for(output, request.parts()))
    }
}

impl<F> Future for Respond<F>
where
    F: Future,
    F::Output: IntoResponse,
{
    type Output = Response;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Response> {
        self.project()
            .future
            .poll(cx)
            .map(IntoResponse::into_response)
    }
}
