//! A directory served under a prefix: [`App::files`](crate::App::files) and
//! [`Group::files`](crate::Group::files).
//!
//! Mounted as built-in routes (`GET {prefix}/` for the index,
//! `GET {prefix}/<path..>` for the rest, and `{prefix}` redirecting to
//! `{prefix}/`) behind a middleware that hands the handler the directory;
//! so app and group middleware wrap files like any route, and `App::routes`
//! lists them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::{header, HeaderMap, HeaderValue, StatusCode};

use super::{content_type_for, FileError, NamedFile};
use crate::extract::FromParam;
use crate::handler_future::HandlerFuture;
use crate::middleware::{Middleware, Next};
use crate::problem::Problem;
use crate::request::Request;
use crate::response::{IntoResponse, Response};
use crate::route::{MethodSet, Route};

/// A directory to serve, and how.
///
/// ```
/// use waypost::files::StaticFiles;
/// use waypost::App;
///
/// # let assets = std::env::temp_dir();
/// let app = App::new()
///     // `GET /static/css/site.css` reads `assets/css/site.css`.
///     .files("/static", assets.clone())
///     // The same, with `.br`/`.gz` siblings sent to clients that accept them.
///     .files(
///         "/assets",
///         StaticFiles::new(assets)
///             .precompressed(true)
///             .cache_control("public, max-age=86400"),
///     );
/// # app.build().unwrap();
/// ```
///
/// What is refused: `..` segments, encoded separators (`%2F`, `\`) and NUL,
/// and hidden files (a segment starting with `.`): 400; a path that leads,
/// through a symbolic link, out of the directory: 404, unless
/// [`allow_symlinks_outside`](StaticFiles::allow_symlinks_outside). A
/// directory is served as its `index.html` when it has one (and redirected
/// to its path with a trailing `/` first); there are no listings.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    dir: PathBuf,
    index: Option<String>,
    precompressed: bool,
    symlinks_outside: bool,
    cache_control: Option<HeaderValue>,
}

impl StaticFiles {
    /// Serves `dir` (relative paths are from the working directory).
    /// [`App::build`](crate::App::build) fails if it is not a directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StaticFiles {
            dir: dir.into(),
            index: Some("index.html".to_owned()),
            precompressed: false,
            symlinks_outside: false,
            cache_control: None,
        }
    }

    /// The file a directory is served as (`index.html` unless set; `None`: 404 for directories).
    pub fn index<'a>(mut self, file_name: impl Into<Option<&'a str>>) -> Self {
        self.index = file_name.into().map(str::to_owned);
        self
    }

    /// Sends `name.br` or `name.gz` in place of `name`, when the client
    /// accepts that encoding and the sibling exists (made at build time, by
    /// `brotli` or `gzip -k`), with `Content-Encoding` and
    /// `Vary: Accept-Encoding`. Off by default: it costs a lookup per request.
    pub fn precompressed(mut self, enabled: bool) -> Self {
        self.precompressed = enabled;
        self
    }

    /// Follows symbolic links that lead out of the directory (refused by default).
    pub fn allow_symlinks_outside(mut self, allowed: bool) -> Self {
        self.symlinks_outside = allowed;
        self
    }

    /// A `Cache-Control` header for every file served.
    ///
    /// # Panics
    /// If `value` is not a valid header value.
    pub fn cache_control(mut self, value: &str) -> Self {
        self.cache_control =
            Some(HeaderValue::from_str(value).expect("a Cache-Control value is printable ASCII"));
        self
    }

    /// The directory made absolute and free of links, checked to be a directory.
    pub(crate) fn resolve(&self) -> Result<FilesConfig, String> {
        if let Some(index) = &self.index {
            let mut components = Path::new(index).components();
            let one_name = matches!(components.next(), Some(std::path::Component::Normal(_)))
                && components.next().is_none();
            if !one_name {
                return Err(format!(
                    "the index `{index}` must be a file name, not a path"
                ));
            }
        }
        let root = std::fs::canonicalize(&self.dir).map_err(|error| {
            let relative_to = match std::env::current_dir() {
                Ok(cwd) if self.dir.is_relative() => {
                    format!(" (relative to the working directory `{}`)", cwd.display())
                }
                _ => String::new(),
            };
            format!("`{}`{relative_to}: {error}", self.dir.display())
        })?;
        if !root.is_dir() {
            return Err(format!("`{}` is not a directory", self.dir.display()));
        }
        Ok(FilesConfig(Arc::new(Resolved {
            root,
            options: self.clone(),
        })))
    }
}

