//! Files as responses: [`NamedFile`] for one file a handler chooses, and
//! [`App::files`](crate::App::files) / [`Group::files`](crate::Group::files)
//! for a directory under a prefix ([`StaticFiles`]).
//!
//! Both answer as a file server should: the content type from the
//! extension, `ETag` and `Last-Modified`, conditional requests (`304 Not
//! Modified`, `412` for a failed `If-Match`), byte ranges (`206` with one
//! range or `multipart/byteranges` for several, `If-Range`, `416` for
//! ranges outside the file) and HEAD. The file is read 64 KiB at a time as
//! the connection takes it: a 1 GiB file costs no more memory than a small one.
//!
//! Conditional and range requests are answered where the request is at
//! hand: for a `NamedFile` returned by a handler (or inside the `Ok` of its
//! `Result`), and for every file of a `files` directory. A `NamedFile`
//! returned by a middleware is sent whole.

mod body;
mod conditional;
mod dir;

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use self::body::{FileBody, Piece};
use self::conditional::{Answer, Validators};
use crate::extract::rejection::rejection;
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response};
use crate::Body;

pub(crate) use dir::serve_files_routes;
pub use dir::StaticFiles;

/// One file as a response.
///
/// ```
/// use std::path::PathBuf;
/// use waypost::files::{FileError, NamedFile};
/// use waypost::{get, routes, App, TestClient};
///
/// /// Each user's report, as a download; ranges let a client resume it.
/// #[get("/reports/<name>")]
/// async fn report(name: String) -> Result<NamedFile, FileError> {
///     let path = std::env::temp_dir().join(format!("waypost-doc-report-{name}.csv"));
///     Ok(NamedFile::open(path).await?.attachment("report.csv"))
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// # std::fs::write(std::env::temp_dir().join("waypost-doc-report-q3.csv"), "a,b\n1,2\n").unwrap();
/// let client = TestClient::new(App::new().mount("/", routes![report]));
/// let response = client.get("/reports/q3").header("range", "bytes=0-2").send().await;
/// assert_eq!(response.status(), 206);
/// assert_eq!(response.text(), "a,b");
/// assert_eq!(response.header("content-range"), Some("bytes 0-2/8"));
/// assert_eq!(client.get("/reports/q4").send().await.status(), 404);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct NamedFile {
    file: Arc<File>,
    len: u64,
    modified: Option<SystemTime>,
    etag: HeaderValue,
    content_type: HeaderValue,
    /// `Content-Encoding` of a precompressed file served in place of the original.
    encoding: Option<HeaderValue>,
    /// Whether the response depends on `Accept-Encoding` (`Vary`).
    varies_by_encoding: bool,
    disposition: Option<HeaderValue>,
}

/// Why a file could not be opened: 404, 403 or 500.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// No such file (or it is a directory): 404.
    NotFound,
    /// The server may not read it: 403.
    Forbidden,
    /// Anything else: 500 (the cause is logged, not sent).
    Io(std::io::Error),
}

impl FileError {
    /// The problem this error answers with.
    pub fn to_problem(&self) -> Problem {
        match self {
            FileError::NotFound => Problem::new(StatusCode::NOT_FOUND).with_detail("no such file"),
            FileError::Forbidden => {
                Problem::new(StatusCode::FORBIDDEN).with_detail("the file may not be read")
            }
            FileError::Io(_) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
                .with_detail("the file could not be read"),
        }
    }

    fn log(&self, _response: &mut Response) {
        if let FileError::Io(error) = self {
            tracing::error!(error = %error, "files: opening a file failed");
        }
    }
}

rejection!(FileError, finish = FileError::log);

impl From<std::io::Error> for FileError {
    fn from(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound
            | std::io::ErrorKind::NotADirectory
            | std::io::ErrorKind::IsADirectory => FileError::NotFound,
            std::io::ErrorKind::PermissionDenied => FileError::Forbidden,
            _ => FileError::Io(error),
        }
    }
}

