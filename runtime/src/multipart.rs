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

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::{header, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt;

use crate::extract::rejection::rejection;
use crate::extract::FromRequest;
use crate::middleware::{Middleware, Next};
use crate::problem::Problem;
use crate::request::{Request, RequestParts};
use crate::route::HandlerFuture;
use crate::Body;

/// What an upload may hold, for the routes it wraps: `wrap` it on the app,
/// a group or a route. An inner one changes only what it sets (a route's
/// `.file(..)` keeps the app's `.field(..)` and `.fields(..)`).
///
/// Defaults: a text field (one without a file name) up to 64 KiB, a file up
/// to the body limit, 1,000 fields, and the whole body up to the request's
/// body limit ([`App::body_limit`](crate::App::body_limit), 2 MiB unless
/// set; [`body`](MultipartLimits::body) raises it for `multipart/form-data`
/// requests to these routes, and no others).
///
/// ```
/// use waypost::multipart::MultipartLimits;
/// use waypost::{App, Group};
///
/// const MIB: u64 = 1024 * 1024;
/// let limits = MultipartLimits::new()
///     .body(200 * MIB) // the whole request
///     .file(100 * MIB) // each file
///     .field(16 * 1024) // each text field
///     .for_field("avatar", MIB); // this field, file or not
/// let app = App::new().group(Group::new("/uploads").wrap(limits));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MultipartLimits {
    field: Option<u64>,
    file: Option<u64>,
    fields: Option<usize>,
    body: Option<u64>,
    named: Vec<(String, u64)>,
}

/// The largest text field unless [`MultipartLimits::field`] says otherwise.
pub const DEFAULT_FIELD_LIMIT: u64 = 64 * 1024;
/// The most fields unless [`MultipartLimits::fields`] says otherwise.
pub const DEFAULT_FIELD_COUNT: usize = 1000;
/// The largest header section of one field (its `Content-Disposition`,
/// `Content-Type`, …, with the preamble before the first field). A client
/// that sends more without ending it gets 400: multer keeps the section in
/// memory until it ends, and would otherwise keep up to the body limit.
pub const HEADER_SECTION_LIMIT: u64 = 64 * 1024;

impl MultipartLimits {
    /// The defaults above.
    pub fn new() -> Self {
        MultipartLimits::default()
    }

    /// The largest text field (a field without a file name), in bytes.
    pub fn field(mut self, bytes: u64) -> Self {
        self.field = Some(bytes);
        self
    }

    /// The largest file (a field with a file name), in bytes, read as
    /// chunks or saved with [`Field::save_in`]. Read whole into memory
    /// ([`Field::bytes`], [`Field::text`]) a file keeps to the text-field
    /// limit, unless [`for_field`](MultipartLimits::for_field) names it.
    pub fn file(mut self, bytes: u64) -> Self {
        self.file = Some(bytes);
        self
    }

    /// The most fields a body may have.
    pub fn fields(mut self, count: usize) -> Self {
        self.fields = Some(count);
        self
    }

    /// The largest body, in bytes: the request's body limit for
    /// `multipart/form-data` requests to these routes (other requests keep
    /// theirs, so that raising it for uploads does not raise it for JSON).
    pub fn body(mut self, bytes: u64) -> Self {
        self.body = Some(bytes);
        self
    }

    /// The largest value of the field called `name`, file or not, read in
    /// any way, in bytes (the last one set for a name counts).
    pub fn for_field(mut self, name: impl Into<String>, bytes: u64) -> Self {
        self.named.push((name.into(), bytes));
        self
    }

    /// These limits over `outer`: what these set wins, the rest is `outer`'s.
    fn over(&self, outer: &MultipartLimits) -> MultipartLimits {
        MultipartLimits {
            field: self.field.or(outer.field),
            file: self.file.or(outer.file),
            fields: self.fields.or(outer.fields),
            body: self.body.or(outer.body),
            named: outer.named.iter().chain(&self.named).cloned().collect(),
        }
    }

