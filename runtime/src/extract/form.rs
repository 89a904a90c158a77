//! URL-encoded form bodies.

use bytes::Bytes;
use http::StatusCode;
use serde::de::DeserializeOwned;

use super::body::{content_type_is, content_type_of, read_body, unsupported_media_type};
use super::query::deserialize_urlencoded;
use super::rejection::rejection;
use super::{BodyRejection, FromRequest, OptionalFromRequest};
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::Body;

const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// An `application/x-www-form-urlencoded` request body deserialized into `T`.
///
/// A field name or value that is not UTF-8 once percent-decoded is refused
/// (422), even one `T` would ignore.
///
/// ```
/// use waypost::Form;
/// #[derive(serde::Deserialize)]
/// struct Login { user: String, password: String }
/// async fn login(Form(login): Form<Login>) -> String { login.user }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

/// Why a form body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormRejection {
    /// The body could not be read (413 if too large).
    Body(BodyRejection),
    /// The content type is missing or not a URL-encoded form: 415.
    UnsupportedMediaType {
        /// The content type the client sent.
        found: Option<String>,
    },
    /// The form's fields do not fit the expected type: 422, naming the field.
    Data {
        /// The offending field.
        field: String,
        /// What was wrong.
        message: String,
    },
}

impl FormRejection {
    /// The problem this rejection answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            FormRejection::Body(rejection) => rejection.to_problem(),
            FormRejection::UnsupportedMediaType { found } => {
                unsupported_media_type(FORM_URLENCODED, found.as_deref())
            }
            FormRejection::Data { field, message } => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY)
                    .with_detail(format!("invalid form body at `{field}`: {message}"))
                    .with_extension("field", field.as_str())
            }
        }
    }
}

rejection!(FormRejection);

impl<T: DeserializeOwned + Send> FromRequest for Form<T> {
    type Rejection = FormRejection;

    async fn from_request(parts: &mut RequestParts, body: Body) -> Result<Self, FormRejection> {
        check_form_type(parts)?;
        let bytes = read_body(parts.body_limit(), body)
            .await
            .map_err(FormRejection::Body)?;
        parse_form(&bytes)
    }
}

/// `None` when the request has no body (or an empty one); a body that is
/// there must be a form.
impl<T: DeserializeOwned + Send> OptionalFromRequest for Form<T> {
    async fn from_request_optional(
        parts: &mut RequestParts,
        body: Body,
    ) -> Result<Option<Self>, FormRejection> {
        let Some(bytes) = Bytes::from_request_optional(parts, body)
            .await
            .map_err(FormRejection::Body)?
        else {
            return Ok(None);
        };
        check_form_type(parts)?;
        parse_form(&bytes).map(Some)
    }
}

fn check_form_type(parts: &RequestParts) -> Result<(), FormRejection> {
    if content_type_is(parts, FORM_URLENCODED, None) {
        Ok(())
    } else {
        Err(FormRejection::UnsupportedMediaType {
            found: content_type_of(parts),
        })
    }
}

fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<Form<T>, FormRejection> {
    deserialize_urlencoded(bytes)
        .map(Form)
        .map_err(|(field, message)| FormRejection::Data { field, message })
}
