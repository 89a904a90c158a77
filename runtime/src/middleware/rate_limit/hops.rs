//! The hops a request took through proxies, read from the header the
//! proxies write, nearest first.
//!
//! Each proxy appends the address it got the request from to the right of
//! what it received, so the right end of a header is the proxies' and the
//! left end may be anything the client sent. The walk therefore reads each
//! line from the right, one hop at a time, and the caller stops at the first
//! hop that is not a trusted proxy: what the client wrote is not parsed
//! while a hop to its right is untrusted, so a client cannot make the
//! proxies' part read differently (an open quote of its own cannot swallow a
//! quoted element a proxy appended).

use std::borrow::Cow;
use std::net::IpAddr;

use http::header::{GetAll, ValueIter};
use http::HeaderValue;

/// Which header the trusted proxies write the client's address into.
///
/// Name the one your proxies append to: a header they only pass along is
/// the client's to write, and its right end would be the client's too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyHeader {
    /// `X-Forwarded-For: 203.0.113.7, 10.0.0.2` (nginx, HAProxy, most load balancers). The default.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=203.0.113.7;proto=https, for="[2001:db8::1]:4711"` (RFC 7239).
    Forwarded,
}

impl ProxyHeader {
    fn name(self) -> http::HeaderName {
        match self {
            ProxyHeader::XForwardedFor => http::HeaderName::from_static("x-forwarded-for"),
            ProxyHeader::Forwarded => http::header::FORWARDED,
        }
    }
}

/// One hop, as a proxy recorded it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Hop<'a> {
    /// An address (a port, if any, dropped).
    Address(IpAddr),
    /// Something other than an address: `unknown`, or an obfuscated
    /// identifier such as `_hidden` (RFC 7239 §6.3).
    Named(Cow<'a, [u8]>),
    /// A hop that cannot be read (or that names no client); what stands left of it cannot be delimited either.
    Unreadable,
}

/// The hops in `header`'s lines of `headers`, nearest first.
pub(super) fn hops(headers: &http::HeaderMap, header: ProxyHeader) -> Hops<'_> {
    let lines: GetAll<'_, HeaderValue> = headers.get_all(header.name());
    Hops {
        lines: lines.into_iter(),
        rest: &[],
        header,
        done: false,
    }
}

/// Iterator over the hops of a request, nearest first.
pub(super) struct Hops<'a> {
    lines: ValueIter<'a, HeaderValue>,
    /// What is still unread of the current line: its left part.
    rest: &'a [u8],
    header: ProxyHeader,
    /// An unreadable hop ends the walk.
    done: bool,
}

impl<'a> Iterator for Hops<'a> {
    type Item = Hop<'a>;

    fn next(&mut self) -> Option<Hop<'a>> {
        while !self.done {
            if trim_end(self.rest).is_empty() {
                // Proxies add lines after those they received: the last line is the nearest.
                self.rest = self.lines.next_back()?.as_bytes();
                continue;
            }
            let popped = match self.header {
                ProxyHeader::XForwardedFor => Some(pop_entry(self.rest)),
                ProxyHeader::Forwarded => pop_element(self.rest),
            };
            match popped {
                // An empty list element (`a, , b`) records nothing.
                Some((rest, None)) => self.rest = rest,
                Some((rest, Some(hop))) => {
                    self.rest = rest;
                    self.done = hop == Hop::Unreadable;
                    return Some(hop);
                }
                None => {
                    self.done = true;
                    return Some(Hop::Unreadable);
                }
            }
        }
        None
    }
}

/// Splits the last `X-Forwarded-For` entry off `line`: what stands left of it, and the hop (none if empty).
fn pop_entry(line: &[u8]) -> (&[u8], Option<Hop<'_>>) {
    let (rest, entry) = match line.iter().rposition(|&byte| byte == b',') {
        Some(comma) => (&line[..comma], &line[comma + 1..]),
        None => (&line[..0], line),
    };
    let entry = trim_end(trim_start(entry));
    let hop = (!entry.is_empty()).then(|| node(entry));
    (rest, hop)
}