    fn field_limit(&self) -> u64 {
        self.field.unwrap_or(DEFAULT_FIELD_LIMIT)
    }

    fn field_count(&self) -> usize {
        self.fields.unwrap_or(DEFAULT_FIELD_COUNT)
    }

    /// The limit of one field, and which limit it is (for the 413's detail).
    fn limit_of(&self, name: Option<&str>, is_file: bool, body_limit: u64) -> Limit {
        if let Some((_, bytes)) = self
            .named
            .iter()
            .rev()
            .find(|(n, _)| Some(n.as_str()) == name)
        {
            return Limit {
                streamed: *bytes,
                in_memory: *bytes,
                kind: "field",
            };
        }
        let field = self.field_limit();
        if is_file {
            // `bytes()` and `text()` hold the value in memory: a file read
            // that way keeps to the text-field limit, so that a client
            // cannot lift a text field's limit by giving it a file name.
            let file = self.file.unwrap_or(body_limit);
            Limit {
                streamed: file,
                in_memory: field.min(file),
                kind: "file",
            }
        } else {
            Limit {
                streamed: field,
                in_memory: field,
                kind: "text field",
            }
        }
    }
}

/// A field's limits: read as chunks (`chunk`, `save_in`), and read whole into memory.
#[derive(Clone, Copy)]
struct Limit {
    streamed: u64,
    in_memory: u64,
    kind: &'static str,
}

impl Middleware for MultipartLimits {
    fn call(&self, mut req: Request, next: Next) -> HandlerFuture {
        let limits = match req.extensions().get::<MultipartLimits>() {
            Some(outer) => self.over(outer),
            None => self.clone(),
        };
        if let Some(bytes) = self.body {
            if is_form_data(req.headers()) {
                req.set_body_limit(usize::try_from(bytes).unwrap_or(usize::MAX));
            }
        }
        req.extensions_mut().insert(limits);
        next.run(req).into_boxed()
    }

    fn name(&self) -> &'static str {
        "MultipartLimits"
    }
}

/// Whether the request's `Content-Type` is `multipart/form-data`.
fn is_form_data(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            let essence = value.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("multipart/form-data")
        })
}

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

    fn from_multer(error: multer::Error, body_limit: u64) -> Self {
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

/// One field of a [`Multipart`] body: a text value, or a file with its name.
pub struct Field<'a> {
    multipart: &'a mut Multipart,
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name())
            .field("content_type", &self.content_type())
            .finish()
    }
}

