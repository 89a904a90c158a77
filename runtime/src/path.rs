//! The normal form request paths are routed in, and the route attributes
//! write their literal segments in, so that the two meet:
//!
//! - a percent-encoded *unreserved* character (letters, digits, `-._~`) is
//!   decoded: `/users/m%65` is `/users/me`;
//! - any other percent-encoded byte keeps its encoding, in upper-case hex:
//!   `%2f` is `%2F` (an encoded `/` stays inside its segment);
//! - a byte a path cannot hold literally (RFC 3986: not unreserved, not a
//!   sub-delimiter, `:`, `@` or `/`) is encoded: a literal `/café` is routed
//!   as `/caf%C3%A9`, which is what clients send.
//!
//! A `%` not followed by two hex digits is encoded itself (`%25`): the normal
//! form of a normal form is the same path, so no spelling is decoded twice
//! (`/%%36%31dmin` is `/%2561dmin`, which a parameter decodes once, to
//! `%61dmin`, never to `admin`).
//!
//! The normal form is applied once, where a request enters the app, before
//! any middleware: what a middleware checks is what the router routes.

/// Puts `uri`'s path in normal form; the query is kept as it is. `false`
/// if the normal form could not be made into a URI (the request is then
/// refused: routing a path other than the one middleware would check is
/// exactly what the normal form prevents).
#[inline]
pub(crate) fn normalize_uri(uri: &mut http::Uri) -> bool {
    match normalize(uri.path()) {
        None => true,
        Some(path) => rewrite(uri, path),
    }
}

#[cold]
fn rewrite(uri: &mut http::Uri, path: String) -> bool {
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    let Ok(path_and_query) = http::uri::PathAndQuery::try_from(path_and_query) else {
        return false;
    };
    parts.path_and_query = Some(path_and_query);
    match http::Uri::from_parts(parts) {
        Ok(normal) => {
            *uri = normal;
            true
        }
        Err(_) => false,
    }
}

/// Whether `byte` stands for itself in a normal path.
const fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

/// Whether an encoded `byte` is decoded in the normal form.
const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The bytes that stand for themselves in a normal path, as a table: the
/// common case (nothing to change) costs a load and a test per byte.
const LITERAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = is_path_byte(byte as u8);
        byte += 1;
    }
    table
};

/// `path` in normal form, or `None` when it already is (the common case,
/// found by one pass over the bytes, without allocating).
pub(crate) fn normalize(path: &str) -> Option<String> {
    // Without an early exit the loop is a load and an `and` per byte; paths are short.
    let literal = path
        .as_bytes()
        .iter()
        .fold(true, |literal, &b| literal & LITERAL[b as usize]);
    if literal {
        return None;
    }
    normalize_slow(path)
}

#[cold]
fn normalize_slow(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let first = bytes.iter().position(|&b| !LITERAL[b as usize])?;
    let mut out = String::with_capacity(path.len() + 8);
    out.push_str(&path[..first]);
    let mut changed = false;
    let mut i = first;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            match (
                bytes.get(i + 1).and_then(hex),
                bytes.get(i + 2).and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    let decoded = high << 4 | low;
                    if is_unreserved(decoded) {
                        out.push(decoded as char);
                        changed = true;
                    } else {
                        push_encoded(&mut out, decoded);
                        changed |= bytes[i + 1..i + 3] != *encoded(decoded).as_slice();
                    }
                    i += 3;
                }
                _ => {
                    out.push_str("%25");
                    changed = true;
                    i += 1;
                }
            }
        } else if LITERAL[byte as usize] {
            out.push(byte as char);
            i += 1;
        } else {
            push_encoded(&mut out, byte);
            changed = true;
            i += 1;
        }
    }
    changed.then_some(out)
}

fn hex(digit: &u8) -> Option<u8> {
    (*digit as char).to_digit(16).map(|value| value as u8)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn encoded(byte: u8) -> [u8; 2] {
    [HEX[(byte >> 4) as usize], HEX[(byte & 15) as usize]]
}

fn push_encoded(out: &mut String, byte: u8) {
    let [high, low] = encoded(byte);
    out.push('%');
    out.push(high as char);
    out.push(low as char);
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normal_paths_are_left_alone() {
        for path in [
            "/",
            "/users/42",
            "/a-b_c.d~e/f:g@h/!$&'()*+,;=",
            "/caf%C3%A9",
            "/a%2Fb",
            "/x%25zz",
        ] {
            assert_eq!(normalize(path), None, "{path}");
        }
    }

    #[test]
    fn unreserved_escapes_are_decoded_and_the_rest_upper_cased() {
        assert_eq!(normalize("/users/m%65").as_deref(), Some("/users/me"));
        assert_eq!(normalize("/%7euser/%2d").as_deref(), Some("/~user/-"));
        assert_eq!(normalize("/caf%c3%a9").as_deref(), Some("/caf%C3%A9"));
        assert_eq!(normalize("/a%2fb").as_deref(), Some("/a%2Fb"));
    }

    #[test]
    fn bytes_a_path_cannot_hold_are_encoded() {
        assert_eq!(normalize("/a{b}").as_deref(), Some("/a%7Bb%7D"));
        assert_eq!(normalize("/a|b\"").as_deref(), Some("/a%7Cb%22"));
        assert_eq!(normalize("/café").as_deref(), Some("/caf%C3%A9"));
    }

    #[test]
    fn a_stray_percent_is_encoded_so_that_nothing_is_decoded_twice() {
        assert_eq!(normalize("/a%4").as_deref(), Some("/a%254"));
        assert_eq!(normalize("/a%zz/m%65").as_deref(), Some("/a%25zz/me"));
        assert_eq!(normalize("/%%36%31dmin").as_deref(), Some("/%2561dmin"));
        // The normal form is a fixed point.
        for path in [
            "/%%36%31dmin",
            "/caf%c3%a9",
            "/a{b}%",
            "/%25%2541",
            "/m%65/%7e",
        ] {
            let once = normalize(path).unwrap_or_else(|| path.to_owned());
            assert_eq!(normalize(&once), None, "{path} -> {once}");
        }
    }
}