impl<P: Into<PathBuf>> From<P> for StaticFiles {
    fn from(dir: P) -> Self {
        StaticFiles::new(dir)
    }
}

struct Resolved {
    /// `options.dir`, canonical.
    root: PathBuf,
    options: StaticFiles,
}

/// The middleware in front of the built-in file routes: hands them the
/// directory, as a request extension.
#[derive(Clone)]
pub(crate) struct FilesConfig(Arc<Resolved>);

impl Middleware for FilesConfig {
    fn call(&self, mut req: Request, next: Next) -> HandlerFuture {
        req.extensions_mut().insert(self.clone());
        next.run(req).into_boxed()
    }

    fn name(&self) -> &'static str {
        "StaticFiles"
    }
}

/// The routes of one served directory, mounted with a trailing slash kept
/// on the index route (see `Mount::keep_slash`).
pub(crate) static FILE_ROUTES: [Route; 2] = [
    Route::new(MethodSet::GET, "/", serve_index).declared(
        "static_files",
        "waypost::files",
        "built in",
        0,
    ),
    Route::new(MethodSet::GET, "/<path..>", serve_path)
        .shape("/<..>", "/{*p0}")
        .declared("static_files", "waypost::files", "built in", 0),
];

/// `{prefix}` without its slash: redirected to `{prefix}/`, so that links
/// in the index resolve under the prefix.
pub(crate) static DIRECTORY_REDIRECT: [Route; 1] = [Route::new(
    MethodSet::GET,
    "/",
    redirect_to_slash,
)
.declared("static_files", "waypost::files", "built in", 0)];

/// The route tables that serve a directory: `(routes, keep_slash)`; the
/// redirect is left out at the root, where `{prefix}` is `/` itself.
pub(crate) fn serve_files_routes(prefix: &str) -> Vec<(&'static [Route], bool)> {
    let mut tables: Vec<(&'static [Route], bool)> = vec![(&FILE_ROUTES, true)];
    if !prefix.trim_end_matches('/').is_empty() {
        tables.push((&DIRECTORY_REDIRECT, false));
    }
    tables
}

fn serve_index(request: Request) -> HandlerFuture {
    HandlerFuture::new(serve(request, None))
}

fn serve_path(request: Request) -> HandlerFuture {
    HandlerFuture::new(async move {
        let Some(raw) = request.parts().raw_param(0).map(str::to_owned) else {
            return Problem::new(StatusCode::NOT_FOUND).into_response();
        };
        serve(request, Some(raw)).await
    })
}

fn redirect_to_slash(request: Request) -> HandlerFuture {
    HandlerFuture::new(async move { redirect_with_slash(&request) })
}

/// 308 to the request's path with a `/` added, query kept. The location is
/// relative (`./docs/`): built from the request's path it could otherwise
/// read as another host (`//evil.example/`).
fn redirect_with_slash(request: &Request) -> Response {
    let uri = request.uri();
    let last = uri.path().rsplit('/').next().unwrap_or("");
    let location = match uri.query() {
        Some(query) => format!("./{last}/?{query}"),
        None => format!("./{last}/"),
    };
    let Ok(location) = HeaderValue::from_str(&location) else {
        return Problem::new(StatusCode::NOT_FOUND).into_response();
    };
    let mut response = Response::new(crate::Body::empty());
    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
    response.headers_mut().insert(header::LOCATION, location);
    response
}

async fn serve(request: Request, raw: Option<String>) -> Response {
    let Some(FilesConfig(config)) = request.extensions().get::<FilesConfig>().cloned() else {
        // Only reachable if the routes were mounted without their middleware.
        return Problem::new(StatusCode::NOT_FOUND).into_response();
    };
    let relative = match raw.as_deref() {
        None => PathBuf::new(),
        Some(raw) => match PathBuf::from_param(raw) {
            Ok(path) => path,
            Err(reason) => {
                return Problem::new(StatusCode::BAD_REQUEST)
                    .with_detail(format!("the file path is refused: {reason}"))
                    .into_response()
            }
        },
    };
    let ends_with_slash = raw.as_deref().is_none_or(|raw| raw.ends_with('/'));
    let head = request.parts().head();
    let accepted = if config.options.precompressed {
        accepted_encodings(&head.headers)
    } else {
        Vec::new()
    };
    let found = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || find(&config, &relative, ends_with_slash, &accepted))
            .await
    };
    let file = match found {
        Ok(Found::File(file)) => file,
        Ok(Found::AddSlash) => return redirect_with_slash(&request),
        Ok(Found::Error(error)) => return error.into_response(),
        Err(join) => return FileError::Io(std::io::Error::other(join)).into_response(),
    };
    let file = if config.options.precompressed {
        file.varying_by_encoding()
    } else {
        file
    };
    let mut response = file.respond_to(&head.method, &head.headers);
    if let Some(cache_control) = &config.options.cache_control {
        if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, cache_control.clone());
        }
    }
    response
}

