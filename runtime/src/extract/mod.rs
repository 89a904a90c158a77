//! Typed extraction of handler arguments from a request.
//!
//! Every handler argument that is not a path parameter implements
//! [`FromRequest`]. Path parameters implement [`FromParam`] instead and are
//! bound by name to the `<name>` segments of the route's path.
//!
//! ```
//! use waypost_runtime::{Json, Query, State};
//! #[derive(serde::Deserialize)]
//! struct Page { offset: u32 }
//! # #[derive(Clone)] struct Db;
//! # #[derive(serde::Deserialize)] struct NewUser { name: String }
//! // A handler may take, for example:
//! async fn create(State(db): State<Db>, Query(page): Query<Page>, Json(user): Json<NewUser>) {}
//! ```

mod body;
mod form;
mod json;
mod param;
mod query;
mod request_parts;
mod state;

use std::convert::Infallible;
use std::future::Future;

use crate::response::IntoResponse;

pub use body::BodyRejection;
pub use body::StringRejection;
pub use form::{Form, FormRejection};
pub use json::{Json, JsonRejection};
pub use param::{FromParam, ParamRejection};
pub use query::{Query, QueryRejection};
pub use request_parts::RequestParts;
pub use state::{State, StateKey, StateNeeds};

pub(crate) use param::parse_param;

/// A handler argument built from the request: its head, its body, or the app's state.
///
/// Implement it for your own types to make them handler arguments. An
/// extractor that reads the body sets [`CONSUMES_BODY`](Self::CONSUMES_BODY);
/// a handler may have at most one such argument, and a second is a compile error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler argument: it is neither an extractor nor a path parameter",
    label = "not an extractor",
    note = "a handler argument must implement `waypost::FromRequest` (`Json<T>`, `Query<T>`, `Form<T>`, `State<T>`, `HeaderMap`, `Method`, `Uri`, `Bytes`, `String`, …)",
    note = "an argument whose name matches a `<name>` segment of the route path is a path parameter instead"
)]
pub trait FromRequest: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Whether this extractor reads the request body.
    const CONSUMES_BODY: bool = false;

    /// Extracts the value.
    fn from_request(
        req: &mut RequestParts,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Records the app state types this extractor needs, so that a missing
    /// `App::state` is reported when the app is built, not per request.
    fn required_state(_needs: &mut StateNeeds) {}
}

impl<E: FromRequest> FromRequest for Option<E> {
    type Rejection = Infallible;
    const CONSUMES_BODY: bool = E::CONSUMES_BODY;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(E::from_request(req).await.ok())
    }

    fn required_state(needs: &mut StateNeeds) {
        E::required_state(needs)
    }
}

impl<E> FromRequest for Result<E, E::Rejection>
where
    E: FromRequest,
    E::Rejection: Send,
{
    type Rejection = Infallible;
    const CONSUMES_BODY: bool = E::CONSUMES_BODY;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(E::from_request(req).await)
    }

    fn required_state(needs: &mut StateNeeds) {
        E::required_state(needs)
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> crate::Response {
        match self {}
    }
}

impl FromRequest for http::HeaderMap {
    type Rejection = Infallible;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(req.head().headers.clone())
    }
}

impl FromRequest for http::Method {
    type Rejection = Infallible;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(req.head().method.clone())
    }
}

impl FromRequest for http::Uri {
    type Rejection = Infallible;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(req.head().uri.clone())
    }
}

impl FromRequest for http::Version {
    type Rejection = Infallible;

    async fn from_request(req: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(req.head().version)
    }
}
