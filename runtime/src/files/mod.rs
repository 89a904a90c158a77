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
/// Return it from the handler as it is, or inside a `Result`, an `Option` or
/// a tuple with a status or headers: then it answers the request's
/// conditional and range headers. Turned into a `Response` first (or
/// wrapped in a type of your own), or returned by a middleware, it is sent
/// whole.
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
        use std::io::ErrorKind;
        match error.kind() {
            // A name no file can have (too long, a character the file
            // system refuses, a loop of links) is a file that is not there.
            ErrorKind::NotFound
            | ErrorKind::NotADirectory
            | ErrorKind::IsADirectory
            | ErrorKind::InvalidInput => FileError::NotFound,
            ErrorKind::PermissionDenied => FileError::Forbidden,
            _ if is_bad_name(&error) => FileError::NotFound,
            _ => FileError::Io(error),
        }
    }
}

#[cfg(unix)]
fn is_bad_name(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::ENAMETOOLONG | libc::ELOOP))
}

#[cfg(not(unix))]
fn is_bad_name(error: &std::io::Error) -> bool {
    // ERROR_INVALID_NAME, ERROR_FILENAME_EXCED_RANGE, ERROR_CANT_RESOLVE_FILENAME.
    matches!(error.raw_os_error(), Some(123 | 206 | 1921))
}

impl NamedFile {
    /// Opens the file at `path`, with its content type guessed from the
    /// extension (`application/octet-stream` when unknown). A directory is
    /// [`FileError::NotFound`].
    pub async fn open(path: impl AsRef<Path>) -> Result<NamedFile, FileError> {
        let path = path.as_ref().to_owned();
        let content_type = content_type_for(&path);
        let (file, metadata) = tokio::task::spawn_blocking(move || {
            // Checked before opening: a directory cannot be opened
            // everywhere, and opening a FIFO would block.
            if !std::fs::metadata(&path)?.is_file() {
                return Err(std::io::ErrorKind::NotFound.into());
            }
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
        let modified = metadata.modified().ok().and_then(http_date_of);
        let stamp = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        // The inode tells apart two versions of a file written with the
        // same size and time (reproducible builds set every time alike).
        let inode = inode_of(metadata);
        let etag = match encoding {
            Some(encoding) => format!("\"{len:x}-{stamp:x}-{inode:x}-{encoding}\""),
            None => format!("\"{len:x}-{stamp:x}-{inode:x}\""),
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
/// request's conditional and range headers (see `finish`).
impl IntoResponse for NamedFile {
    const USES_REQUEST: bool = true;

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
    let single_range = answer.status() == StatusCode::PARTIAL_CONTENT
        && answer.headers().contains_key(header::CONTENT_RANGE);
    match answer.status() {
        StatusCode::OK => return response,
        // Part of the same body: the handler's headers hold, its content
        // type too for one range (several are `multipart/byteranges`).
        StatusCode::PARTIAL_CONTENT => {
            for (name, value) in response.headers() {
                let keep = match *name {
                    header::CONTENT_LENGTH | header::CONTENT_RANGE | header::TRANSFER_ENCODING => {
                        false
                    }
                    header::CONTENT_TYPE => single_range,
                    _ => true,
                };
                if keep {
                    answer.headers_mut().insert(name, value.clone());
                }
            }
        }
        // No body: the caching headers a 200 would have had.
        StatusCode::NOT_MODIFIED => {
            for name in [
                header::CACHE_CONTROL,
                header::EXPIRES,
                header::VARY,
                header::CONTENT_LOCATION,
            ] {
                if let Some(value) = response.headers().get(&name) {
                    answer.headers_mut().insert(name, value.clone());
                }
            }
        }
        // A problem, not the file: none of the file's headers.
        _ => {}
    }
    answer
}

/// For a `NamedFile` response that reached the end of the app without being
/// answered against its request (turned into a `Response` first, or made by
/// a middleware): sent whole, it must not claim to serve ranges.
pub(crate) fn sent_whole(response: &mut Response) {
    if response.extensions_mut().remove::<Served>().is_some() {
        response.headers_mut().remove(header::ACCEPT_RANGES);
    }
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

/// The modification time as an HTTP date can say it: in whole seconds
/// (comparisons are made at that precision), not after now (RFC 9110
/// §8.8.2.1), and `None` for a time an HTTP date cannot hold (before 1970,
/// after 9999).
fn http_date_of(time: SystemTime) -> Option<SystemTime> {
    const YEAR_10000: u64 = 253_402_300_800;
    let since = time.duration_since(UNIX_EPOCH).ok()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |now| now.as_secs());
    let seconds = since.as_secs().min(now);
    (seconds < YEAR_10000).then(|| UNIX_EPOCH + Duration::from_secs(seconds))
}

#[cfg(unix)]
fn inode_of(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode_of(_metadata: &std::fs::Metadata) -> u64 {
    0
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