/// Splits the last `Forwarded` element off `line`, reading from the right:
/// what stands left of it, and the hop its `for` parameter names (none for
/// an empty element). `None` when the element is not well-formed.
///
/// ```text
/// Forwarded   = 1#forwarded-element
/// element     = [ pair ] *( ";" [ pair ] )
/// pair        = token "=" ( token / quoted-string )
/// ```
fn pop_element(line: &[u8]) -> Option<(&[u8], Option<Hop<'_>>)> {
    let mut end = trim_end(line).len();
    let mut for_value: Option<Cow<'_, [u8]>> = None;
    let mut pairs = 0;
    loop {
        // An empty pair (`;;`) or an empty element (`, ,`) has nothing to read.
        if end > 0 && !matches!(line[end - 1], b';' | b',') {
            let (start, value) = value_before(line, end)?;
            end = start;
            if end == 0 || line[end - 1] != b'=' {
                return None;
            }
            end -= 1;
            let name_start = line[..end]
                .iter()
                .rposition(|&byte| !is_tchar(byte))
                .map_or(0, |before| before + 1);
            if name_start == end {
                return None;
            }
            if line[name_start..end].eq_ignore_ascii_case(b"for") {
                // A parameter occurs once per element (RFC 7239 §4).
                if for_value.replace(value).is_some() {
                    return None;
                }
            }
            pairs += 1;
            end = trim_end(&line[..name_start]).len();
        }
        match end.checked_sub(1).map(|last| line[last]) {
            Some(b';') => end = trim_end(&line[..end - 1]).len(),
            Some(b',') | None => {
                let rest = &line[..end.saturating_sub(1)];
                let hop = match for_value {
                    Some(value) => Some(node_of(value)),
                    // An element that records no client cannot be followed past.
                    None if pairs > 0 => Some(Hop::Unreadable),
                    None => None,
                };
                return Some((rest, hop));
            }
            Some(_) => return None,
        }
    }
}

/// The value ending at `end` (a token or a quoted string, unescaped) and where it starts.
fn value_before(line: &[u8], end: usize) -> Option<(usize, Cow<'_, [u8]>)> {
    if line[end - 1] != b'"' {
        // Proxies that write `for=[2001:db8::1]:80` unquoted (RFC 7239 wants
        // quotes) are read too: none of `[`, `]` and `:` delimits anything.
        let start = line[..end]
            .iter()
            .rposition(|&byte| !(is_tchar(byte) || matches!(byte, b'[' | b']' | b':')))
            .map_or(0, |before| before + 1);
        return (start < end).then(|| (start, Cow::Borrowed(&line[start..end])));
    }
    // The opening quote is the nearest one to the left not escaped by an odd run of backslashes.
    let close = end - 1;
    let open = (0..close)
        .rev()
        .find(|&at| line[at] == b'"' && backslashes_before(line, at) % 2 == 0)?;
    let inner = &line[open + 1..close];
    let value = if inner.contains(&b'\\') {
        let mut unescaped = Vec::with_capacity(inner.len());
        let mut bytes = inner.iter();
        while let Some(&byte) = bytes.next() {
            unescaped.push(if byte == b'\\' { *bytes.next()? } else { byte });
        }
        Cow::Owned(unescaped)
    } else {
        Cow::Borrowed(inner)
    };
    Some((open, value))
}

fn backslashes_before(line: &[u8], at: usize) -> usize {
    line[..at]
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'\\')
        .count()
}

fn node_of(value: Cow<'_, [u8]>) -> Hop<'_> {
    match value {
        Cow::Borrowed(bytes) => node(bytes),
        Cow::Owned(bytes) => match node(&bytes) {
            Hop::Named(name) => Hop::Named(Cow::Owned(name.into_owned())),
            Hop::Address(ip) => Hop::Address(ip),
            Hop::Unreadable => Hop::Unreadable,
        },
    }
}

/// A node: an address (`ip`, `ip:port`, `[ipv6]`, `[ipv6]:port`, a zone id
/// dropped) or a name (`unknown`, `_hidden`), its port (a number, or RFC
/// 7239's obfuscated `_port`) dropped either way: the port changes with
/// every connection, and must not make each one a client of its own.
fn node(bytes: &[u8]) -> Hop<'_> {
    let host = match bytes.strip_prefix(b"[") {
        Some(bracketed) => match bracketed.iter().position(|&byte| byte == b']') {
            Some(close) if matches!(bracketed.get(close + 1), None | Some(b':')) => {
                &bytes[..close + 2]
            }
            _ => bytes,
        },
        // An address with more than one `:` is an unbracketed IPv6 address (in
        // `X-Forwarded-For`), with no port.
        None => match bytes.iter().filter(|&&byte| byte == b':').count() {
            1 => &bytes[..bytes.iter().position(|&byte| byte == b':').unwrap_or(0)],
            _ => bytes,
        },
    };
    match address(host) {
        Some(ip) => Hop::Address(ip),
        None => Hop::Named(Cow::Borrowed(host)),
    }
}

/// The address a host names: an IP address, bracketed or not, its zone id (`%eth0`) dropped.
fn address(host: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(host).ok()?;
    let text = text
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(text);
    let text = text.split_once('%').map_or(text, |(ip, _zone)| ip);
    Some(text.parse::<IpAddr>().ok()?.to_canonical())
}

