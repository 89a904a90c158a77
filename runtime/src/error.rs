//! `waypost::Error`: a handler error without an error type of one's own.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

use crate::problem::Problem;
use crate::response::{IntoResponse, Response};

/// Any error a handler meets, as a response: `?` converts every
/// `std::error::Error + Send + Sync + 'static` into it.
///
/// By default it answers `500 Internal Server Error` as problem+json whose
/// body says nothing of the cause (a database error's text is not for
/// clients); the cause and its chain of sources are logged instead, at
/// `ERROR`, with the request's method, path and route (as a panic is).
/// waypost's own errors keep their answer: a `Problem`, a rejection
/// (`JsonRejection`, …), a `FileError` (a missing file is 404) or a
/// `MultipartError` (an upload over its limit is 413). A status
/// and a message for the client are set where the error is known:
///
/// ```
/// use waypost::{get, Error, ResultExt, StatusCode};
///
/// fn load(name: &str) -> std::io::Result<String> {
///     std::fs::read_to_string(format!("/srv/notes/{name}"))
/// }
///
/// #[get("/notes/<name>")]
/// async fn note(name: String) -> Result<String, Error> {
///     if name.starts_with('.') {
///         return Err(Error::new(StatusCode::BAD_REQUEST, "note names do not start with `.`"));
///     }
///     // A missing note is a 404; any other I/O error is a 500 with its cause logged.
///     let text = match load(&name) {
///         Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
///             return Err(error).status(StatusCode::NOT_FOUND);
///         }
///         other => other?,
///     };
///     Ok(text)
/// }
///
/// #[get("/numbers/<text>")]
/// async fn number(text: String) -> Result<String, Error> {
///     let value: i64 = text.parse().status(StatusCode::UNPROCESSABLE_ENTITY)?;
///     Ok((value * 2).to_string())
/// }
/// ```
///
/// A [`Problem`] converted with `?` keeps its status and body. `Error` does
/// not implement `std::error::Error` itself (that would make its blanket
/// conversion conflict with the identity one, as for `anyhow::Error`), and
/// neither does a boxed error ([`BoxError`](crate::BoxError)): convert one with
/// [`Error::with_cause`]. Its `Display` is what the client reads (status,
/// title, detail); `Debug` adds the cause, for logs and tests.
pub struct Error(Box<Inner>);

/// Boxed, so that `Error` is one pointer and `Result<T, Error>` stays small.
struct Inner {
    problem: Problem,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    fn from_parts(
        problem: Problem,
        cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        Error(Box::new(Inner { problem, cause }))
    }

    /// An error with this status whose `detail` the client reads.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Error {
        Error::from_parts(Problem::new(status).with_detail(detail), None)
    }

    /// An error with this status, and `cause` logged, not sent.
    pub fn with_cause(
        status: StatusCode,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        Error::from_parts(Problem::new(status), Some(cause.into()))
    }

    /// Sets the status (and with it the title, unless one was set).
    pub fn with_status(mut self, status: StatusCode) -> Error {
        self.0.problem = self.0.problem.with_status(status);
        self
    }

    /// Sets the title the client reads (by default the status's reason phrase).
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Error {
        self.0.problem = self.0.problem.with_title(title);
        self
    }

    /// Sets the detail the client reads.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.0.problem = self.0.problem.with_detail(detail);
        self
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.0.problem.status()
    }

    /// The error it was made from, if any: logged, never sent.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.0.cause.as_deref()
    }

    /// The problem the client receives.
    pub fn problem(&self) -> &Problem {
        &self.0.problem
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Error {
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
        let boxed = match boxed.downcast::<Problem>() {
            Ok(problem) => return Error::from_parts(*problem, None),
            Err(boxed) => boxed,
        };
        match framework_problem(&*boxed) {
            // A 5xx keeps its cause, to be logged; a 4xx says all there is.
            Some(problem) if problem.status().is_server_error() => {
                Error::from_parts(problem, Some(boxed))
            }
            Some(problem) => Error::from_parts(problem, None),
            None => Error::with_cause(StatusCode::INTERNAL_SERVER_ERROR, boxed),
        }
    }
}

