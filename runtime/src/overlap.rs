//! Which routes conflict: one rule, applied by `routes![]` in `const`
//! evaluation and by `App::build` over the full, prefixed paths.
//!
//! Paths are compared as shapes (`/files/<>`, `/files/<..>`: parameter names
//! erased), segment by segment from the left:
//!
//! - the same literal, two parameters, or two catch-alls: go on;
//! - two different literals: the paths never match the same request;
//! - a literal against a parameter or catch-all: the literal wins (`/users/me`
//!   beside `/users/<id>`), so both can be served;
//! - a parameter against a catch-all (`/files/<name>` beside
//!   `/files/<rest..>`): **conflict**, whatever the methods, because the
//!   router cannot hold both at one place;
//! - both paths end together: they match the same requests, a **conflict**
//!   when they share a method.
//!
//! `routes![]` finds the pairs to compare without comparing every pair: each
//! route yields a hash of its whole shape and one of the shape before each
//! parameter (computed by the route attribute, natively: `.candidate_keys`); grouped in
//! hash buckets, only routes whose hashes meet are compared by the rule.
//! That keeps a list of a thousand handlers cheap to check: constant
//! evaluation interprets every step, so it does one pass and no sorting.

use std::collections::HashMap;

use crate::app::BuildError;
use crate::route::{MethodSet, Route};

/// How two routes conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// They share a method and their paths match the same requests.
    SameRequests,
    /// A parameter of one sits where the other has a catch-all, after the same segments.
    ParameterBesideCatchAll,
}

/// The rule: whether routes with shapes `a` and `b` (as `Route::path_shape`
/// writes them) and methods `a_methods` and `b_methods` conflict.
pub(crate) const fn overlap(
    a: &str,
    a_methods: MethodSet,
    b: &str,
    b_methods: MethodSet,
) -> Option<Overlap> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Both cursors sit on a `/` that starts a segment.
    let (mut i, mut j) = (0, 0);
    loop {
        match (i >= a.len(), j >= b.len()) {
            (true, true) if a_methods.intersects(b_methods) => return Some(Overlap::SameRequests),
            (true, _) | (_, true) => return None,
            _ => {}
        }
        let (a_end, b_end) = (segment_end(a, i + 1), segment_end(b, j + 1));
        match (kind(a, i + 1, a_end), kind(b, j + 1, b_end)) {
            (Kind::Literal, Kind::Literal) => {
                if !bytes_eq(a, i + 1, a_end, b, j + 1, b_end) {
                    return None;
                }
            }
            (Kind::Parameter, Kind::Parameter) | (Kind::CatchAll, Kind::CatchAll) => {}
            (Kind::Parameter, Kind::CatchAll) | (Kind::CatchAll, Kind::Parameter) => {
                return Some(Overlap::ParameterBesideCatchAll)
            }
            (Kind::Literal, _) | (_, Kind::Literal) => return None,
        }
        (i, j) = (a_end, b_end);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Literal,
    Parameter,
    CatchAll,
}

/// The kind of the segment `shape[start..end]`.
const fn kind(shape: &[u8], start: usize, end: usize) -> Kind {
    if end - start == 2 && shape[start] == b'<' && shape[start + 1] == b'>' {
        Kind::Parameter
    } else if end - start == 4 && shape[start] == b'<' && shape[start + 1] == b'.' {
        Kind::CatchAll
    } else {
        Kind::Literal
    }
}

/// Where the segment starting at `start` ends: the next `/`, or the end.
const fn segment_end(shape: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < shape.len() && shape[end] != b'/' {
        end += 1;
    }
    end
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    bytes_eq(a, 0, a.len(), b, 0, b.len())
}

const fn bytes_eq(
    a: &[u8],
    a_start: usize,
    a_end: usize,
    b: &[u8],
    b_start: usize,
    b_end: usize,
) -> bool {
    if a_end - a_start != b_end - b_start {
        return false;
    }
    let mut k = 0;
    while k < a_end - a_start {
        if a[a_start + k] != b[b_start + k] {
            return false;
        }
        k += 1;
    }
    true
}

// ------------------------------------------------------------ build time

/// A route as `App::build` sees it: its shape and path with the mount prefix joined.
pub(crate) struct Mounted {
    pub(crate) shape: String,
    pub(crate) path: String,
    pub(crate) route: &'static Route,
}

/// Applies the rule to every pair of mounted routes that may conflict (the
/// same candidates as `routes![]` uses, as strings): the first conflict, in
/// mount order, is the error.
pub(crate) fn check_mounted(routes: &[Mounted]) -> Result<(), BuildError> {
    let mut whole: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut before: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (index, mounted) in routes.iter().enumerate() {
        let shape = mounted.shape.as_str();
        let mut earlier: Vec<usize> = whole.get(shape).cloned().unwrap_or_default();
        for (at, _) in shape.match_indices("/<") {
            let (parameters, catch_alls) = before.entry(&shape[..at]).or_default();
            if shape[at..].starts_with("/<..>") {
                earlier.extend(parameters.iter());
                catch_alls.push(index);
            } else {
                earlier.extend(catch_alls.iter());
                parameters.push(index);
            }
        }
        earlier.sort_unstable();
        for first in earlier {
            conflict(&routes[first], mounted)?;
        }
        whole.entry(shape).or_default().push(index);
    }
    Ok(())
}

