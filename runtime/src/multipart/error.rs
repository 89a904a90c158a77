//! Why a multipart body is refused or could not be read, as problem+json.

use http::{header, StatusCode};

use super::limits::HEADER_SECTION_LIMIT;
use super::meter::HeadersTooLarge;
use crate::extract::rejection::rejection;
use crate::problem::Problem;

/// Why a request is not taken as a multipart body (before a byte of it is read).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultipartRejection {
    /// The `Content-Type` is not `multipart/form-data`: 415.
    NotMultipart {
        /// The `Content-Type` sent, if any.
        content_type: Option<String>,
    },
    /// `multipart/form-data` without a usable `boundary` parameter: 400.
    NoBoundary,
    /// The declared `Content-Length` is over the body limit: 413.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl MultipartRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            MultipartRejection::NotMultipart { content_type } => {
                let sent = match content_type {
                    Some(sent) => format!("`{sent}`"),
                    None => "no `Content-Type`".to_owned(),
                };
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                    .with_detail(format!("expected a `multipart/form-data` body, got {sent}"))
            }
            MultipartRejection::NoBoundary => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail("the `multipart/form-data` content type has no `boundary` parameter"),
            MultipartRejection::TooLarge { limit } => Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                .with_detail(format!(
                    "request body is larger than the limit of {limit} bytes"
                ))
                .with_extension("limit", *limit),
        }
    }
}

/// Why a multipart body could not be read, or a field saved.
#[derive(Debug)]
#[non_exhaustive]
pub enum MultipartError {
    /// A field is larger than its limit: 413.
    FieldTooLarge {
        /// The field's name, if it has one.
        field: Option<String>,
        /// Which limit: `text field`, `file` or `field` (one set by name).
        kind: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
    /// The whole body is larger than the body limit: 413.
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// More fields than the limit: 413.
    TooManyFields {
        /// The limit.
        limit: usize,
    },
    /// A field's header section (or the preamble) did not end within
    /// [`HEADER_SECTION_LIMIT`]: 400.
    HeadersTooLarge,
    /// The body is not well-formed multipart, or ended early: 400.
    Malformed(String),
    /// A field could not be written to disk: 500 (the cause is logged, not sent).
    Io(std::io::Error),
}

impl MultipartError {
    /// The problem this error answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            MultipartError::FieldTooLarge { field, kind, limit } => {
                let name = field.as_deref().unwrap_or("");
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                    .with_detail(format!(
                        "field `{name}` is larger than the {kind} limit of {limit} bytes"
                    ))
                    .with_extension("field", name)
                    .with_extension("limit", *limit)
            }
            MultipartError::BodyTooLarge { limit } => Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                .with_detail(format!(
                    "request body is larger than the limit of {limit} bytes"
                ))
                .with_extension("limit", *limit),
            MultipartError::TooManyFields { limit } => Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                .with_detail(format!("the form has more than {limit} fields"))
                .with_extension("limit", *limit),
            MultipartError::HeadersTooLarge => {
                Problem::new(StatusCode::BAD_REQUEST).with_detail(format!(
                    "a multipart field's headers did not end within {HEADER_SECTION_LIMIT} bytes"
                ))
            }
            MultipartError::Malformed(reason) => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail(format!("malformed multipart body: {reason}")),
            MultipartError::Io(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_detail("the upload could not be stored"),
        }
    }

    fn log(&self, response: &mut crate::response::Response) {
        match self {
            MultipartError::Io(error) => {
                tracing::error!(error = %error, "multipart: writing an uploaded field failed");
            }
            // The rest of the body is not read: the connection cannot carry
            // another request after this answer, and the client is told so.
            _ => {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
            }
        }
    }

    pub(super) fn from_multer(error: multer::Error, body_limit: u64) -> Self {
        match error {
            multer::Error::StreamSizeExceeded { .. } => {
                MultipartError::BodyTooLarge { limit: body_limit }
            }
            multer::Error::StreamReadFailed(cause) => {
                if cause.downcast_ref::<HeadersTooLarge>().is_some() {
                    MultipartError::HeadersTooLarge
                } else {
                    MultipartError::Malformed(format!("failed to read the body: {cause}"))
                }
            }
            multer::Error::IncompleteFieldData { .. } => {
                MultipartError::Malformed("the body ended before its closing boundary".into())
            }
            multer::Error::IncompleteStream => MultipartError::Malformed(
                "the body ended before its closing boundary, or a boundary line is malformed"
                    .into(),
            ),
            other => MultipartError::Malformed(other.to_string()),
        }
    }
}

rejection!(MultipartRejection);
rejection!(MultipartError, finish = MultipartError::log);

impl From<std::io::Error> for MultipartError {
    fn from(error: std::io::Error) -> Self {
        MultipartError::Io(error)
    }
}
