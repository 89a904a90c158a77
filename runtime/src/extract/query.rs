//! The query string, deserialized into a typed struct.

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::field::field_of;
use super::rejection::rejection;
use super::{FromRequestParts, OptionalFromRequestParts};
use crate::problem::Problem;
use crate::request::RequestParts;

/// The query string deserialized into `T` (via `serde_urlencoded`).
///
/// A query with a name or value that is not UTF-8 once percent-decoded is
/// refused (400), even one `T` would ignore: the handler never sees text the
/// client did not send.
///
/// ```
/// use waypost::Query;
/// #[derive(serde::Deserialize)]
/// struct Page { offset: u32, limit: Option<u32> }
/// async fn list(Query(page): Query<Page>) -> String { page.offset.to_string() }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

/// The query string did not fit the expected type: 400, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRejection {
    /// The offending field, `.` when the fault is not in one field.
    pub field: String,
    /// What was wrong.
    pub message: String,
}

impl QueryRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST)
            .with_detail(format!(
                "invalid query string at `{}`: {}",
                self.field, self.message
            ))
            .with_extension("field", self.field.as_str())
    }
}

rejection!(QueryRejection);

/// Deserializes `application/x-www-form-urlencoded` text, tracking the field that failed.
pub(crate) fn deserialize_urlencoded<T: DeserializeOwned>(
    text: &[u8],
) -> Result<T, (String, String)> {
    // `form_urlencoded` would put U+FFFD in place of bytes that are not
    // UTF-8, and the handler would get text the client never sent.
    if let Some(field) = not_utf8(text) {
        return Err((field, "not valid UTF-8 once percent-decoded".into()));
    }
    // The plain parse first; path tracking only to explain a failure.
    if let Ok(value) = serde_urlencoded::from_bytes(text) {
        return Ok(value);
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text));
    match serde_path_to_error::deserialize::<_, T>(deserializer) {
        Err(error) => {
            let path = error.path().to_string();
            let message = error.into_inner().to_string();
            Err((field_of(&path, &message), message))
        }
        Ok(_) => Err((".".into(), "invalid form data".into())),
    }
}

/// The name of the first pair whose name or value is not UTF-8 once
/// percent-decoded; `None` when every pair is.
fn not_utf8(text: &[u8]) -> Option<String> {
    if !text.contains(&b'%') && std::str::from_utf8(text).is_ok() {
        return None;
    }
    let decoded = |part: &[u8]| -> Vec<u8> { percent_encoding::percent_decode(part).collect() };
    text.split(|&byte| byte == b'&').find_map(|pair| {
        let (name, value) = match pair.iter().position(|&byte| byte == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decoded(name);
        let valid =
            std::str::from_utf8(&name).is_ok() && std::str::from_utf8(&decoded(value)).is_ok();
        (!valid).then(|| String::from_utf8_lossy(&name).into_owned())
    })
}

impl<T: DeserializeOwned + Send> FromRequestParts for Query<T> {
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, QueryRejection> {
        let query = parts.head().uri.query().unwrap_or_default();
        deserialize_urlencoded(query.as_bytes())
            .map(Query)
            .map_err(|(field, message)| QueryRejection { field, message })
    }
}

/// `None` when the URI has no query string (or an empty one); a query that
/// is there must fit `T`.
impl<T: DeserializeOwned + Send> OptionalFromRequestParts for Query<T> {
    async fn from_request_parts_optional(
        parts: &mut RequestParts,
    ) -> Result<Option<Self>, QueryRejection> {
        if parts.head().uri.query().is_none_or(str::is_empty) {
            return Ok(None);
        }
        Self::from_request_parts(parts).await.map(Some)
    }
}