fn conflict(first: &Mounted, second: &Mounted) -> Result<(), BuildError> {
    let (a, b) = (first.route, second.route);
    match overlap(&first.shape, a.methods(), &second.shape, b.methods()) {
        None => Ok(()),
        Some(Overlap::SameRequests) => Err(BuildError::Conflict {
            method: a
                .methods()
                .intersection(b.methods())
                .iter()
                .next()
                .expect("routes that match the same requests share a method"),
            first_path: first.path.clone(),
            first: a.describe(),
            second_path: second.path.clone(),
            second: b.describe(),
        }),
        Some(Overlap::ParameterBesideCatchAll) => Err(BuildError::ParameterBesideCatchAll {
            first_path: first.path.clone(),
            first: a.describe(),
            second_path: second.path.clone(),
            second: b.describe(),
        }),
    }
}

// ------------------------------------------------------------ compile time

/// A hash of a route's whole shape (kind 0) or of its shape before a
/// parameter (kind 1) or catch-all (kind 2), kind in the low two bits; and
/// the route's index in its `routes![]` list.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Candidate {
    key: u64,
    route: u32,
}

const WHOLE: u64 = 0;
const BEFORE_PARAMETER: u64 = 1;
const BEFORE_CATCH_ALL: u64 = 2;
/// The index recorded for a route that conflicts with no earlier one.
const NONE: u32 = u32::MAX;

/// How many candidates `routes` yields: the keys its route attributes
/// computed, one per route and one per parameter.
#[doc(hidden)]
pub const fn candidate_count(routes: &[Route]) -> usize {
    let mut count = 0;
    let mut r = 0;
    while r < routes.len() {
        count += routes[r].precomputed_keys().len();
        r += 1;
    }
    count
}

/// The candidates of `routes`, in route order. `K` is [`candidate_count`].
#[doc(hidden)]
pub const fn candidates<const K: usize>(routes: &[Route]) -> [Candidate; K] {
    let mut out = [Candidate { key: 0, route: 0 }; K];
    let mut n = 0;
    let mut r = 0;
    while r < routes.len() {
        let keys = routes[r].precomputed_keys();
        let mut k = 0;
        while k < keys.len() {
            out[n] = Candidate {
                key: keys[k],
                route: r as u32,
            };
            n += 1;
            k += 1;
        }
        r += 1;
    }
    out
}

/// For each route, an earlier route it conflicts with (`u32::MAX` for none).
/// Only routes whose candidates meet are compared, by [`overlap`]: each
/// candidate is compared with the earlier ones of the same hash that it may
/// conflict with (whole shapes with whole shapes; a shape before a
/// parameter with those before a catch-all, and the other way round), found
/// through one chain per kind and hash bucket. Shapes before parameters,
/// which may be many under one prefix, are never compared with each other.
#[doc(hidden)]
pub const fn conflicts<const N: usize, const K: usize>(
    routes: &[Route],
    candidates: &[Candidate; K],
) -> [u32; N] {
    let mut found = [NONE; N];
    // The latest candidate of each kind in each bucket, and for each
    // candidate the one before it in its chain.
    let mut heads = [[NONE; K]; 3];
    let mut next = [NONE; K];
    let mut c = 0;
    while c < K {
        let key = candidates[c].key;
        let (hash, kind) = (key >> 2, key & 3);
        let bucket = (hash % K as u64) as usize;
        let meets = match kind {
            WHOLE => WHOLE,
            BEFORE_PARAMETER => BEFORE_CATCH_ALL,
            _ => BEFORE_PARAMETER,
        };
        let mut earlier = heads[meets as usize][bucket];
        while earlier != NONE {
            if candidates[earlier as usize].key >> 2 == hash {
                record(
                    routes,
                    &mut found,
                    candidates[earlier as usize].route,
                    candidates[c].route,
                );
            }
            earlier = next[earlier as usize];
        }
        next[c] = heads[kind as usize][bucket];
        heads[kind as usize][bucket] = c as u32;
        c += 1;
    }
    found
}

/// Records that the later of routes `a` and `b` conflicts with the earlier, if the rule says so.
const fn record<const N: usize>(routes: &[Route], found: &mut [u32; N], a: u32, b: u32) {
    if a == b {
        return;
    }
    let (earlier, later) = if a < b { (a, b) } else { (b, a) };
    if found[later as usize] != NONE && found[later as usize] <= earlier {
        return;
    }
    let (first, second) = (&routes[earlier as usize], &routes[later as usize]);
    let rule = overlap(
        first.path_shape(),
        first.methods(),
        second.path_shape(),
        second.methods(),
    );
    if rule.is_some() {
        found[later as usize] = earlier;
    }
}

