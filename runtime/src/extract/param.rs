//! Path parameters: `<name>` segments parsed into typed handler arguments.

use std::convert::Infallible;

use http::StatusCode;

use super::rejection::rejection;
use crate::problem::Problem;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response};

/// A type that a `<name>` path segment can be parsed into.
///
/// Values are percent-decoded before parsing. Implemented for every integer
/// type, `f32`, `f64`, `bool`, `char` and `String`; implement it for your own
/// types (an id newtype, an enum of slugs) to take them as path parameters.
///
/// ```
/// use waypost::FromParam;
/// struct Slug(String);
/// impl FromParam for Slug {
///     type Error = &'static str;
///     fn from_param(value: &str) -> Result<Self, Self::Error> {
///         if value.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
///             Ok(Slug(value.to_owned()))
///         } else {
///             Err("a slug is lowercase letters and dashes")
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be parsed from a path parameter",
    label = "this argument binds a `<param>` of the route path",
    note = "implement `waypost::FromParam` for `{Self}`, or use a type that has it (integers, floats, `bool`, `char`, `String`, and `PathBuf` for a catch-all)"
)]
pub trait FromParam: Sized {
    /// Why a value was refused; shown to the client in the 400 response.
    type Error: std::fmt::Display;

    /// Whether [`from_param`](FromParam::from_param) gets the text still
    /// percent-encoded, for a type that must tell an encoded `%2F` from a
    /// separator (`PathBuf`). Default: decoded.
    const RAW: bool = false;

    /// Parses the segment: percent-decoded, unless [`RAW`](FromParam::RAW).
    fn from_param(value: &str) -> Result<Self, Self::Error>;
}

macro_rules! from_param_via_from_str {
    ($($ty:ty),*) => {$(
        impl FromParam for $ty {
            type Error = <$ty as std::str::FromStr>::Err;
            fn from_param(value: &str) -> Result<Self, Self::Error> {
                value.parse()
            }
        }
    )*};
}

from_param_via_from_str!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char
);

/// The percent-decoded text, as it is. Bound to a catch-all (`<rest..>`), that
/// is the rest of the path with its `/`s, `..` segments included
/// (`/dl/..%2F..%2Fetc` gives `../../etc`): take a `PathBuf` to join it under
/// a directory.
impl FromParam for String {
    type Error = Infallible;
    fn from_param(value: &str) -> Result<Self, Infallible> {
        Ok(value.to_owned())
    }
}

/// A relative path that is safe to join under a directory: for a catch-all
/// (`<path..>`) serving files. Each segment is percent-decoded on its own;
/// a `..` segment, a segment that decodes to hold a separator (`%2F`, `\`),
/// NUL or another control character (`%0A`), and a hidden segment (starting
/// with `.`, like `.env` or `.git`) are refused with 400; empty and `.`
/// segments are skipped. (Rocket's
/// `FromSegments for PathBuf` is the model.)
///
/// ```
/// use std::path::{Path, PathBuf};
/// use waypost::{get, routes, App, TestClient};
///
/// #[get("/files/<path..>")]
/// async fn file(path: PathBuf) -> String {
///     // Safe to join: no `..`, no absolute path, no hidden file.
///     Path::new("/srv/www").join(path).display().to_string()
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let client = TestClient::new(App::new().mount("/", routes![file]));
/// assert_eq!(client.get("/files/css/site.css").send().await.text(), "/srv/www/css/site.css");
/// assert_eq!(client.get("/files/..%2F..%2Fetc%2Fpasswd").send().await.status(), 400);
/// # });
/// ```
impl FromParam for std::path::PathBuf {
    type Error = &'static str;
    const RAW: bool = true;

    fn from_param(raw: &str) -> Result<Self, &'static str> {
        let mut path = std::path::PathBuf::new();
        for segment in raw.split('/') {
            let segment = percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .map_err(|_| "a segment is not valid UTF-8 once percent-decoded")?;
            match &*segment {
                "" | "." => continue,
                ".." => return Err("`..` is not allowed in the path"),
                text if text.contains(['/', '\\', '\0']) => {
                    return Err("a segment holds an encoded separator (`%2F`, `\\`) or NUL")
                }
                // A newline or other control in a file name breaks the logs
                // and headers it is later written into.
                text if text.contains(char::is_control) => {
                    return Err("a segment holds a control character")
                }
                text if text.starts_with('.') => {
                    return Err("hidden files (a segment starting with `.`) are not served")
                }
                // A drive or scheme prefix (`C:`) would make the path absolute on Windows.
                text if cfg!(windows) && text.contains(':') => {
                    return Err("`:` is not allowed in a path segment")
                }
                // Windows drops a trailing dot or space (`page.html.` would
                // be another name for `page.html`) and opens devices by name.
                text if cfg!(windows)
                    && (text.ends_with(['.', ' ']) || is_reserved_on_windows(text)) =>
                {
                    return Err("a name Windows would read as another file or a device")
                }
                text => path.push(text),
            }
        }
        Ok(path)
    }
}

