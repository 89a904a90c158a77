//! Typed extraction of handler and middleware arguments from a request.
//!
//! Two kinds of extractor, told apart by the type system:
//! - [`FromRequestParts`] reads only the head and the context (`Query<T>`,
//!   `State<T>`, `Extension<T>`, `HeaderMap`, …): a handler and a middleware
//!   may take any number of them;
//! - [`FromRequest`] consumes the body (`Json<T>`, `Form<T>`, `Bytes`,
//!   `String`): a handler takes at most one, and a middleware none; both
//!   rules are type errors at the offending argument.
//!
//! Path parameters implement [`FromParam`] instead and are bound by name to
//! the `<name>` segments of the route's path.
//!
//! ```
//! use waypost::{Json, Query, State};
//! #[derive(serde::Deserialize)]
//! struct Page { offset: u32 }
//! # #[derive(Clone)] struct Db;
//! # #[derive(serde::Deserialize)] struct NewUser { name: String }
//! // A handler may take, for example:
//! async fn create(State(db): State<Db>, Query(page): Query<Page>, Json(user): Json<NewUser>) {}
//! ```

mod auth;
mod body;
mod extension;
mod field;
mod form;
mod json;
mod param;
mod query;
pub(crate) mod rejection;
mod state;

use std::convert::Infallible;
use std::future::Future;

use crate::request::RequestParts;
use crate::response::IntoResponse;
use crate::Body;

pub use auth::{AuthRejection, BasicAuth, Bearer};
pub use body::{BodyRejection, StringRejection};
pub use extension::{Extension, ExtensionRejection};
pub use form::{Form, FormRejection};
pub use json::{Json, JsonRejection};
pub use param::{FromParam, ParamRejection};
pub use query::{Query, QueryRejection};
pub use state::{State, StateKey, StateNeeds};

#[cfg(feature = "multipart")]
pub(crate) use param::is_reserved_on_windows;
pub(crate) use param::parse_param;

/// An argument built from the request's head and context, without its body.
///
/// Implement it for your own types (an authenticated user from a header, a
/// pagination struct) to take them in handlers and middleware.
///
/// ```
/// use waypost::{get, routes, App, FromRequestParts, Problem, RequestParts, StatusCode, TestClient};
///
/// /// The tenant a request is for, from its `X-Tenant` header.
/// struct Tenant(String);
///
/// impl FromRequestParts for Tenant {
///     type Rejection = Problem;
///
///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Problem> {
///         parts
///             .head()
///             .headers
///             .get("x-tenant")
///             .and_then(|value| value.to_str().ok())
///             .map(|name| Tenant(name.to_owned()))
///             .ok_or_else(|| {
///                 Problem::new(StatusCode::BAD_REQUEST).with_detail("an `X-Tenant` header is required")
///             })
///     }
/// }
///
/// #[get("/whoami")]
/// async fn whoami(Tenant(name): Tenant) -> String {
///     name
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![whoami]));
/// let response = client.get("/whoami").header("x-tenant", "acme").send().await;
/// assert_eq!(response.text(), "acme");
/// assert_eq!(client.get("/whoami").send().await.status(), 400);
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor that reads only the request head",
    label = "not a `FromRequestParts` extractor",
    note = "head extractors: `Query<T>`, `State<T>`, `Extension<T>`, `HeaderMap`, `Method`, `Uri`, `Bearer`, …; implement `waypost::FromRequestParts` for your own"
)]
pub trait FromRequestParts: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value.
    fn from_request_parts(
        parts: &mut RequestParts,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Records the app state and extension types this extractor needs, so
    /// that what is missing is reported when the app is built, not per request.
    fn required(_needs: &mut StateNeeds) {}
}

/// An argument built by consuming the request body (and reading the head if it likes).
///
/// ```
/// use waypost::{post, routes, App, Body, Bytes, FromRequest, Problem, RequestParts, StatusCode, TestClient};
///
/// /// A CSV upload, one `Vec` of fields per line.
/// struct Csv(Vec<Vec<String>>);
///
/// impl FromRequest for Csv {
///     type Rejection = Problem;
///
///     async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, Problem> {
///         // Reuse `String`'s extractor: the body limit, UTF-8 checks and their 4xx.
///         let text = String::from_request(parts, body)
///             .await
///             .map_err(|rejection| rejection.to_problem())?;
///         Ok(Csv(text.lines().map(|line| line.split(',').map(str::to_owned).collect()).collect()))
///     }
/// }
///
/// #[post("/import")]
/// async fn import(Csv(rows): Csv) -> String {
///     format!("{} rows", rows.len())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![import]));
/// let response = client.post("/import").body("a,b\nc,d").send().await;
/// assert_eq!(response.text(), "2 rows");
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor that reads the request body",
    label = "not a `FromRequest` extractor",
    note = "body extractors: `Json<T>`, `Form<T>`, `Multipart`, `Bytes`, `String`; implement `waypost::FromRequest` for your own"
)]
pub trait FromRequest: Sized + Send {
    /// What the client gets when extraction fails.
    type Rejection: IntoResponse;