enum Found {
    File(NamedFile),
    /// A directory asked for without its trailing slash.
    AddSlash,
    Error(FileError),
}

/// Finds and opens the file for `relative` (blocking: run on the blocking pool).
fn find(
    config: &Resolved,
    relative: &Path,
    ends_with_slash: bool,
    accepted: &[&'static str],
) -> Found {
    let mut path = config.root.join(relative);
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(error) => return Found::Error(error.into()),
    };
    if metadata.is_dir() {
        // Checked before the redirect, which would tell that a directory
        // out of the root exists.
        let inside = config.options.symlinks_outside
            || std::fs::canonicalize(&path).is_ok_and(|real| is_inside(&config.root, &real));
        let Some(index) = config.options.index.as_ref().filter(|_| inside) else {
            return Found::Error(FileError::NotFound);
        };
        if !ends_with_slash {
            return Found::AddSlash;
        }
        path.push(index);
    }
    let content_type = content_type_for(&path);
    for encoding in accepted {
        let extension = if *encoding == "br" { "br" } else { "gz" };
        let mut sibling = path.clone().into_os_string();
        sibling.push(".");
        sibling.push(extension);
        if let Ok((file, metadata)) = open_checked(config, Path::new(&sibling)) {
            return Found::File(NamedFile::from_parts(
                file,
                &metadata,
                content_type,
                Some(encoding),
            ));
        }
    }
    match open_checked(config, &path) {
        Ok((file, metadata)) => {
            Found::File(NamedFile::from_parts(file, &metadata, content_type, None))
        }
        Err(error) => Found::Error(error),
    }
}

/// Opens a regular file, and (unless links out are allowed) checks that the
/// file opened, links followed, is inside the root and not hidden.
fn open_checked(
    config: &Resolved,
    path: &Path,
) -> Result<(std::fs::File, std::fs::Metadata), FileError> {
    // Looked at before opening: opening a FIFO would block.
    if !std::fs::metadata(path)?.is_file() {
        return Err(FileError::NotFound);
    }
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(FileError::NotFound);
    }
    if !config.options.symlinks_outside && !is_inside(&config.root, &real_path(&file, path)?) {
        return Err(FileError::NotFound);
    }
    Ok((file, metadata))
}

/// Where the opened file really is. On Linux, from the open descriptor, so
/// that a link swapped in after the check cannot redirect the open.
fn real_path(file: &std::fs::File, path: &Path) -> std::io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(real) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            return Ok(real);
        }
    }
    let _ = file;
    std::fs::canonicalize(path)
}

/// Whether `real` (a canonical path) is under `root` with no hidden
/// component on the way (a link may lead to `.git`; on Windows a short name
/// like `GIT~1` may too).
fn is_inside(root: &Path, real: &Path) -> bool {
    real.strip_prefix(root).is_ok_and(|rest| {
        rest.components().all(|component| match component {
            std::path::Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
            _ => false,
        })
    })
}

/// The precompressed encodings the client accepts, best first: `br`, then
/// `gzip` (a `q=0` refuses one; `*` accepts both).
fn accepted_encodings(headers: &HeaderMap) -> Vec<&'static str> {
    let mut br = None;
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .map(|param| param.trim().to_ascii_lowercase())
                .filter_map(|param| param.strip_prefix("q=").map(str::to_owned))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match coding.as_str() {
                "br" => br = Some(quality),
                "gzip" | "x-gzip" => gzip = Some(quality),
                "*" => any = Some(quality),
                _ => {}
            }
        }
    }
    let mut accepted = Vec::new();
    if br.or(any).is_some_and(|q| q > 0.0) {
        accepted.push("br");
    }
    if gzip.or(any).is_some_and(|q| q > 0.0) {
        accepted.push("gzip");
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding() {
        let accepted = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
            accepted_encodings(&headers)
        };
        assert_eq!(accepted("gzip, deflate, br"), ["br", "gzip"]);
        assert_eq!(accepted("gzip"), ["gzip"]);
        assert_eq!(accepted("br;q=0, gzip;q=0.5"), ["gzip"]);
        assert_eq!(accepted("*"), ["br", "gzip"]);
        assert_eq!(accepted("*;q=0, gzip"), ["gzip"]);
        assert_eq!(accepted("identity"), Vec::<&str>::new());
        assert!(accepted_encodings(&HeaderMap::new()).is_empty());
    }
}
