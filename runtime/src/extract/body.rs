//! The raw body: `Bytes` and `String`, read with the app's size limit.

use bytes::{Bytes, BytesMut};
use http::{header, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt;

use super::rejection::rejection;
use super::{FromRequest, OptionalFromRequest};
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::Body;

/// Why the request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyRejection {
    /// The body is larger than the limit (declared or as it arrived): 413.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while the body was arriving: 400.
    Read(String),
}

impl BodyRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            BodyRejection::TooLarge { limit } => Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                .with_detail(format!(
                    "request body is larger than the limit of {limit} bytes"
                ))
                .with_extension("limit", *limit),
            BodyRejection::Read(reason) => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail(format!("failed to read the request body: {reason}")),
        }
    }
}

rejection!(BodyRejection, StringRejection);

/// Reads the whole body, refusing more than the app's body limit whether or
/// not the client declared a `Content-Length`.
pub(crate) async fn read_body(limit: usize, mut body: Body) -> Result<Bytes, BodyRejection> {
    // hyper reports a declared `Content-Length` as the body's size hint:
    // a body declared too large is refused before a byte of it is read.
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyRejection::TooLarge { limit });
    }
    let mut collected = Collected::Empty;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| BodyRejection::Read(error.to_string()))?;
        // Trailers carry no body bytes.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > limit {
            return Err(BodyRejection::TooLarge { limit });
        }
        collected = collected.push(data);
    }
    Ok(collected.into_bytes())
}

/// The bytes of a body so far. A body that arrives in one frame (most do)
/// is kept as that frame, without a copy.
enum Collected {
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl Collected {
    fn push(self, data: Bytes) -> Collected {
        match self {
            Collected::Empty => Collected::One(data),
            Collected::One(first) => {
                let mut buffer = BytesMut::with_capacity(first.len() + data.len());
                buffer.extend_from_slice(&first);
                buffer.extend_from_slice(&data);
                Collected::Many(buffer)
            }
            Collected::Many(mut buffer) => {
                buffer.extend_from_slice(&data);
                Collected::Many(buffer)
            }
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Collected::Empty => Bytes::new(),
            Collected::One(bytes) => bytes,
            Collected::Many(buffer) => buffer.freeze(),
        }
    }
}

impl FromRequest for Bytes {
    type Rejection = BodyRejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, BodyRejection> {
        read_body(parts.body_limit(), body).await
    }
}

/// `None` when there is no body, or an empty one. What `Json`, `Form` and
/// `String` call absent too.
impl OptionalFromRequest for Bytes {
    async fn from_request_optional(
        parts: &mut RequestParts,
        body: Body,
    ) -> Result<Option<Self>, BodyRejection> {
        if super::has_no_body(&body) {
            return Ok(None);
        }
        let bytes = read_body(parts.body_limit(), body).await?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }
}

/// Why the body could not be taken as a `String`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StringRejection {
    /// The body could not be read.
    Body(BodyRejection),
    /// The body is not UTF-8: 400.
    NotUtf8 {
        /// Bytes from the start that are valid UTF-8.
        valid_up_to: usize,
    },
}

impl StringRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            StringRejection::Body(rejection) => rejection.to_problem(),
            StringRejection::NotUtf8 { valid_up_to } => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail(format!(
                    "request body is not valid UTF-8 (invalid byte at offset {valid_up_to})"
                ))
                .with_extension("offset", *valid_up_to),
        }
    }
}

impl FromRequest for String {
    type Rejection = StringRejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, StringRejection> {
        let bytes = read_body(parts.body_limit(), body)
            .await
            .map_err(StringRejection::Body)?;
        String::from_utf8(bytes.into()).map_err(|e| StringRejection::NotUtf8 {
            valid_up_to: e.utf8_error().valid_up_to(),
        })
    }
}

/// `None` when the body is empty; a body that is there must be UTF-8.
impl OptionalFromRequest for String {
    async fn from_request_optional(
        parts: &mut RequestParts,
        body: Body,
    ) -> Result<Option<Self>, StringRejection> {
        let text = Self::from_request(parts, body).await?;
        Ok((!text.is_empty()).then_some(text))
    }
}

/// Whether the request's `Content-Type` essence (before any `;`) is
/// `expected`, or ends with `suffix` (`+json`), ignoring ASCII case.
pub(crate) fn content_type_is(req: &RequestParts, expected: &str, suffix: Option<&str>) -> bool {
    let Some(value) = req.head().headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let value = value.as_bytes();
    // What clients send nearly always: the essence alone, in lowercase.
    if value == expected.as_bytes() {
        return true;
    }
    let essence = match value.iter().position(|&byte| byte == b';') {
        Some(end) => &value[..end],
        None => value,
    }
    .trim_ascii();
    essence.eq_ignore_ascii_case(expected.as_bytes())
        || suffix.is_some_and(|suffix| {
            essence.len() > suffix.len()
                && essence[essence.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
        })
}

/// The request's `Content-Type` as sent, for error messages.
pub(crate) fn content_type_of(req: &RequestParts) -> Option<String> {
    req.head()
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

pub(crate) fn unsupported_media_type(expected: &str, found: Option<&str>) -> Problem {
    let detail = match found {
        Some(found) => format!("expected a `{expected}` body, got content type `{found}`"),
        None => format!("expected a `{expected}` body, but the request has no content type"),
    };
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        .with_detail(detail)
        .with_extension("expected", expected)
}