/// A path parameter that did not parse: 400, naming the parameter, the expected type and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamRejection {
    /// The parameter's name in the route path.
    pub name: &'static str,
    /// The type it should have parsed into, as written in the handler.
    pub expected: &'static str,
    /// The value received (percent-decoded where it could be).
    pub value: String,
    /// Why it was refused.
    pub reason: String,
}

impl ParamRejection {
    /// The problem this rejection answers with. What was expected is said in
    /// words a client understands (`a whole number from 0 to 255`), not as
    /// the Rust type; a type of your own is named as you named it.
    pub fn to_problem(&self) -> Problem {
        let expected = expected_in_words(self.expected);
        Problem::new(StatusCode::BAD_REQUEST)
            .with_detail(format!(
                "path parameter `{}` must be {expected}, got `{}`: {}",
                self.name, self.value, self.reason
            ))
            .with_extension("parameter", self.name)
            .with_extension("expected", expected)
            .with_extension("value", self.value.as_str())
    }
}

/// The built-in parameter types, as a client would say them.
pub(crate) fn expected_in_words(type_name: &str) -> String {
    macro_rules! integers {
        ($($ty:ident),*) => {
            match type_name {
                $(stringify!($ty) => {
                    return format!("a whole number from {} to {}", $ty::MIN, $ty::MAX)
                })*
                _ => {}
            }
        };
    }
    integers!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
    match type_name.rsplit("::").next().unwrap_or(type_name) {
        "f32" | "f64" => "a number".to_owned(),
        "bool" => "`true` or `false`".to_owned(),
        "char" => "a single character".to_owned(),
        "String" => "text".to_owned(),
        "PathBuf" => "a relative path".to_owned(),
        other => format!("a `{other}`"),
    }
}

rejection!(ParamRejection);

/// Parses the `index`-th parameter of a matched route. Used by generated handler code.
#[allow(clippy::result_large_err)] // the cold path carries the ready response
pub(crate) fn parse_param<T: FromParam>(
    parts: &RequestParts,
    index: usize,
    name: &'static str,
    expected: &'static str,
) -> Result<T, Response> {
    let Some(raw) = parts.raw_param(index) else {
        return Err(path_changed(parts, name));
    };
    // Most segments hold no escape: they are already the decoded text.
    if T::RAW || !raw.contains('%') {
        return T::from_param(raw).map_err(|error| refused(name, expected, raw, &error));
    }
    parse_decoded(raw, name, expected)
}

/// [`parse_param`] for a segment with escapes: decoded first.
#[allow(clippy::result_large_err)] // the cold path carries the ready response
fn parse_decoded<T: FromParam>(
    raw: &str,
    name: &'static str,
    expected: &'static str,
) -> Result<T, Response> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| refused(name, expected, raw, &"not valid UTF-8 once percent-decoded"))?;
    T::from_param(&decoded).map_err(|error| refused(name, expected, &decoded, &error))
}

/// The 400 for a parameter `FromParam` refused: out of line, so that the
/// path every valid request takes carries none of it.
#[cold]
fn refused(
    name: &'static str,
    expected: &'static str,
    value: &str,
    reason: &dyn std::fmt::Display,
) -> Response {
    ParamRejection {
        name,
        expected,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
    .into_response()
}

/// A middleware replaced the URI after routing: the parameters routing found are no longer in it.
#[cold]
fn path_changed(parts: &RequestParts, name: &str) -> Response {
    let route = parts
        .route()
        .map(|route| route.describe())
        .unwrap_or_default();
    tracing::error!(
        parameter = name,
        route = %route,
        path = parts.head().uri.path(),
        "a middleware changed the request path after routing; path parameters cannot be read"
    );
    Problem::new(StatusCode::INTERNAL_SERVER_ERROR)
        .with_detail("the request path was changed after routing")
        .into_response()
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9` and `COM¹²³`,
/// `LPT¹²³`, with any extension.
pub(crate) fn is_reserved_on_windows(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let upper = stem.to_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let Some(number) = upper
        .strip_prefix("COM")
        .or_else(|| upper.strip_prefix("LPT"))
    else {
        return false;
    };
    let mut chars = number.chars();
    matches!(
        (chars.next(), chars.next()),
        (Some('0'..='9' | '¹' | '²' | '³'), None)
    )
}