/// RFC 9110 `tchar`.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&byte| !matches!(byte, b' ' | b'\t'))
        .map_or(0, |last| last + 1);
    &bytes[..end]
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&byte| !matches!(byte, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(header: ProxyHeader, lines: &[&str]) -> Vec<Hop<'static>> {
        let mut headers = http::HeaderMap::new();
        for line in lines {
            headers.append(header.name(), HeaderValue::from_str(line).unwrap());
        }
        hops(&headers, header)
            .map(|hop| match hop {
                Hop::Address(ip) => Hop::Address(ip),
                Hop::Named(name) => Hop::Named(Cow::Owned(name.into_owned())),
                Hop::Unreadable => Hop::Unreadable,
            })
            .collect()
    }

    fn ip(text: &str) -> Hop<'static> {
        Hop::Address(text.parse().unwrap())
    }

    fn named(text: &str) -> Hop<'static> {
        Hop::Named(Cow::Owned(text.as_bytes().to_vec()))
    }

    #[test]
    fn forwarded_for_entries_are_read_nearest_first() {
        assert_eq!(
            walk(
                ProxyHeader::XForwardedFor,
                &["1.1.1.1,  203.0.113.7:8080", "[2001:db8::1]:443, , unknown"]
            ),
            [
                named("unknown"),
                ip("2001:db8::1"),
                ip("203.0.113.7"),
                ip("1.1.1.1")
            ]
        );
        assert_eq!(
            walk(
                ProxyHeader::XForwardedFor,
                &["::ffff:10.0.0.1, 2001:db8::2"]
            ),
            [ip("2001:db8::2"), ip("10.0.0.1")]
        );
    }

    #[test]
    fn forwarded_elements_are_read_from_the_right() {
        assert_eq!(
            walk(
                ProxyHeader::Forwarded,
                &[
                    "for=192.0.2.60;proto=http;by=203.0.113.43",
                    r#"For="[2001:db8:cafe::17]:4711" , for=unknown;proto=https, for="198.51.100.17:_port""#,
                ]
            ),
            [
                ip("198.51.100.17"),
                named("unknown"),
                ip("2001:db8:cafe::17"),
                ip("192.0.2.60")
            ]
        );
        assert_eq!(
            walk(
                ProxyHeader::Forwarded,
                &[r#"for=_hidden;by="a\"b,c", ;; ,"#]
            ),
            [named("_hidden")]
        );
    }

    #[test]
    fn what_a_client_wrote_cannot_swallow_what_a_proxy_appended() {
        // An open quote of the client's, then the proxy's quoted element on the same line.
        assert_eq!(
            walk(
                ProxyHeader::Forwarded,
                &[r#"for="1.1.1.1, for="[2001:db8::5]""#]
            )[0],
            ip("2001:db8::5")
        );
        assert_eq!(
            walk(ProxyHeader::Forwarded, &[r#"for=x\", for=203.0.113.9"#])[0],
            ip("203.0.113.9")
        );
        // The client's part is only reached, and found unreadable, past the proxy's.
        assert_eq!(
            walk(ProxyHeader::Forwarded, &[r#"for="1.1.1.1, for=10.0.0.1"#]),
            [ip("10.0.0.1"), Hop::Unreadable]
        );
    }

    #[test]
    fn elements_that_are_not_well_formed_or_name_no_client_end_the_walk() {
        for line in [
            "for=1.1.1.1;for=2.2.2.2",
            "for",
            "=1.1.1.1",
            "for=1.1.1.1 x",
            r#"for=a"b""#,
            "proto=https",
        ] {
            assert_eq!(
                walk(ProxyHeader::Forwarded, &["for=9.9.9.9", line]),
                [Hop::Unreadable],
                "{line}"
            );
        }
    }

    #[test]
    fn nodes_drop_their_ports_and_zones_and_anything_else_is_a_name() {
        for (text, expected) in [
            ("203.0.113.7", ip("203.0.113.7")),
            ("203.0.113.7:1", ip("203.0.113.7")),
            ("[2001:db8::1]", ip("2001:db8::1")),
            ("[2001:db8::1]:_x", ip("2001:db8::1")),
            ("[::ffff:10.0.0.1]", ip("10.0.0.1")),
            ("2001:db8::1", ip("2001:db8::1")),
            ("[fe80::1%2]:5000", ip("fe80::1")),
            ("fe80::1%eth0", ip("fe80::1")),
            ("unknown", named("unknown")),
            ("unknown:4711", named("unknown")),
            ("_hidden:_port", named("_hidden")),
            ("[2001:db8::1]x", named("[2001:db8::1]x")),
            ("2001:db8::1:443x", named("2001:db8::1:443x")),
        ] {
            let hop = match node(text.as_bytes()) {
                Hop::Named(name) => Hop::Named(Cow::Owned(name.into_owned())),
                hop => hop,
            };
            assert_eq!(hop, expected, "{text}");
        }
    }

    #[test]
    fn unquoted_addresses_with_brackets_or_ports_are_read_too() {
        assert_eq!(
            walk(
                ProxyHeader::Forwarded,
                &["for=1.2.3.4:80, for=[2001:db8::1]:443, for=2001:db8::2"]
            ),
            [ip("2001:db8::2"), ip("2001:db8::1"), ip("1.2.3.4")]
        );
    }
}