impl Field<'_> {
    fn current(&self) -> &Current {
        self.multipart
            .current
            .as_ref()
            .expect("a Field exists only while its field is current")
    }

    /// The field's name (`name="…"` of its `Content-Disposition`).
    pub fn name(&self) -> Option<&str> {
        self.current().name.as_deref()
    }

    /// The file name as the client sent it (`filename="…"`): raw text that
    /// may hold `../`, an absolute path or control characters. Take
    /// [`safe_file_name`](Field::safe_file_name) to use it on disk.
    pub fn file_name(&self) -> Option<&str> {
        self.current().field.file_name()
    }

    /// The file name reduced to one safe path component (see [`safe_file_name`]).
    pub fn safe_file_name(&self) -> Option<String> {
        self.file_name().and_then(safe_file_name)
    }

    /// The field's `Content-Type`, as sent.
    pub fn content_type(&self) -> Option<&str> {
        self.current()
            .field
            .content_type()
            .map(|mime| mime.as_ref())
    }

    /// The field's headers.
    pub fn headers(&self) -> &http::HeaderMap {
        self.current().field.headers()
    }

    /// The next chunk of the field's value, or `None` at its end. Over the
    /// field's limit is [`MultipartError::FieldTooLarge`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        let body_limit = self.multipart.body_limit;
        self.multipart
            .current
            .as_mut()
            .expect("a Field exists only while its field is current")
            .next_chunk(body_limit)
            .await
    }

    /// The whole value, in memory: within the text-field limit (a file's
    /// too, unless [`MultipartLimits::for_field`] names it); stream a large
    /// file with [`chunk`](Field::chunk) or [`save_in`](Field::save_in).
    pub async fn bytes(mut self) -> Result<Bytes, MultipartError> {
        let mut buffer = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            buffer.extend_from_slice(&chunk);
            let current = self.current();
            if buffer.len() as u64 > current.limit.in_memory {
                return Err(current.too_large(current.limit.in_memory));
            }
        }
        Ok(buffer.freeze())
    }

    /// The whole value as UTF-8 text, in memory, within the limit of [`bytes`](Field::bytes).
    pub async fn text(self) -> Result<String, MultipartError> {
        let name = self.name().unwrap_or("").to_owned();
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| {
            MultipartError::Malformed(format!("field `{name}` is not valid UTF-8 text"))
        })
    }

    /// Streams the field into a new file in `dir`, never outside it, and
    /// never over an existing file.
    ///
    /// The file is named by [`safe_file_name`] (`upload` when the client
    /// sent none that is usable); when the name is taken, a number is added
    /// before the extension (`report-1.txt`). It is written under a hidden
    /// temporary name (`.….part`) and gets its name only once complete. A
    /// field that fails (over its limit, the body ends early, the request is
    /// dropped) leaves no file behind.
    pub async fn save_in(mut self, dir: impl AsRef<Path>) -> Result<SavedFile, MultipartError> {
        use tokio::io::AsyncWriteExt;

        let dir = dir.as_ref();
        let name = self.safe_file_name().unwrap_or_else(|| "upload".to_owned());
        // Written under a hidden temporary name (which `files` never
        // serves), and given its name only once complete, so that nobody
        // reads a half-written upload under the name it will have.
        let temporary = format!(".{:016x}.part", random_u64());
        let (temporary, mut file) = create_new_in(dir, &temporary).await?;
        // An incomplete upload is not kept: on an error, and when the
        // request is dropped mid-way (a timeout, a reset HTTP/2 stream, the
        // end of a shutdown's drain), the file is removed.
        let _partial = RemoveOnDrop(Some(temporary.clone()));
        let mut size = 0u64;
        while let Some(chunk) = self.chunk().await? {
            file.write_all(&chunk).await?;
            size += chunk.len() as u64;
        }
        file.flush().await?;
        drop(file);
        let path = publish(&temporary, dir, &name).await?;
        Ok(SavedFile { path, size })
    }
}

/// Gives the complete file at `temporary` the name `name` in `dir` (or a
/// numbered one), never over an existing file: a hard link fails if the
/// name is taken. The temporary name is removed by the caller's guard.
async fn publish(temporary: &Path, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    for candidate in candidate_names(name) {
        let path = dir.join(candidate);
        match tokio::fs::hard_link(temporary, &path).await {
            Ok(()) => return Ok(path),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links: renamed when the name is
            // free (a name taken between the look and the rename is the
            // one case that can replace a file there).
            Err(_) => {
                if tokio::fs::symlink_metadata(&path).await.is_ok() {
                    continue;
                }
                tokio::fs::rename(temporary, &path).await?;
                return Ok(path);
            }
        }
    }
    Err(no_free_name(name))
}

/// Removes the file at its path when dropped, unless the path was taken.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A file that [`Field::save_in`] wrote.
#[derive(Debug, Clone)]
pub struct SavedFile {
    path: PathBuf,
    size: u64,
}