/// The answer of waypost's own error and rejection types (a file not found
/// is 404, an upload over its limit 413): converted with `?`, they keep it.
fn framework_problem(error: &(dyn std::error::Error + 'static)) -> Option<Problem> {
    use crate::extract::*;
    macro_rules! known {
        ($($ty:ty),* $(,)?) => {$(
            if let Some(error) = error.downcast_ref::<$ty>() {
                return Some(error.to_problem());
            }
        )*};
    }
    known!(
        crate::files::FileError,
        BodyRejection,
        StringRejection,
        JsonRejection,
        FormRejection,
        QueryRejection,
        ParamRejection,
        ExtensionRejection,
        AuthRejection,
    );
    #[cfg(feature = "multipart")]
    known!(
        crate::multipart::MultipartError,
        crate::multipart::MultipartRejection,
    );
    None
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let Inner { problem, cause } = *self.0;
        let status = problem.status();
        let mut response = problem.into_response();
        if let Some(cause) = &cause {
            // Logged where the response leaves the app (`service.rs`), which
            // knows the request's method, path and route.
            response.extensions_mut().insert(ErrorReport {
                status,
                chain: Chain(cause.as_ref()).to_string().into(),
            });
        }
        response
    }
}

/// What a handler's [`Error`] leaves on its response for the log: its status
/// and its cause with the chain of sources.
#[derive(Clone)]
pub(crate) struct ErrorReport {
    status: StatusCode,
    chain: std::sync::Arc<str>,
}

impl ErrorReport {
    /// At `ERROR` for a 5xx, `DEBUG` otherwise; with the method, path and route when known.
    pub(crate) fn log(&self, request: Option<(&http::Method, &str, &str)>) {
        let status = self.status.as_u16();
        let cause = &*self.chain;
        match (self.status.is_server_error(), request) {
            (true, Some((method, path, route))) => {
                tracing::error!(%method, path, route, status, cause, "handler failed")
            }
            (true, None) => tracing::error!(status, cause, "handler failed"),
            (false, Some((method, path, route))) => {
                tracing::debug!(%method, path, route, status, cause, "handler refused the request")
            }
            (false, None) => tracing::debug!(status, cause, "handler refused the request"),
        }
    }
}

/// An error and its sources, joined by `: `.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.problem)?;
        if let Some(cause) = &self.0.cause {
            write!(f, " (cause: {})", Chain(cause.as_ref()))?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.problem, f)
    }
}

/// `.status(..)` on a `Result` or an `Option`: the error (or `None`) becomes
/// an [`Error`] with that status.
///
/// ```
/// use waypost::{Error, ResultExt, StatusCode};
///
/// fn find(id: u64) -> Option<&'static str> { (id == 1).then_some("ada") }
///
/// fn name(id: u64) -> Result<&'static str, Error> {
///     find(id).status(StatusCode::NOT_FOUND)
/// }
/// assert_eq!(name(2).unwrap_err().status(), StatusCode::NOT_FOUND);
/// ```
pub trait ResultExt<T> {
    /// Converts the error (or `None`) into an [`Error`] answering `status`.
    fn status(self, status: StatusCode) -> Result<T, Error>;
}

impl<T, E> ResultExt<T> for Result<T, E>
where
    E: Into<Error>,
{
    fn status(self, status: StatusCode) -> Result<T, Error> {
        self.map_err(|error| error.into().with_status(status))
    }
}

impl<T> ResultExt<T> for Option<T> {
    fn status(self, status: StatusCode) -> Result<T, Error> {
        self.ok_or_else(|| Error::from_parts(Problem::new(status), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("loading the profile")
        }
    }

    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn any_error_is_a_500_that_keeps_its_cause() {
        let error: Error = Outer(std::io::Error::other("disk on fire")).into();
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            Chain(error.cause().unwrap()).to_string(),
            "loading the profile: disk on fire"
        );
        assert_eq!(
            error.problem().detail(),
            None,
            "the cause is not for clients"
        );
    }

    #[test]
    fn a_problem_keeps_its_status_and_body() {
        let problem = Problem::new(StatusCode::CONFLICT).with_detail("taken");
        let error: Error = problem.clone().into();
        assert_eq!(error.problem(), &problem);
        assert!(error.cause().is_none());
    }

    #[test]
    fn status_changes_the_title_it_defaulted() {
        let error = Error::from(std::io::Error::other("x")).with_status(StatusCode::NOT_FOUND);
        assert_eq!(error.problem().title(), "Not Found");
        let titled = Error::new(StatusCode::CONFLICT, "taken")
            .with_title("Name taken")
            .with_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(titled.problem().title(), "Name taken");
        assert_eq!(titled.problem().detail(), Some("taken"));
    }
}