impl NamedFile {
    /// Opens the file at `path`, with its content type guessed from the
    /// extension (`application/octet-stream` when unknown). A directory is
    /// [`FileError::NotFound`].
    pub async fn open(path: impl AsRef<Path>) -> Result<NamedFile, FileError> {
        let path = path.as_ref().to_owned();
        let content_type = content_type_for(&path);
        let (file, metadata) = tokio::task::spawn_blocking(move || {
            let file = File::open(&path)?;
            let metadata = file.metadata()?;
            Ok::<_, std::io::Error>((file, metadata))
        })
        .await
        .map_err(|error| FileError::Io(std::io::Error::other(error)))??;
        if !metadata.is_file() {
            return Err(FileError::NotFound);
        }
        Ok(NamedFile::from_parts(file, &metadata, content_type, None))
    }

    pub(crate) fn from_parts(
        file: File,
        metadata: &std::fs::Metadata,
        content_type: HeaderValue,
        encoding: Option<&'static str>,
    ) -> NamedFile {
        let len = metadata.len();
        // HTTP dates have whole seconds: comparisons are made at that precision.
        let modified = metadata.modified().ok().map(whole_seconds);
        let stamp = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        let etag = match encoding {
            Some(encoding) => format!("\"{len:x}-{stamp:x}-{encoding}\""),
            None => format!("\"{len:x}-{stamp:x}\""),
        };
        NamedFile {
            file: Arc::new(file),
            len,
            modified,
            etag: HeaderValue::from_str(&etag).expect("hex digits are a header value"),
            content_type,
            encoding: encoding.map(HeaderValue::from_static),
            varies_by_encoding: false,
            disposition: None,
        }
    }

    /// Sets the `Content-Type` instead of the one guessed from the extension.
    pub fn content_type(mut self, value: HeaderValue) -> Self {
        self.content_type = value;
        self
    }

    /// Sends the file as a download named `file_name` (`Content-Disposition:
    /// attachment`), with the name escaped for the header.
    pub fn attachment(mut self, file_name: &str) -> Self {
        self.disposition = Some(attachment_header(file_name));
        self
    }

    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn varying_by_encoding(mut self) -> Self {
        self.varies_by_encoding = true;
        self
    }

    /// The headers every answer about this file carries (200, 206, 304).
    fn validator_headers(&self, headers: &mut HeaderMap) {
        headers.insert(header::ETAG, self.etag.clone());
        if let Some(modified) = self.modified {
            if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
                headers.insert(header::LAST_MODIFIED, value);
            }
        }
        if self.varies_by_encoding {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }

    /// The answer to `method` with `headers`, where the request is at hand.
    pub(crate) fn respond_to(self, method: &Method, headers: &HeaderMap) -> Response {
        let answer = conditional::decide(
            method,
            headers,
            &Validators {
                etag: self.etag.to_str().unwrap_or_default(),
                modified: self.modified,
                len: self.len,
            },
        );
        match answer {
            Answer::Whole => self.whole(),
            Answer::NotModified => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::NOT_MODIFIED;
                self.validator_headers(response.headers_mut());
                response
            }
            Answer::PreconditionFailed => Problem::new(StatusCode::PRECONDITION_FAILED)
                .with_detail("the file does not match the request's precondition (`If-Match` or `If-Unmodified-Since`)")
                .into_response(),
            Answer::Unsatisfiable => {
                let mut response = Problem::new(StatusCode::RANGE_NOT_SATISFIABLE)
                    .with_detail(format!(
                        "no range asked for is within the file's {} bytes",
                        self.len
                    ))
                    .with_extension("length", self.len)
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_RANGE, conditional::unsatisfied_range(self.len));
                response
            }
            Answer::Partial(ranges) => self.partial(ranges),
        }
    }

    fn whole(self) -> Response {
        let pieces = vec![Piece::File(0..self.len)];
        let mut response = self.response_with(pieces);
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        response
    }

    fn partial(self, ranges: Vec<std::ops::Range<u64>>) -> Response {
        if let [range] = ranges.as_slice() {
            let content_range = conditional::content_range(range, self.len);
            let mut response = self.response_with(vec![Piece::File(range.clone())]);
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, self.content_type.clone());
            headers.insert(header::CONTENT_RANGE, content_range);
            return response;
        }
        // Several ranges: a `multipart/byteranges` body, each part with its
        // own `Content-Type` and `Content-Range`.
        let boundary = byteranges_boundary();
        let content_type = self
            .content_type
            .to_str()
            .unwrap_or("application/octet-stream");
        let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
        for (index, range) in ranges.iter().enumerate() {
            let head = format!(
                "{}--{boundary}\r\ncontent-type: {content_type}\r\ncontent-range: bytes {}-{}/{}\r\n\r\n",
                if index == 0 { "" } else { "\r\n" },
                range.start,
                range.end - 1,
                self.len
            );
            pieces.push(Piece::Text(Bytes::from(head)));
            pieces.push(Piece::File(range.clone()));
        }
        pieces.push(Piece::Text(Bytes::from(format!("\r\n--{boundary}--\r\n"))));
        let mut response = self.response_with(pieces);
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&format!("multipart/byteranges; boundary={boundary}"))
                .expect("the boundary is hex digits"),
        );
        response
    }

    /// A 200 with these pieces and the headers common to 200 and 206.
    fn response_with(&self, pieces: Vec<Piece>) -> Response {
        let mut response =
            Response::new(Body::from_stream(FileBody::new(self.file.clone(), pieces)));
        let headers = response.headers_mut();
        self.validator_headers(headers);
        headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(encoding) = &self.encoding {
            headers.insert(header::CONTENT_ENCODING, encoding.clone());
        }
        if let Some(disposition) = &self.disposition {
            headers.insert(header::CONTENT_DISPOSITION, disposition.clone());
        }
        response
    }
}

