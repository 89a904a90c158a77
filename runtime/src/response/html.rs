//! HTML responses.

use super::{with_content_type, IntoResponse, Response, TEXT_HTML};
use crate::Body;

/// An HTML response body, sent as `text/html; charset=utf-8`.
///
/// ```
/// use waypost::{Html, IntoResponse};
/// let response = Html("<h1>hi</h1>").into_response();
/// assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T> std::ops::Deref for Html<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_content_type(self.0.into(), TEXT_HTML)
    }
}
