//! Redirect responses.

use http::{header, HeaderValue, StatusCode};

use super::{IntoResponse, Response};
use crate::problem::Problem;
use crate::Body;

/// A redirect to another location.
///
/// ```
/// use waypost::{IntoResponse, Redirect};
/// let response = Redirect::to("/login").into_response();
/// assert_eq!(response.status(), 303);
/// assert_eq!(response.headers()["location"], "/login");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// `303 See Other`: the client follows with a GET (the usual answer to a form post).
    pub fn to(location: impl Into<String>) -> Self {
        Self::with_status(StatusCode::SEE_OTHER, location)
    }

    /// `307 Temporary Redirect`: the client repeats the same method and body.
    pub fn temporary(location: impl Into<String>) -> Self {
        Self::with_status(StatusCode::TEMPORARY_REDIRECT, location)
    }

    /// `308 Permanent Redirect`: like `temporary`, and clients may remember it.
    pub fn permanent(location: impl Into<String>) -> Self {
        Self::with_status(StatusCode::PERMANENT_REDIRECT, location)
    }

    fn with_status(status: StatusCode, location: impl Into<String>) -> Self {
        Redirect {
            status,
            location: location.into(),
        }
    }

    /// The redirect's status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where it points.
    pub fn location(&self) -> &str {
        &self.location
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        match HeaderValue::try_from(self.location) {
            Ok(location) => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = self.status;
                response.headers_mut().insert(header::LOCATION, location);
                response
            }
            Err(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_detail("redirect location is not a valid header value")
                .into_response(),
        }
    }
}