impl SavedFile {
    /// Where it was written: inside the directory given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name it was written under.
    pub fn file_name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Opens a new file named `name` (or `stem-N.ext`) in `dir`, failing rather
/// than following a link or replacing a file.
async fn create_new_in(dir: &Path, name: &str) -> std::io::Result<(PathBuf, tokio::fs::File)> {
    for candidate in candidate_names(name) {
        let path = dir.join(candidate);
        // `create_new` is O_CREAT | O_EXCL: it refuses an existing name,
        // a symbolic link (even a dangling one) included.
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(no_free_name(name))
}

/// `name`, then `stem-1.ext` … `stem-16.ext`, then random suffixes, so that
/// a client who made `report-1` … `report-16` cannot make each upload walk them.
fn candidate_names(name: &str) -> impl Iterator<Item = String> + '_ {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    (0..32u32).map(move |attempt| match attempt {
        0 => name.to_owned(),
        1..=16 => format!("{stem}-{attempt}{extension}"),
        _ => format!("{stem}-{:016x}{extension}", random_u64()),
    })
}

fn no_free_name(name: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("no free name like `{name}` was found"),
    )
}

fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}

/// The longest name [`safe_file_name`] returns, in bytes: under the 255
/// common file systems allow, with room for the suffix `save_in` adds when
/// the name is taken.
const MAX_FILE_NAME: usize = 200;

/// A client's file name reduced to one path component that is safe to join
/// under a directory, or `None` when nothing usable is left.
///
/// Only the last component is kept (after any `/` or `\`, which removes
/// absolute paths, `..` and drive prefixes like `C:\`); a drive prefix
/// without a separator (`C:name`), NUL, control characters, the characters
/// Windows refuses (`< > : " | ? *`), invisible and direction-changing
/// characters (which make a name display as another), leading dots (hidden
/// files, `..`) and leading or trailing spaces and dots are removed; a name
/// Windows reserves for a device (`CON`, `NUL`, `COM1`, …) is refused; the
/// rest is cut to 200 bytes, keeping the extension.
///
/// ```
/// use waypost::multipart::safe_file_name;
///
/// assert_eq!(safe_file_name("report.pdf").as_deref(), Some("report.pdf"));
/// assert_eq!(safe_file_name("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(safe_file_name("C:\\Users\\ada\\notes.txt").as_deref(), Some("notes.txt"));
/// assert_eq!(safe_file_name(".bashrc").as_deref(), Some("bashrc"));
/// assert_eq!(safe_file_name("a\u{0}b\nc.txt").as_deref(), Some("abc.txt"));
/// assert_eq!(safe_file_name(".."), None);
/// assert_eq!(safe_file_name("/"), None);
/// assert_eq!(safe_file_name("nul.txt"), None);
/// ```
pub fn safe_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let last = match last.as_bytes() {
        [drive, b':', ..] if drive.is_ascii_alphabetic() => &last[2..],
        _ => last,
    };
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !"<>:\"|?*".contains(c) && !is_invisible(c))
        .collect();
    let name = truncate_keeping_extension(trim_name(&cleaned), MAX_FILE_NAME);
    // Cutting may leave a trailing dot or space, which Windows drops.
    let name = trim_name(&name);
    if name.is_empty() || crate::extract::is_reserved_on_windows(name) {
        return None;
    }
    Some(name.to_owned())
}

fn trim_name(name: &str) -> &str {
    name.trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
}

/// Zero-width and direction-formatting characters (Unicode `Cf` ones that
/// change how a name displays: `evil\u{202E}gpj.exe` shows as `evilexe.jpg`).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let extension = match name.rfind('.') {
        Some(dot) if name.len() - dot <= 16 => &name[dot..],
        _ => "",
    };
    let mut end = max - extension.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{extension}", &name[..end])
}

/// What the body stream has delivered, shared with the stream that multer
/// reads: while a field's header section is being looked for, more than
/// [`HEADER_SECTION_LIMIT`] bytes is an error (multer would buffer them).
#[derive(Default)]
struct Meter {
    delivered: AtomicU64,
    headers_from: AtomicU64,
    in_headers: AtomicBool,
}

impl Meter {
    /// Marks the header phase until the guard drops (also when the
    /// `next_field` future is dropped half-way).
    fn headers_phase(&self) -> HeadersPhase<'_> {
        self.headers_from
            .store(self.delivered.load(Ordering::Relaxed), Ordering::Relaxed);
        self.in_headers.store(true, Ordering::Relaxed);
        HeadersPhase(self)
    }
}

