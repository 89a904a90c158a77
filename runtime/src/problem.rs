//! RFC 9457 problem details: the body of every error response waypost writes.

use std::borrow::Cow;

use http::StatusCode;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::response::{with_content_type, IntoResponse, Response, APPLICATION_PROBLEM_JSON};
use crate::Body;

/// The media type of a problem details body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem: what went wrong, in a shape clients can read.
///
/// ```
/// use waypost::{Problem, StatusCode};
/// let problem = Problem::new(StatusCode::CONFLICT)
///     .with_detail("user 7 already exists")
///     .with_extension("user_id", 7);
/// assert_eq!(problem.status(), StatusCode::CONFLICT);
/// assert_eq!(problem.title(), "Conflict");
/// ```
///
/// A handler's own error type becomes a problem in one of two ways. Convert
/// it (`impl From<MyError> for Problem`) and return `Result<T, Problem>`:
/// `?` does the conversion.
///
/// ```
/// use waypost::{get, Problem, StatusCode};
///
/// enum StoreError { Missing(u64) }
///
/// impl From<StoreError> for Problem {
///     fn from(error: StoreError) -> Problem {
///         match error {
///             StoreError::Missing(id) => Problem::new(StatusCode::NOT_FOUND)
///                 .with_detail(format!("there is no item {id}")),
///         }
///     }
/// }
///
/// fn find(id: u64) -> Result<String, StoreError> { Err(StoreError::Missing(id)) }
///
/// #[get("/items/<id>")]
/// async fn item(id: u64) -> Result<String, Problem> {
///     Ok(find(id)?)
/// }
/// ```
///
/// Or make the error type a response itself, and return `Result<T, MyError>`:
///
/// ```
/// use waypost::{get, IntoResponse, Problem, Response, StatusCode};
///
/// enum StoreError { Missing(u64) }
///
/// impl IntoResponse for StoreError {
///     fn into_response(self) -> Response {
///         match self {
///             StoreError::Missing(id) => Problem::new(StatusCode::NOT_FOUND)
///                 .with_detail(format!("there is no item {id}"))
///                 .into_response(),
///         }
///     }
/// }
///
/// #[get("/items/<id>")]
/// async fn item(id: u64) -> Result<String, StoreError> {
///     Err(StoreError::Missing(id))
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    status: StatusCode,
    type_uri: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Option<String>,
    instance: Option<String>,
    extensions: Map<String, Value>,
}

impl Problem {
    /// A problem with the given status, titled by its canonical reason phrase,
    /// of type `about:blank` (RFC 9457 §4.2.1).
    pub fn new(status: StatusCode) -> Self {
        Problem {
            status,
            type_uri: Cow::Borrowed("about:blank"),
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
            detail: None,
            instance: None,
            extensions: Map::new(),
        }
    }

    /// Sets the status; a title that was the old status's reason phrase becomes the new one's.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        if self.title == self.status.canonical_reason().unwrap_or("Error") {
            self.title = Cow::Borrowed(status.canonical_reason().unwrap_or("Error"));
        }
        self.status = status;
        self
    }

    /// Sets the `type` member: a URI that identifies the kind of problem.
    pub fn with_type(mut self, type_uri: impl Into<Cow<'static, str>>) -> Self {
        self.type_uri = type_uri.into();
        self
    }

    /// Sets the `title` member: a short summary, the same for every occurrence.
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the `detail` member: what went wrong in this occurrence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the `instance` member: a URI for this occurrence.
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Adds an extension member. The standard member names are reserved and ignored here.
    pub fn with_extension(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        if !matches!(
            name.as_str(),
            "type" | "title" | "status" | "detail" | "instance"
        ) {
            self.extensions.insert(name, value.into());
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `type` member.
    pub fn type_uri(&self) -> &str {
        &self.type_uri
    }

    /// The `title` member.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The `detail` member.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The `instance` member.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// An extension member by name.
    pub fn extension(&self, name: &str) -> Option<&Value> {
        self.extensions.get(name)
    }

    /// The problem as a JSON object.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Members in the RFC's order, then extension members.
impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let optional = usize::from(self.detail.is_some()) + usize::from(self.instance.is_some());
        let mut map = serializer.serialize_map(Some(3 + optional + self.extensions.len()))?;
        map.serialize_entry("type", &self.type_uri)?;
        map.serialize_entry("title", &self.title)?;
        map.serialize_entry("status", &self.status.as_u16())?;
        if let Some(detail) = &self.detail {
            map.serialize_entry("detail", detail)?;
        }
        if let Some(instance) = &self.instance {
            map.serialize_entry("instance", instance)?;
        }
        for (name, value) in &self.extensions {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl From<StatusCode> for Problem {
    fn from(status: StatusCode) -> Self {
        Problem::new(status)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = with_content_type(Body::from(body), APPLICATION_PROBLEM_JSON);
        *response.status_mut() = self.status;
        response
    }
}
