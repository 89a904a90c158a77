//! Turning handler return values into HTTP responses.
//!
//! Anything a handler returns implements [`IntoResponse`]: strings, bytes,
//! [`Json`](crate::Json), [`Html`], [`Redirect`], a [`StatusCode`], tuples
//! that add a status and headers, `Result<T, E>` of responses, and [`Problem`](crate::Problem).
//!
//! ```
//! use waypost::{IntoResponse, http::StatusCode};
//! let response = (StatusCode::CREATED, [("location", "/users/7")], "created").into_response();
//! assert_eq!(response.status(), StatusCode::CREATED);
//! assert_eq!(response.headers()["location"], "/users/7");
//! ```

mod html;
mod redirect;
mod sse;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::StatusCode;

use crate::problem::Problem;
use crate::Body;

pub use html::Html;
pub use redirect::Redirect;
pub use sse::{Event, KeepAlive, Sse};

/// The response type every handler's return value becomes.
pub type Response = http::Response<Body>;

/// A value that can be sent back as an HTTP response.
///
/// ```
/// use waypost::{get, http::header, routes, App, Body, IntoResponse, Response, TestClient};
///
/// /// A CSV document, sent with its media type.
/// struct Csv(String);
///
/// impl IntoResponse for Csv {
///     fn into_response(self) -> Response {
///         let mut response = Response::new(Body::from(self.0));
///         response.headers_mut().insert(header::CONTENT_TYPE, "text/csv".parse().unwrap());
///         response
///     }
/// }
///
/// #[get("/report")]
/// async fn report() -> Csv {
///     Csv("day,visits\nmon,7\n".to_owned())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![report]));
/// let response = client.get("/report").send().await;
/// assert_eq!(response.content_type(), Some("text/csv"));
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a handler: it does not implement `IntoResponse`",
    label = "not a response type",
    note = "return a type that implements `waypost::IntoResponse` (`String`, `&'static str`, `Json<T>`, `Html<T>`, `StatusCode`, `(StatusCode, T)`, `Result<T, E>`, `Option<T>`, `Problem`, …)",
    note = "for a type of your own, implement `waypost::IntoResponse` for it, or derive `serde::Serialize` and return it in `Json(..)`; another crate's type (`std::io::Error`, …) cannot get the impl here: map it, as in `.map_err(|error| Problem::new(StatusCode::INTERNAL_SERVER_ERROR).with_detail(error.to_string()))`",
    note = "a future is not a response: did you forget `.await`? In a tuple, the status comes first: `(StatusCode, body)`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;

    /// Whether the response is finished against the request it answers (a
    /// `NamedFile` answers its conditional and range headers): the handler's
    /// shim keeps the request until then only for such types, so that the
    /// others do not pay for it. Wrappers (`Result`, `Option`, tuples) pass it on.
    #[doc(hidden)]
    const USES_REQUEST: bool = false;
}

/// Headers that can be added to a response, in a tuple such as `(StatusCode, headers, body)`.
///
/// A `HeaderMap`, or an array of `(name, value)` pairs: a name replaces the
/// body's own header of that name, and a name repeated in the array keeps
/// every value. `Set-Cookie` never replaces: each is a cookie of its own, so
/// the cookies a response already sets (a `CookieJar`'s) are kept.
///
/// ```
/// use waypost::{post, routes, App, StatusCode, TestClient};
///
/// #[post("/sessions")]
/// async fn sign_in() -> (StatusCode, [(&'static str, &'static str); 3], &'static str) {
///     (
///         StatusCode::CREATED,
///         [("location", "/sessions/1"), ("set-cookie", "a=1"), ("set-cookie", "b=2")],
///         "signed in",
///     )
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![sign_in]));
/// let response = client.post("/sessions").send().await;
/// assert_eq!(response.status(), 201);
/// assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as response headers",
    note = "use a `HeaderMap` or an array of `(name, value)` pairs",
    note = "in a tuple the status comes first and the body last: `(StatusCode, body)`, `(StatusCode, headers, body)`, `(headers, body)`"
)]
pub trait IntoResponseHeaders {
    /// Adds the headers to `headers`; a name or value that is not valid fails the response with 500.
    fn extend_headers(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader>;
}

/// A response header name or value that is not valid HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeader(pub(crate) String);

impl IntoResponse for InvalidHeader {
    fn into_response(self) -> Response {
        tracing::error!(reason = %self.0, "handler returned an invalid response header");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_detail("the handler produced an invalid response header")
            .into_response()
    }
}

/// A response with a body and its content type. Content types are `const`
/// header values: validated at compile time, copied per response.
pub(crate) fn with_content_type(body: Body, content_type: HeaderValue) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

pub(crate) const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
pub(crate) const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
pub(crate) const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
pub(crate) const APPLICATION_PROBLEM_JSON: HeaderValue =
    HeaderValue::from_static(crate::problem::PROBLEM_JSON);
const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self;
        response
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT_PLAIN)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), TEXT_PLAIN)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), OCTET_STREAM)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_content_type(Body::from(self), OCTET_STREAM)
    }
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    const USES_REQUEST: bool = T::USES_REQUEST || E::USES_REQUEST;

    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }
}