    /// Extracts the value, consuming the body.
    fn from_request(
        parts: &mut RequestParts,
        body: Body,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Records the app state and extension types this extractor needs.
    fn required(_needs: &mut StateNeeds) {}
}

/// A head extractor a request may lack. `Option<E>` is `None` when the
/// request does not have it (no query string, no `Authorization` header, no
/// extension inserted) and `E`'s rejection when it has it but it is invalid:
/// `Option` means absent, not "ignore mistakes" (take `Result<E, _>` to
/// handle a rejection yourself).
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` is not an extractor: `{Self}` has no way to be absent",
    note = "take `{Self}` itself, or `Result<{Self}, _>` to handle its rejection in the handler"
)]
pub trait OptionalFromRequestParts: FromRequestParts {
    /// `None` when absent; the rejection when present but invalid.
    fn from_request_parts_optional(
        parts: &mut RequestParts,
    ) -> impl Future<Output = Result<Option<Self>, Self::Rejection>> + Send;
}

/// A body extractor a request may lack: `Option<E>` is `None` when the
/// request has no body, and `E`'s rejection when the body is there but
/// invalid (see [`OptionalFromRequestParts`]).
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` is not an extractor: `{Self}` has no way to be absent",
    note = "take `{Self}` itself, or `Result<{Self}, _>` to handle its rejection in the handler"
)]
pub trait OptionalFromRequest: FromRequest {
    /// `None` when there is no body; the rejection when it is there but invalid.
    fn from_request_optional(
        parts: &mut RequestParts,
        body: Body,
    ) -> impl Future<Output = Result<Option<Self>, Self::Rejection>> + Send;
}

impl<E> FromRequestParts for Option<E>
where
    E: OptionalFromRequestParts,
    E::Rejection: Send,
{
    type Rejection = E::Rejection;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, E::Rejection> {
        E::from_request_parts_optional(parts).await
    }

    fn required(needs: &mut StateNeeds) {
        needs.require_optionally(E::required)
    }
}

impl<E> FromRequest for Option<E>
where
    E: OptionalFromRequest,
    E::Rejection: Send,
{
    type Rejection = E::Rejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, E::Rejection> {
        E::from_request_optional(parts, body).await
    }

    fn required(needs: &mut StateNeeds) {
        needs.require_optionally(E::required)
    }
}

/// Whether a request comes with no body: its end is known to be reached
/// (HTTP/1 with no length and no chunking, HTTP/2 with END_STREAM on its
/// headers) or its length is known to be zero.
pub(crate) fn has_no_body(body: &Body) -> bool {
    use http_body::Body as _;
    body.is_end_stream() || body.size_hint().exact() == Some(0)
}

impl<E> FromRequestParts for Result<E, E::Rejection>
where
    E: FromRequestParts,
    E::Rejection: Send,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        Ok(E::from_request_parts(parts).await)
    }

    fn required(needs: &mut StateNeeds) {
        E::required(needs)
    }
}

impl<E> FromRequest for Result<E, E::Rejection>
where
    E: FromRequest,
    E::Rejection: Send,
{
    type Rejection = Infallible;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, Infallible> {
        Ok(E::from_request(parts, body).await)
    }

    fn required(needs: &mut StateNeeds) {
        E::required(needs)
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> crate::Response {
        match self {}
    }
}

/// Head extractors that copy a part of the head.
macro_rules! head_extractor {
    ($($ty:ty => |$head:ident| $value:expr),* $(,)?) => {$(
        impl FromRequestParts for $ty {
            type Rejection = Infallible;

            async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
                let $head = parts.head();
                Ok($value)
            }
        }

        /// Always present.
        impl OptionalFromRequestParts for $ty {
            async fn from_request_parts_optional(parts: &mut RequestParts) -> Result<Option<Self>, Infallible> {
                let $head = parts.head();
                Ok(Some($value))
            }
        }
    )*};
}

head_extractor! {
    http::HeaderMap => |head| head.headers.clone(),
    http::Method => |head| head.method.clone(),
    http::Uri => |head| head.uri.clone(),
    http::Version => |head| head.version,
}

/// Writes `Deref` (and `DerefMut`) to the wrapped value for extractor newtypes.
macro_rules! newtype_deref {
    ($($name:ident),* $(,)?) => {$(
        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> std::ops::DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    )*};
}

newtype_deref!(Json, Form, Query, State, Extension);
