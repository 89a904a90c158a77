//! `multipart/form-data` uploads, streamed on `multer`: fields are read one at
//! a time and a file's bytes arrive as chunks, never buffered whole.
//!
//! Every size is bounded ([`MultipartLimits`]): a text field, a file, the
//! number of fields, a field's header section and the whole body (the
//! request's body limit). Going over one answers 413 problem+json naming the
//! field and the limit; a malformed body answers 400, a request that is not
//! `multipart/form-data` 415.
//!
//! ```
//! use waypost::multipart::{Multipart, MultipartError, MultipartLimits};
//! use waypost::{post, routes, App, TestClient};
//!
//! /// Saves each file under `uploads/`, whatever name the client gave it.
//! #[post("/upload", wrap = [MultipartLimits::new().file(50 * 1024 * 1024).body(60 * 1024 * 1024)])]
//! async fn upload(mut form: Multipart) -> Result<String, MultipartError> {
//!     let mut saved = Vec::new();
//!     while let Some(field) = form.next_field().await? {
//!         if field.file_name().is_some() {
//!             let file = field.save_in(std::env::temp_dir()).await?;
//!             saved.push(format!("{} ({} bytes)", file.file_name(), file.size()));
//!             # std::fs::remove_file(file.path()).unwrap();
//!         }
//!     }
//!     Ok(saved.join(", "))
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let body = "--XYZ\r\n\
//!     Content-Disposition: form-data; name=\"doc\"; filename=\"../../etc/report.txt\"\r\n\r\n\
//!     hello\r\n\
//!     --XYZ--\r\n";
//! let client = TestClient::new(App::new().mount("/", routes![upload]));
//! let response = client
//!     .post("/upload")
//!     .header("content-type", "multipart/form-data; boundary=XYZ")
//!     .body(body)
//!     .send()
//!     .await;
//! assert!(response.text().starts_with("report"), "{}", response.text());
//! # });
//! ```

mod error;
mod field;
mod limits;
mod meter;
mod names;

use std::sync::Arc;

use bytes::Bytes;
use http::header;
use http_body::Body as _;
use http_body_util::BodyExt;

use self::limits::{is_form_data, Limit};
use self::meter::{Meter, MeteredBody};
use crate::extract::FromRequest;
use crate::request::RequestParts;
use crate::Body;

pub use self::error::{MultipartError, MultipartRejection};
pub use self::field::{Field, SavedFile};
pub use self::limits::{
    MultipartLimits, DEFAULT_FIELD_COUNT, DEFAULT_FIELD_LIMIT, HEADER_SECTION_LIMIT,
};
pub use self::names::safe_file_name;

/// A `multipart/form-data` body, read one field at a time.
///
/// A handler takes it as its one body extractor. Fields come in the order
/// the client sent them; a field not read to its end is skipped (and still
/// counted against the limits) when the next is asked for.
pub struct Multipart {
    inner: multer::Multipart<'static>,
    current: Option<Current>,
    meter: Arc<Meter>,
    limits: MultipartLimits,
    body_limit: u64,
    fields_seen: usize,
}

/// The field being read, with what it has read so far.
struct Current {
    field: multer::Field<'static>,
    name: Option<String>,
    limit: Limit,
    read: u64,
}

impl Current {
    /// The next chunk, counted against the field's streamed limit.
    async fn next_chunk(&mut self, body_limit: u64) -> Result<Option<Bytes>, MultipartError> {
        let chunk = self
            .field
            .chunk()
            .await
            .map_err(|error| MultipartError::from_multer(error, body_limit))?;
        if let Some(chunk) = &chunk {
            self.read += chunk.len() as u64;
            if self.read > self.limit.streamed {
                return Err(self.too_large(self.limit.streamed));
            }
        }
        Ok(chunk)
    }

    fn too_large(&self, limit: u64) -> MultipartError {
        // A file read into memory keeps to the text-field limit: say so.
        let kind = if limit == self.limit.streamed {
            self.limit.kind
        } else {
            tracing::debug!(
                field = self.name.as_deref().unwrap_or(""),
                limit,
                "a file read whole into memory (`bytes()`, `text()`) keeps to the text-field limit: \
                 stream it with `chunk()` or `save_in()`, or give it a limit with `for_field`"
            );
            "in-memory"
        };
        MultipartError::FieldTooLarge {
            field: self.name.clone(),
            kind,
            limit,
        }
    }
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("fields_seen", &self.fields_seen)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl FromRequest for Multipart {
    type Rejection = MultipartRejection;

    async fn from_request(
        parts: &mut RequestParts,
        body: Body,
    ) -> Result<Self, MultipartRejection> {
        let content_type = parts
            .head()
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        if !is_form_data(&parts.head().headers) {
            let sent = parts.head().headers.get(header::CONTENT_TYPE);
            return Err(MultipartRejection::NotMultipart {
                content_type: sent
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
            });
        }
        let boundary = content_type
            .and_then(|value| multer::parse_boundary(value).ok())
            .filter(|boundary| !boundary.is_empty())
            .ok_or(MultipartRejection::NoBoundary)?;
        let body_limit = parts.body_limit();
        if body.size_hint().lower() > body_limit as u64 {
            return Err(MultipartRejection::TooLarge { limit: body_limit });
        }
        let limits = parts
            .head()
            .extensions
            .get::<MultipartLimits>()
            .cloned()
            .unwrap_or_default();
        let meter = Arc::new(Meter::default());
        let stream = MeteredBody {
            body: body.into_data_stream(),
            meter: meter.clone(),
            held: Bytes::new(),
            sliced: false,
        };
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().whole_stream(body_limit as u64));
        Ok(Multipart {
            inner: multer::Multipart::with_constraints(stream, boundary, constraints),
            current: None,
            meter,
            limits,
            body_limit: body_limit as u64,
            fields_seen: 0,
        })
    }
}

impl Multipart {
    /// The next field, or `None` after the last. The field borrows the
    /// form: read it (or drop it) before asking for the next.
    pub async fn next_field(&mut self) -> Result<Option<Field<'_>>, MultipartError> {
        // Skip what the last field left unread (within its limit), so that
        // what the stream delivers from here on is the next field's header
        // section. On an error the field stays current: a later call goes on
        // skipping it.
        while let Some(current) = self.current.as_mut() {
            if current.next_chunk(self.body_limit).await?.is_none() {
                self.current = None;
            }
        }
        let next = {
            let _headers = self.meter.headers_phase();
            self.inner.next_field().await
        };
        let Some(field) =
            next.map_err(|error| MultipartError::from_multer(error, self.body_limit))?
        else {
            return Ok(None);
        };
        self.fields_seen += 1;
        if self.fields_seen > self.limits.field_count() {
            return Err(MultipartError::TooManyFields {
                limit: self.limits.field_count(),
            });
        }
        let name = field.name().map(str::to_owned);
        let limit = self.limits.limit_of(
            name.as_deref(),
            field.file_name().is_some(),
            self.body_limit,
        );
        self.current = Some(Current {
            field,
            name,
            limit,
            read: 0,
        });
        Ok(Some(Field { multipart: self }))
    }
}