/// `Some` answers with the value; `None` with 404 problem+json ("the
/// requested resource does not exist"), for a lookup that found nothing.
///
/// ```
/// use waypost::{get, routes, App, TestClient};
///
/// #[get("/users/<id>")]
/// async fn user(id: u64) -> Option<String> {
///     (id == 7).then(|| "ada".to_owned())
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![user]));
/// assert_eq!(client.get("/users/7").send().await.text(), "ada");
/// assert_eq!(client.get("/users/8").send().await.status(), 404);
/// # });
/// ```
impl<T: IntoResponse> IntoResponse for Option<T> {
    const USES_REQUEST: bool = T::USES_REQUEST;

    fn into_response(self) -> Response {
        match self {
            Some(value) => value.into_response(),
            None => Problem::new(StatusCode::NOT_FOUND)
                .with_detail("the requested resource does not exist")
                .into_response(),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    const USES_REQUEST: bool = T::USES_REQUEST;

    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }
}

impl<H: IntoResponseHeaders, T: IntoResponse> IntoResponse for (StatusCode, H, T) {
    const USES_REQUEST: bool = T::USES_REQUEST;

    fn into_response(self) -> Response {
        let (status, headers, body) = self;
        let mut response = body.into_response();
        if let Err(invalid) = headers.extend_headers(response.headers_mut()) {
            return invalid.into_response();
        }
        *response.status_mut() = status;
        response
    }
}

impl<H: IntoResponseHeaders, T: IntoResponse> IntoResponse for (H, T) {
    const USES_REQUEST: bool = T::USES_REQUEST;

    fn into_response(self) -> Response {
        let (headers, body) = self;
        let mut response = body.into_response();
        match headers.extend_headers(response.headers_mut()) {
            Ok(()) => response,
            Err(invalid) => invalid.into_response(),
        }
    }
}

impl IntoResponseHeaders for HeaderMap {
    fn extend_headers(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
        // As `HeaderMap::extend`: a name's first value replaces, the rest
        // append; but a cookie never replaces another.
        let mut current: Option<HeaderName> = None;
        for (name, value) in self {
            match name {
                Some(name) => {
                    add_header(headers, &name, value, false);
                    current = Some(name);
                }
                // Further values of the name just added.
                None => {
                    if let Some(name) = &current {
                        headers.append(name, value);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Adds `value` under `name`: appended when the name was already added by
/// the same headers (`repeated`) or is `Set-Cookie`; otherwise it replaces
/// what the response had.
fn add_header(headers: &mut HeaderMap, name: &HeaderName, value: HeaderValue, repeated: bool) {
    if repeated || name == header::SET_COOKIE {
        headers.append(name, value);
    } else {
        headers.insert(name, value);
    }
}

impl<K, V, const N: usize> IntoResponseHeaders for [(K, V); N]
where
    K: TryInto<HeaderName>,
    K::Error: std::fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: std::fmt::Display,
{
    /// Like a `HeaderMap`: a name replaces what the response already has
    /// (a content type, say), a name repeated in the array keeps every value,
    /// and `Set-Cookie` always adds.
    fn extend_headers(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
        let mut seen: Vec<HeaderName> = Vec::with_capacity(N);
        for (name, value) in self {
            let name: HeaderName = name.try_into().map_err(|e| InvalidHeader(e.to_string()))?;
            let value = value.try_into().map_err(|e| InvalidHeader(e.to_string()))?;
            let repeated = seen.contains(&name);
            add_header(headers, &name, value, repeated);
            if !repeated {
                seen.push(name);
            }
        }
        Ok(())
    }
}