/// Fails compilation (by panicking in `const` evaluation) if route `index`
/// conflicts with an earlier one, naming both in the user's own syntax.
#[doc(hidden)]
pub const fn assert_no_conflict<const N: usize>(routes: &[Route], found: &[u32; N], index: usize) {
    let earlier = found[index];
    if earlier == NONE {
        return;
    }
    let (first, second) = (&routes[earlier as usize], &routes[index]);
    let mut message = Message::new();
    message.push("route conflict: ");
    match overlap(
        first.path_shape(),
        first.methods(),
        second.path_shape(),
        second.methods(),
    ) {
        Some(Overlap::SameRequests) => {
            let shared = second.methods().intersection(first.methods());
            describe(&mut message, second, shared);
            message.push(" matches the same requests as ");
            describe(&mut message, first, shared);
            message.push(", earlier in this `routes![]` list");
            if !str_eq(first.path(), second.path()) {
                message.push(" (parameter names and percent-encoding do not tell paths apart)");
            }
            message.push(": change a path or a method, or remove one of the handlers");
        }
        _ => {
            describe(&mut message, second, second.methods());
            message.push(" and ");
            describe(&mut message, first, first.methods());
            message.push(
                ", earlier in this `routes![]` list, put a parameter and a catch-all at the same place \
                 in the path: the router cannot hold both there, whatever the methods; put a literal \
                 segment before one of them, or serve both paths from one handler",
            );
        }
    }
    panic!("{}", message.as_str());
}

/// `` `GET /users/<id>` (handler `get_user`) ``
const fn describe(message: &mut Message, route: &Route, methods: MethodSet) {
    message.push("`");
    let mut bit = 0;
    let mut first = true;
    while bit < MethodSet::NAMES.len() {
        if methods.contains_bit(bit) {
            if !first {
                message.push(", ");
            }
            message.push(MethodSet::NAMES[bit]);
            first = false;
        }
        bit += 1;
    }
    message.push(" ");
    message.push(route.path());
    message.push("` (handler `");
    message.push(route.handler_name());
    message.push("`)");
}

/// A message assembled in `const` evaluation, cut at a character boundary if it outgrows its buffer.
struct Message {
    bytes: [u8; 1024],
    len: usize,
}

impl Message {
    const fn new() -> Self {
        Message {
            bytes: [0; 1024],
            len: 0,
        }
    }

    const fn push(&mut self, text: &str) {
        let text = text.as_bytes();
        let mut i = 0;
        while i < text.len() {
            // Whole characters only: one that does not fit is dropped with the rest.
            let width = match text[i] {
                0..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            if self.len + width > self.bytes.len() || i + width > text.len() {
                return;
            }
            let mut k = 0;
            while k < width {
                self.bytes[self.len] = text[i + k];
                self.len += 1;
                k += 1;
            }
            i += width;
        }
    }

    const fn as_str(&self) -> &str {
        let (bytes, _) = self.bytes.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => "route conflict",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: MethodSet = MethodSet::GET;
    const POST: MethodSet = MethodSet::POST;

    #[test]
    fn the_rule() {
        let cases = [
            (
                "/users/<>",
                GET,
                "/users/<>",
                GET,
                Some(Overlap::SameRequests),
            ),
            ("/users/<>", GET, "/users/<>", POST, None),
            ("/users/<>", GET, "/users/me", GET, None),
            ("/users/<>", GET, "/users/<>/", GET, None),
            ("/users", GET, "/users/", GET, None),
            ("/", GET, "/", GET, Some(Overlap::SameRequests)),
            ("/", GET, "/<..>", GET, None),
            (
                "/files/<>",
                GET,
                "/files/<..>",
                POST,
                Some(Overlap::ParameterBesideCatchAll),
            ),
            (
                "/<>/b",
                GET,
                "/<..>",
                POST,
                Some(Overlap::ParameterBesideCatchAll),
            ),
            ("/files/x", GET, "/files/<..>", GET, None),
            ("/a/<>/x", GET, "/a/<>/<..>", GET, None),
            ("/a/<..>", GET, "/a/<..>", GET, Some(Overlap::SameRequests)),
            ("/a/<..>", GET, "/a/b/<..>", GET, None),
            ("/a/<>/c", GET, "/a/<>/<>", GET, None),
            ("/a/b", GET, "/a/c", GET, None),
        ];
        for (a, am, b, bm, expected) in cases {
            assert_eq!(overlap(a, am, b, bm), expected, "{a} {b}");
            assert_eq!(overlap(b, bm, a, am), expected, "{b} {a}");
        }
    }

    #[test]
    fn precomputed_keys_are_used_as_given() {
        let route = Route::new(GET, "/a", |_| unreachable!())
            .shape("/a", "/a")
            .candidate_keys(&[7, 11]);
        let routes = [route];
        assert_eq!(candidate_count(&routes), 2);
        let keys: [Candidate; 2] = candidates(&routes);
        assert_eq!(keys.map(|candidate| candidate.key), [7, 11]);
    }

    #[test]
    fn messages_are_cut_at_a_character_boundary() {
        let mut message = Message::new();
        message.push(&"a".repeat(1023));
        message.push("é");
        assert_eq!(message.as_str(), "a".repeat(1023));
        let mut message = Message::new();
        message.push("GET /café");
        assert_eq!(message.as_str(), "GET /café");
    }
}
