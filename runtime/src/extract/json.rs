//! JSON bodies in and out.

use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::body::{content_type_is, content_type_of, read_body, unsupported_media_type};
use super::field::field_of;
use super::param::expected_in_words;
use super::rejection::rejection;
use super::{BodyRejection, FromRequest, OptionalFromRequest};
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::response::{with_content_type, IntoResponse, Response, APPLICATION_JSON};
use crate::Body;

/// A JSON body: as an argument it parses the request body into `T`; as a
/// return value it serializes `T` with `Content-Type: application/json`.
///
/// ```
/// use waypost::Json;
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct User { name: String }
/// async fn create(Json(user): Json<User>) -> Json<User> { Json(user) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Why a JSON body was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum JsonRejection {
    /// The body could not be read (413 if too large).
    Body(BodyRejection),
    /// The content type is missing or not JSON: 415.
    UnsupportedMediaType {
        /// The content type the client sent.
        found: Option<String>,
    },
    /// The body is not well-formed JSON: 400.
    Syntax {
        /// Where the fault is, `line:column` in the body.
        line: usize,
        /// Column of the fault.
        column: usize,
        /// What the parser found.
        message: String,
    },
    /// Well-formed JSON of the wrong shape: 422.
    Data {
        /// The path of the offending value, such as `items[2].price`; `.` for the root.
        path: String,
        /// What was wrong with it.
        message: String,
    },
}

impl JsonRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            JsonRejection::Body(rejection) => rejection.to_problem(),
            JsonRejection::UnsupportedMediaType { found } => {
                unsupported_media_type("application/json", found.as_deref())
            }
            JsonRejection::Syntax {
                line,
                column,
                message,
            } => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail(format!(
                    "request body is not valid JSON: {message} at line {line} column {column}"
                ))
                .with_extension("line", *line)
                .with_extension("column", *column),
            JsonRejection::Data { path, message } => Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
                .with_detail(format!("invalid JSON body at `{path}`: {message}"))
                .with_extension("field", path.as_str()),
        }
    }
}

rejection!(JsonRejection);

impl<T: DeserializeOwned + Send> FromRequest for Json<T> {
    type Rejection = JsonRejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, JsonRejection> {
        check_json_type(parts)?;
        let bytes = read_body(parts.body_limit(), body)
            .await
            .map_err(JsonRejection::Body)?;
        parse_json(&bytes).map(Json)
    }
}

/// `None` when the request has no body (or an empty one); a body that is
/// there must be JSON.
impl<T: DeserializeOwned + Send> OptionalFromRequest for Json<T> {
    async fn from_request_optional(
        parts: &mut RequestParts,
        body: Body,
    ) -> Result<Option<Self>, JsonRejection> {
        let Some(bytes) = Bytes::from_request_optional(parts, body)
            .await
            .map_err(JsonRejection::Body)?
        else {
            return Ok(None);
        };
        check_json_type(parts)?;
        parse_json(&bytes).map(|value| Some(Json(value)))
    }
}

fn check_json_type(parts: &RequestParts) -> Result<(), JsonRejection> {
    if content_type_is(parts, "application/json", Some("+json")) {
        Ok(())
    } else {
        Err(JsonRejection::UnsupportedMediaType {
            found: content_type_of(parts),
        })
    }
}

/// Parses without path tracking first; only a body that fails is parsed
/// again with `serde_path_to_error`, to name the offending field.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonRejection> {
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(_) => Err(explain_json_error::<T>(bytes)),
    }
}

fn explain_json_error<T: DeserializeOwned>(bytes: &[u8]) -> JsonRejection {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(error) => {
            let path = error.path().to_string();
            json_rejection(error.into_inner(), path)
        }
        // The value parsed: the fault is what follows it.
        Ok(_) => match deserializer.end() {
            Err(error) => json_rejection(error, ".".into()),
            Ok(()) => JsonRejection::Syntax {
                line: 1,
                column: 1,
                message: "invalid JSON".into(),
            },
        },
    }
}

fn json_rejection(error: serde_json::Error, path: String) -> JsonRejection {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let message = in_words(strip_position(&error));
            JsonRejection::Data {
                path: field_of(&path, &message),
                message,
            }
        }
        Category::Syntax | Category::Eof | Category::Io => JsonRejection::Syntax {
            line: error.line(),
            column: error.column(),
            message: strip_position(&error),
        },
    }
}

/// serde names the numbers it expected as Rust types (`expected u8`); a
/// client reads them in words (`expected a whole number from 0 to 255`).
fn in_words(message: String) -> String {
    const NUMBERS: [&str; 14] = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        "f32", "f64",
    ];
    match message.rsplit_once(", expected ") {
        Some((head, expected)) if NUMBERS.contains(&expected) => {
            format!("{head}, expected {}", expected_in_words(expected))
        }
        _ => message,
    }
}

/// serde_json appends " at line L column C" to its messages; we report those separately.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => with_content_type(Body::from(bytes), APPLICATION_JSON),
            Err(error) => {
                tracing::error!(%error, "failed to serialize a JSON response");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                    .with_detail("the response could not be serialized as JSON")
                    .into_response()
            }
        }
    }
}
