//! What generated code names: `::waypost::__private::…`. Not a public API.

// The error side carries a ready response; it is the cold path and moves once.
#![allow(clippy::result_large_err)]

pub use crate::app::AppShared;
pub use crate::extract::{FromParam, FromRequest, RequestParts, StateNeeds};
pub use crate::response::{IntoResponse, Response};
pub use crate::route::{
    assert_no_conflict, assert_single_body, HandlerFuture, MethodSet, Route, RouteDef,
};
pub use crate::Body;
pub use matchit::Params;
pub use std::boxed::Box;

/// Parses the `index`-th path parameter; the error is the 400 response.
pub fn path_param<T: FromParam>(
    params: &Params<'_, '_>,
    index: usize,
    name: &'static str,
    expected: &'static str,
) -> Result<T, Response> {
    crate::extract::parse_param(params, index, name, expected).map_err(IntoResponse::into_response)
}

/// A handler future that answers at once (a parameter did not parse).
pub fn ready(response: Response) -> HandlerFuture {
    Box::pin(std::future::ready(response))
}

/// The extractors' view of a request.
pub fn request_parts(request: http::Request<Body>, app: &Arc<AppShared>) -> RequestParts {
    RequestParts::new(request, Arc::clone(app))
}

/// Runs one extractor; the error is its rejection as a response.
///
/// Not an `async fn`: its `T: FromRequest` bound is then checked once, at the
/// call, and a type that is not an extractor is reported once, at its argument.
pub fn extract<'a, T: FromRequest + 'a>(
    parts: &'a mut RequestParts,
) -> impl std::future::Future<Output = Result<T, Response>> + Send + 'a {
    let extraction = T::from_request(parts);
    async move { extraction.await.map_err(IntoResponse::into_response) }
}

/// Converts a handler's return value; its span points at the return type.
pub fn into_response<T: IntoResponse>(value: T) -> Response {
    value.into_response()
}

/// The request type handlers receive.
pub type Request = http::Request<Body>;
pub use std::sync::Arc;
