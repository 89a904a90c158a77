//! Route path syntax: `/users/<id>/files/<rest..>`, parsed into segments, with
//! each fault located by its byte range in the path.

use std::ops::Range;

/// One `/`-separated piece of a route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Literal text.
    Static(String),
    /// `<name>`: one segment bound to the argument `name`.
    Param { name: String, range: Range<usize> },
    /// `<name..>`: the rest of the path, last segment only.
    CatchAll { name: String, range: Range<usize> },
}

/// A parsed route path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathPattern {
    pub(crate) segments: Vec<Segment>,
    /// Whether the path ends with `/` (a distinct path from the one without).
    pub(crate) trailing_slash: bool,
}

/// A fault in a route path and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathError {
    pub(crate) range: Range<usize>,
    pub(crate) message: String,
}

impl PathPattern {
    /// Parses `path`, reporting every fault rather than the first.
    pub(crate) fn parse(path: &str) -> Result<PathPattern, Vec<PathError>> {
        let mut errors = Vec::new();
        let mut fail =
            |range: Range<usize>, message: String| errors.push(PathError { range, message });
        if !path.starts_with('/') {
            let message = if path.is_empty() {
                "a route path cannot be empty: write `/` for the root".to_owned()
            } else {
                format!("a route path must start with `/`: write `/{path}`")
            };
            fail(0..path.len().min(1), message);
            return Err(errors);
        }
        if let Some(at) = path.find(['?', '#']) {
            fail(
                at..path.len(),
                "a route path cannot hold a query or fragment: take query values with `Query<T>`"
                    .to_owned(),
            );
        }
        // Control characters (`\n`, `\t`) are reported once, as controls, per segment.
        if let Some(at) = path.find(|c: char| c.is_whitespace() && !c.is_control()) {
            fail(
                at..at + 1,
                "a route path cannot hold whitespace: percent-encode it (`%20`)".to_owned(),
            );
        }

        let mut segments = Vec::new();
        let body = &path[1..];
        let trailing_slash = path.len() > 1 && path.ends_with('/');
        let body = if trailing_slash {
            &body[..body.len() - 1]
        } else {
            body
        };
        let mut start = 1;
        if !body.is_empty() {
            for text in body.split('/') {
                let range = start..start + text.len();
                start = range.end + 1;
                match parse_segment(text, range.clone()) {
                    Ok(segment) => segments.push(segment),
                    Err(error) => fail(error.range, error.message),
                }
            }
        }

        let last = segments.len().saturating_sub(1);
        let mut seen: Vec<&str> = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            let (name, range) = match segment {
                Segment::Static(_) => continue,
                Segment::Param { name, range } | Segment::CatchAll { name, range } => (name, range),
            };
            if matches!(segment, Segment::CatchAll { .. }) && (index != last || trailing_slash) {
                fail(
                    range.clone(),
                    format!("the catch-all `<{name}..>` must be the last segment of the path"),
                );
            }
            if seen.contains(&name.as_str()) {
                fail(
                    range.clone(),
                    format!("the parameter `<{name}>` appears twice in the path: give each parameter its own name"),
                );
            }
            seen.push(name);
        }

        if errors.is_empty() {
            Ok(PathPattern {
                segments,
                trailing_slash,
            })
        } else {
            Err(errors)
        }
    }

    /// The names of the parameters, in order, with whether each is a catch-all.
    pub(crate) fn params(&self) -> impl Iterator<Item = (&str, &Range<usize>)> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Static(_) => None,
            Segment::Param { name, range } | Segment::CatchAll { name, range } => {
                Some((name.as_str(), range))
            }
        })
    }

    /// The path with parameter names erased: two routes with the same shape match the same requests.
    pub(crate) fn shape(&self) -> String {
        self.render(|_, segment| match segment {
            Segment::Static(text) => text.clone(),
            Segment::Param { .. } => "<>".to_owned(),
            Segment::CatchAll { .. } => "<..>".to_owned(),
        })
    }

    /// The path in matchit's syntax, parameters named by position (`{p0}`, `{*p1}`).
    pub(crate) fn router_path(&self) -> String {
        self.render(|index, segment| match segment {
            Segment::Static(text) => text.replace('{', "{{").replace('}', "}}"),
            Segment::Param { .. } => format!("{{p{index}}}"),
            Segment::CatchAll { .. } => format!("{{*p{index}}}"),
        })
    }

    fn render(&self, mut write: impl FnMut(usize, &Segment) -> String) -> String {
        let mut out = String::new();
        let mut param_index = 0;
        for segment in &self.segments {
            out.push('/');
            out.push_str(&write(param_index, segment));
            if !matches!(segment, Segment::Static(_)) {
                param_index += 1;
            }
        }
        if out.is_empty() || self.trailing_slash {
            out.push('/');
        }
        out
    }
}

