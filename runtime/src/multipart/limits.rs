//! `MultipartLimits`: what an upload may hold, set per app, group or route.

use http::header;

use crate::middleware::{Middleware, Next};
use crate::request::Request;
use crate::route::HandlerFuture;

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
    /// chunks or saved with [`Field::save_in`](super::Field::save_in). Read whole into memory
    /// ([`Field::bytes`](super::Field::bytes), [`Field::text`](super::Field::text)) a file keeps to the text-field
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

    pub(super) fn field_count(&self) -> usize {
        self.fields.unwrap_or(DEFAULT_FIELD_COUNT)
    }

    /// The limit of one field, and which limit it is (for the 413's detail).
    pub(super) fn limit_of(&self, name: Option<&str>, is_file: bool, body_limit: u64) -> Limit {
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
pub(super) struct Limit {
    pub(super) streamed: u64,
    pub(super) in_memory: u64,
    pub(super) kind: &'static str,
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
pub(super) fn is_form_data(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            let essence = value.split(';').next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case("multipart/form-data")
        })
}