/// The whole file, and a marker that lets the handler's shim answer the
/// request's conditional and range headers (see [`finish`]).
impl IntoResponse for NamedFile {
    fn into_response(self) -> Response {
        let served = Served(self.clone());
        let mut response = self.whole();
        response.extensions_mut().insert(served);
        response
    }
}

/// On a response made from a [`NamedFile`]: the file, for [`finish`].
#[derive(Clone)]
struct Served(NamedFile);

/// Answers a request's conditional and range headers for a handler's
/// `NamedFile` response; any other response is left as it is (one check of
/// an empty extension map).
pub(crate) fn finish(response: Response, parts: &RequestParts) -> Response {
    if response.extensions().is_empty() {
        return response;
    }
    let mut response = response;
    let Some(Served(file)) = response.extensions_mut().remove::<Served>() else {
        return response;
    };
    let head = parts.head();
    let asks = [
        header::RANGE,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_MATCH,
        header::IF_UNMODIFIED_SINCE,
    ]
    .iter()
    .any(|name| head.headers.contains_key(name));
    // A status or headers the handler set around the file are kept unless
    // the request asks for something else than the whole file.
    if !asks || response.status() != StatusCode::OK {
        return response;
    }
    let mut answer = file.respond_to(&head.method, &head.headers);
    if answer.status() != StatusCode::OK {
        for (name, value) in response.headers() {
            if !answer.headers().contains_key(name) && is_kept_header(name) {
                answer.headers_mut().insert(name, value.clone());
            }
        }
        return answer;
    }
    response
}

/// Headers of the handler's response that an answer for a range or a 304
/// keeps (caching headers and the like), not those of the whole body.
fn is_kept_header(name: &header::HeaderName) -> bool {
    !matches!(
        *name,
        header::CONTENT_LENGTH
            | header::CONTENT_TYPE
            | header::CONTENT_RANGE
            | header::TRANSFER_ENCODING
    )
}

/// The content type for a path's extension; text gets `charset=utf-8`.
pub(crate) fn content_type_for(path: &Path) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || mime.essence_str() == "application/javascript"
        || mime.essence_str() == "image/svg+xml";
    let value = if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.to_string()
    };
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

/// `attachment; filename="…"; filename*=UTF-8''…`: the quoted name for old
/// clients (ASCII, quotes and controls replaced), the encoded one for all.
fn attachment_header(file_name: &str) -> HeaderValue {
    let plain: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(file_name, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn whole_seconds(time: SystemTime) -> SystemTime {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => UNIX_EPOCH + Duration::from_secs(since.as_secs()),
        Err(_) => time,
    }
}

/// A boundary no file's bytes are likely to hold: random per process, counted per response.
fn byteranges_boundary() -> String {
    use std::hash::BuildHasher;
    static SEED: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let seed = SEED.get_or_init(Default::default);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}{:016x}", seed.hash_one(n), seed.hash_one(!n))
}