/// Another framework's parameter syntax, written as a whole segment: taken
/// as literal text it would compile and never match, so it is refused with
/// waypost's spelling of the same thing.
fn foreign_parameter(text: &str) -> Option<String> {
    let (name, rest) = if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}'))
    {
        match inner.strip_prefix('*') {
            Some(name) => (name, true),
            None => (inner.split(':').next().unwrap_or(inner), false),
        }
    } else if let Some(name) = text.strip_prefix(':') {
        (name, false)
    } else if let Some(name) = text.strip_prefix('*') {
        (name, true)
    } else {
        return None;
    };
    let name = if is_identifier(name) { name } else { "name" };
    let ours = if rest {
        format!("<{name}..>")
    } else {
        format!("<{name}>")
    };
    Some(format!(
        "`{text}` is another framework's parameter syntax, which waypost would match as literal text: write `{ours}`{}",
        if rest { " for the rest of the path" } else { "" }
    ))
}

fn parse_segment(text: &str, range: Range<usize>) -> Result<Segment, PathError> {
    let fail = |range: Range<usize>, message: String| PathError { range, message };
    if text.is_empty() {
        let at = range.start - 1;
        return Err(fail(
            at..at + 1,
            "empty segment (`//`) in the route path: remove the extra `/`".to_owned(),
        ));
    }
    if let Some(message) = foreign_parameter(text) {
        return Err(fail(range, message));
    }
    if !text.starts_with('<') {
        if let Some(at) = text.find(['{', '}']) {
            return Err(fail(
                range.start + at..range.end,
                format!("`{text}` holds a brace, which a path cannot hold literally (clients send `%7B`/`%7D`) and which is not waypost's parameter syntax: a parameter is a whole segment, `/<name>`; a literal brace is written `%7B` or `%7D`"),
            ));
        }
        if let Some(at) = text.find(['<', '>']) {
            return Err(fail(
                range.start + at..range.end,
                format!("a parameter must be a whole segment: `{text}` mixes text and `<`/`>`; write `/<name>` between slashes"),
            ));
        }
        let literal = normal_literal(text, range.clone())?;
        if literal == "." || literal == ".." {
            return Err(fail(
                range,
                format!("`{text}` is a dot segment, which clients remove before they send a path (RFC 3986 §5.2.4): the route could never match; name the segment otherwise"),
            ));
        }
        return Ok(Segment::Static(literal));
    }
    let Some(inner) = text[1..].strip_suffix('>') else {
        let message = if text[1..].contains('>') {
            format!("a parameter must be a whole segment: `{text}` has text after `>`")
        } else {
            format!("unclosed parameter `{text}`: add `>` to close it")
        };
        return Err(fail(range, message));
    };
    let (name, catch_all) = match inner.strip_suffix("..") {
        Some(name) => (name, true),
        None => (inner, false),
    };
    if name.is_empty() {
        return Err(fail(
            range,
            format!("empty parameter `{text}`: name it after the handler argument it binds, like `<id>`"),
        ));
    }
    if !is_identifier(name) {
        return Err(fail(
            range,
            format!("`{name}` is not a valid parameter name: it must be a Rust identifier naming a handler argument"),
        ));
    }
    let name = name.to_owned();
    Ok(if catch_all {
        Segment::CatchAll { name, range }
    } else {
        Segment::Param { name, range }
    })
}