struct HeadersPhase<'a>(&'a Meter);

impl Drop for HeadersPhase<'_> {
    fn drop(&mut self) {
        self.0.in_headers.store(false, Ordering::Relaxed);
    }
}

/// The marker error the metered stream fails with.
#[derive(Debug)]
struct HeadersTooLarge;

impl std::fmt::Display for HeadersTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field's header section is too large")
    }
}

impl std::error::Error for HeadersTooLarge {}

/// How much of the body multer is given at a time while it looks for a
/// header section: it reads everything the stream has ready before it
/// parses, so chunks are cut to this size and a `Pending` put between them.
/// The header section is then measured to within one slice, however the
/// transport happened to chunk the body.
const HEADER_SLICE: usize = 8 * 1024;

/// The request body as a stream of bytes, metered.
struct MeteredBody {
    body: http_body_util::BodyDataStream<Body>,
    meter: Arc<Meter>,
    /// The rest of a chunk cut into slices.
    held: Bytes,
    /// Whether a slice was just given in the header phase (a `Pending` comes next).
    sliced: bool,
}

impl Stream for MeteredBody {
    type Item = Result<Bytes, crate::BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let in_headers = self.meter.in_headers.load(Ordering::Relaxed);
        if in_headers && std::mem::take(&mut self.sliced) {
            // Let multer parse what it has before it takes more.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut data = if self.held.is_empty() {
            match Pin::new(&mut self.body).poll_next(cx) {
                Poll::Ready(Some(Ok(data))) => data,
                other => return other,
            }
        } else {
            std::mem::take(&mut self.held)
        };
        if in_headers && data.len() > HEADER_SLICE {
            self.held = data.split_off(HEADER_SLICE);
        }
        let meter = &self.meter;
        let delivered = meter.delivered.load(Ordering::Relaxed) + data.len() as u64;
        meter.delivered.store(delivered, Ordering::Relaxed);
        if in_headers {
            if delivered - meter.headers_from.load(Ordering::Relaxed)
                > HEADER_SECTION_LIMIT + HEADER_SLICE as u64
            {
                return Poll::Ready(Some(Err(Box::new(HeadersTooLarge))));
            }
            self.sliced = true;
        }
        Poll::Ready(Some(Ok(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_file_names() {
        for (raw, safe) in [
            ("report.pdf", Some("report.pdf")),
            ("../../etc/passwd", Some("passwd")),
            ("..\\..\\boot.ini", Some("boot.ini")),
            ("/etc/shadow", Some("shadow")),
            ("C:\\x\\y.txt", Some("y.txt")),
            ("C:y.txt", Some("y.txt")),
            ("a:b.txt", Some("b.txt")),
            ("...", None),
            ("..", None),
            (".", None),
            ("", None),
            ("dir/", None),
            ("  spaced  ", Some("spaced")),
            ("trailing.", Some("trailing")),
            ("\u{0}\u{1}\u{7f}", None),
            ("evil\u{202E}gpj.exe", Some("evilgpj.exe")),
            ("a<b>c:d\"e|f?g*h.txt", Some("abcdefgh.txt")),
            ("COM0.txt", None),
            ("lpt\u{b9}", None),
            ("CONIN$", None),
            ("com10", Some("com10")),
            ("ok\u{0}.txt", Some("ok.txt")),
            ("CON", None),
            ("com1.log", None),
            ("console.log", Some("console.log")),
            ("café.png", Some("café.png")),
        ] {
            assert_eq!(safe_file_name(raw).as_deref(), safe, "{raw:?}");
        }
        let long = format!("{}.tar.gz", "é".repeat(300));
        let safe = safe_file_name(&long).unwrap();
        assert!(safe.len() <= MAX_FILE_NAME, "{}", safe.len());
        assert!(safe.ends_with(".gz"), "{safe}");
    }
}