/// A literal segment in the normal form request paths are routed in (see
/// the runtime's `path.rs`): percent-encoded unreserved characters decoded,
/// other escapes in upper-case hex, and what a path cannot hold literally
/// (`é`, `{`, `|`) encoded, so that `/café` matches the `/caf%C3%A9` clients send.
fn normal_literal(text: &str, range: Range<usize>) -> Result<String, PathError> {
    if let Some((at, control)) = text.char_indices().find(|(_, c)| c.is_control()) {
        let at = range.start + at;
        return Err(PathError {
            range: at..at + control.len_utf8(),
            message: "a route path cannot hold control characters: percent-encode them (`%0A`)"
                .to_owned(),
        });
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        let at = range.start + i;
        if byte == b'%' {
            let digits = bytes.get(i + 1..i + 3).and_then(|digits| {
                let text = std::str::from_utf8(digits).ok()?;
                u8::from_str_radix(text, 16)
                    .ok()
                    .filter(|_| digits.iter().all(u8::is_ascii_hexdigit))
            });
            let Some(decoded) = digits else {
                return Err(PathError {
                    range: at..(at + 3).min(range.end),
                    message: "`%` starts a percent-encoded byte, two hex digits like `%20`; write `%25` for a literal `%`".to_owned(),
                });
            };
            if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                out.push(decoded as char);
            } else {
                out.push_str(&format!("%{decoded:02X}"));
            }
            i += 3;
        } else if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
            i += 1;
        } else {
            out.push_str(&format!("%{byte:02X}"));
            i += 1;
        }
    }
    Ok(out)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic());
    first_ok && name != "_" && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(path: &str) -> Vec<String> {
        PathPattern::parse(path)
            .unwrap_err()
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    #[test]
    fn parses_static_param_and_catch_all() {
        let pattern = PathPattern::parse("/users/<id>/files/<rest..>").unwrap();
        assert_eq!(pattern.shape(), "/users/<>/files/<..>");
        assert_eq!(pattern.router_path(), "/users/{p0}/files/{*p1}");
        let names: Vec<_> = pattern.params().map(|(name, _)| name).collect();
        assert_eq!(names, ["id", "rest"]);
    }

    #[test]
    fn other_frameworks_parameter_syntax_is_refused_with_ours() {
        let cases = [
            ("/users/{name}", "write `<name>`"),
            ("/users/{id:\\d+}", "write `<id>`"),
            (
                "/files/{*path}",
                "write `<path..>` for the rest of the path",
            ),
            ("/posts/:slug", "write `<slug>`"),
            ("/static/*rest", "write `<rest..>` for the rest of the path"),
            ("/static/*", "write `<name..>` for the rest of the path"),
        ];
        for (path, advice) in cases {
            let messages = messages(path);
            assert_eq!(messages.len(), 1, "{path}: {messages:?}");
            assert!(
                messages[0].contains("another framework's parameter syntax"),
                "{path}: {messages:?}"
            );
            assert!(messages[0].contains(advice), "{path}: {messages:?}");
        }
        // Text that only contains such characters stays literal.
        for path in ["/v1/things:batchGet", "/x*y", "/a%7Bb%7D"] {
            assert!(PathPattern::parse(path).is_ok(), "{path}");
        }
        // A brace anywhere in a segment is another framework's parameter, or
        // a character clients encode: either way the route would not match.
        for path in [
            "/c1/{id}.json",
            "/c2/{id",
            "/c3/id}",
            "/a{b}",
            "/user-{id}/x",
        ] {
            let messages = messages(path);
            assert_eq!(messages.len(), 1, "{path}: {messages:?}");
            assert!(
                messages[0].contains("holds a brace"),
                "{path}: {messages:?}"
            );
            assert!(messages[0].contains("`/<name>`"), "{path}: {messages:?}");
        }
    }

    #[test]
    fn root_and_trailing_slash() {
        assert_eq!(PathPattern::parse("/").unwrap().router_path(), "/");
        assert_eq!(PathPattern::parse("/users/").unwrap().shape(), "/users/");
    }

    #[test]
    fn literal_segments_are_in_the_normal_form_of_request_paths() {
        let cases = [
            ("/café", "/caf%C3%A9"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("/users/m%65", "/users/me"),
            ("/a%7bb%7d", "/a%7Bb%7D"),
            ("/.../a.b/.x", "/.../a.b/.x"),
            ("/a%2fb/<id>", "/a%2Fb/{p0}"),
            ("/v1/things:batchGet", "/v1/things:batchGet"),
        ];
        for (path, router_path) in cases {
            assert_eq!(
                PathPattern::parse(path).unwrap().router_path(),
                router_path,
                "{path}"
            );
        }
        assert!(messages("/a\u{1}b")[0].contains("control characters"));
        // C1 controls too; a newline is one fault, not also whitespace.
        assert!(messages("/caf\u{80}")[0].contains("control characters"));
        assert_eq!(messages("/a\nb").len(), 1);
        assert!(messages("/a b")[0].contains("whitespace"));
        // Dot segments, however spelled, are removed by clients before sending.
        for path in ["/dots/..", "/dots/%2e%2E", "/./x", "/a/%2E/b"] {
            let messages = messages(path);
            assert_eq!(messages.len(), 1, "{path}: {messages:?}");
            assert!(messages[0].contains("dot segment"), "{path}: {messages:?}");
        }
        assert!(messages("/100%")[0].contains("percent-encoded byte"));
        assert!(messages("/a%zz")[0].contains("percent-encoded byte"));
    }

    #[test]
    fn reports_every_fault_with_its_range() {
        let errors = PathPattern::parse("/a//<>/<1x>/<id").unwrap_err();
        let ranges: Vec<_> = errors.iter().map(|e| e.range.clone()).collect();
        assert_eq!(ranges, [2..3, 4..6, 7..11, 12..15]);
    }

    #[test]
    fn rejects_malformed_paths() {
        assert!(messages("users")[0].contains("must start with `/`"));
        assert!(messages("/<rest..>/x")[0].contains("must be the last segment"));
        assert!(messages("/<id>/<id>")[0].contains("appears twice"));
        assert!(messages("/a<id>")[0].contains("whole segment"));
        assert!(messages("/x?y=1")[0].contains("query"));
    }
}
