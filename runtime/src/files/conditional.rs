//! What a request's conditional and range headers ask of one file
//! (RFC 9110 §13 and §14): the whole file, nothing new (304), a failed
//! precondition (412), some ranges of it (206), or none it has (416).

use std::ops::Range;
use std::time::SystemTime;

use http::{header, HeaderMap, HeaderValue, Method};

/// The most ranges one request may ask for; beyond, the `Range` header is
/// ignored and the whole file sent (RFC 9110 lets a server ignore it), so
/// that thousands of tiny ranges cannot multiply the work of one request.
pub(crate) const MAX_RANGES: usize = 16;

/// What to answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 200 with the whole file.
    Whole,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: a precondition (`If-Match`, `If-Unmodified-Since`) failed.
    PreconditionFailed,
    /// 206 with these byte ranges (one, or several as `multipart/byteranges`).
    Partial(Vec<Range<u64>>),
    /// 416: no range asked for is in the file.
    Unsatisfiable,
}

/// The validators of one representation of a file.
pub(crate) struct Validators<'a> {
    /// The strong entity tag, quoted: `"1a2b-3c4d"`.
    pub(crate) etag: &'a str,
    /// Last modification, to the second, if the file system knows it.
    pub(crate) modified: Option<SystemTime>,
    pub(crate) len: u64,
}

/// Decides the answer, in the order RFC 9110 §13.2.2 gives.
pub(crate) fn decide(method: &Method, headers: &HeaderMap, file: &Validators<'_>) -> Answer {
    let read = *method == Method::GET || *method == Method::HEAD;
    if let Some(value) = header_list(headers, header::IF_MATCH) {
        if !matches_any(&value, file.etag, Comparison::Strong) {
            return Answer::PreconditionFailed;
        }
    } else if let Some(since) = header_date(headers, header::IF_UNMODIFIED_SINCE) {
        if file.modified.is_some_and(|modified| modified > since) {
            return Answer::PreconditionFailed;
        }
    }
    if let Some(value) = header_list(headers, header::IF_NONE_MATCH) {
        if matches_any(&value, file.etag, Comparison::Weak) {
            return if read {
                Answer::NotModified
            } else {
                Answer::PreconditionFailed
            };
        }
    } else if read {
        if let (Some(since), Some(modified)) = (
            header_date(headers, header::IF_MODIFIED_SINCE),
            file.modified,
        ) {
            if modified <= since {
                return Answer::NotModified;
            }
        }
    }
    // Ranges are defined for GET alone.
    if *method != Method::GET {
        return Answer::Whole;
    }
    let Some(range) = header_str(headers, header::RANGE) else {
        return Answer::Whole;
    };
    if let Some(condition) = header_str(headers, header::IF_RANGE) {
        if !if_range_holds(condition, file) {
            return Answer::Whole;
        }
    }
    match parse_ranges(range, file.len) {
        Parsed::Ignore => Answer::Whole,
        Parsed::Unsatisfiable => Answer::Unsatisfiable,
        Parsed::Ranges(ranges) => Answer::Partial(ranges),
    }
}

/// `If-Range`: an entity tag must match strongly; a date must equal the
/// last modification exactly.
fn if_range_holds(condition: &str, file: &Validators<'_>) -> bool {
    let condition = condition.trim();
    if condition.starts_with('"') || condition.starts_with("W/") {
        return condition == file.etag;
    }
    // A date is a weak validator: it holds only for a file last changed at
    // least a second before now, since two changes within one second share
    // it (Apache's rule).
    match (httpdate::parse_http_date(condition), file.modified) {
        (Ok(date), Some(modified)) => {
            date == modified && modified + std::time::Duration::from_secs(1) <= SystemTime::now()
        }
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Comparison {
    Strong,
    Weak,
}

/// Whether an `If-Match`/`If-None-Match` list (`*`, or tags separated by
/// commas) holds `etag`. Ours are strong; a weak tag (`W/"…"`) matches only
/// in the weak comparison.
fn matches_any(list: &str, etag: &str, comparison: Comparison) -> bool {
    if list.trim() == "*" {
        return true;
    }
    list.split(',')
        .map(str::trim)
        .any(|tag| match tag.strip_prefix("W/") {
            Some(weak) => matches!(comparison, Comparison::Weak) && weak == etag,
            None => tag == etag,
        })
}

/// A list header, its lines joined with commas (a list may be sent on several lines).
fn header_list(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let mut lines = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok());
    let first = lines.next()?;
    Some(lines.fold(first.to_owned(), |list, line| list + "," + line))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// A date header; one that does not parse is ignored, as RFC 9110 says.
fn header_date(headers: &HeaderMap, name: header::HeaderName) -> Option<SystemTime> {
    header_str(headers, name).and_then(|value| httpdate::parse_http_date(value).ok())
}

/// A `Range` header, read.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    /// Not a `bytes=` range we understand, or too many: serve the whole file.
    Ignore,
    /// Well-formed, but no range overlaps the file.
    Unsatisfiable,
    Ranges(Vec<Range<u64>>),
}

/// `bytes=0-499`, `bytes=500-`, `bytes=-500`, and lists of them. Ranges
/// past the end are cut to it; ranges that overlap or touch are merged, in
/// the order of the file (as RFC 9110 §14.3 allows).
fn parse_ranges(value: &str, len: u64) -> Parsed {
    let value = value.trim();
    let Some(specs) = value
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| &value[6..])
    else {
        return Parsed::Ignore;
    };
    if len == 0 {
        // An empty file has no byte to range over: it is sent whole (empty).
        return Parsed::Ignore;
    }
    let mut ranges = Vec::new();
    for spec in specs
        .split(',')
        .map(str::trim)
        .filter(|spec| !spec.is_empty())
    {
        if ranges.len() == MAX_RANGES {
            return Parsed::Ignore;
        }
        let Some((first, last)) = spec.split_once('-') else {
            return Parsed::Ignore;
        };
        let (first, last) = (first.trim(), last.trim());
        let range = if first.is_empty() {
            // The last `suffix` bytes.
            let Ok(suffix) = last.parse::<u64>() else {
                return Parsed::Ignore;
            };
            if suffix == 0 {
                continue;
            }
            len.saturating_sub(suffix)..len
        } else {
            let Ok(start) = first.parse::<u64>() else {
                return Parsed::Ignore;
            };
            let end = if last.is_empty() {
                len
            } else {
                match last.parse::<u64>() {
                    Ok(last) if last >= start => last.saturating_add(1).min(len),
                    _ => return Parsed::Ignore,
                }
            };
            if start >= len {
                continue;
            }
            start..end
        };
        ranges.push(range);
    }
    if ranges.is_empty() {
        return if specs.trim().is_empty() {
            Parsed::Ignore
        } else {
            Parsed::Unsatisfiable
        };
    }
    // In the order asked for, unless some overlap or touch: then merged, in
    // the file's order (RFC 9110 §14.6 allows coalescing).
    let mut sorted = ranges.clone();
    sorted.sort_by_key(|range| range.start);
    if sorted.windows(2).all(|pair| pair[0].end < pair[1].start) {
        return Parsed::Ranges(ranges);
    }
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for range in sorted {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    Parsed::Ranges(merged)
}

/// `bytes */len`, for a 416.
pub(crate) fn unsatisfied_range(len: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("bytes */{len}")).expect("digits are a header value")
}

/// `bytes first-last/len`, for a 206.
pub(crate) fn content_range(range: &Range<u64>, len: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("bytes {}-{}/{len}", range.start, range.end - 1))
        .expect("digits are a header value")
}

#[cfg(test)]
// A range in a `Vec` is what the answers hold, one or several.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn ranges() {
        let len = 1000;
        for (header, expected) in [
            ("bytes=0-499", Parsed::Ranges(vec![0..500])),
            ("bytes=500-", Parsed::Ranges(vec![500..1000])),
            ("bytes=-200", Parsed::Ranges(vec![800..1000])),
            ("bytes=-5000", Parsed::Ranges(vec![0..1000])),
            ("bytes=900-5000", Parsed::Ranges(vec![900..1000])),
            ("bytes=0-0,-1", Parsed::Ranges(vec![0..1, 999..1000])),
            // Kept in the order asked for when they do not overlap.
            ("bytes=-1,0-0", Parsed::Ranges(vec![999..1000, 0..1])),
            ("Bytes=0-1", Parsed::Ranges(vec![0..2])),
            ("bytes= 0-9 , 20-29", Parsed::Ranges(vec![0..10, 20..30])),
            // Overlapping and touching ranges merge; order follows the file.
            ("bytes=20-29,0-9,5-19", Parsed::Ranges(vec![0..30])),
            ("bytes=1000-", Parsed::Unsatisfiable),
            ("bytes=1000-2000,5000-", Parsed::Unsatisfiable),
            ("bytes=-0", Parsed::Unsatisfiable),
            ("bytes=1000-2000,0-0", Parsed::Ranges(vec![0..1])),
            ("bytes=5-1", Parsed::Ignore),
            ("bytes=a-b", Parsed::Ignore),
            ("bytes=", Parsed::Ignore),
            ("items=0-1", Parsed::Ignore),
            ("bytes=0-1;2-3", Parsed::Ignore),
        ] {
            assert_eq!(parse_ranges(header, len), expected, "{header}");
        }
        for empty in ["bytes=-5", "bytes=0-", "bytes=-1,-2"] {
            assert_eq!(parse_ranges(empty, 0), Parsed::Ignore, "{empty}");
        }
        let many = format!("bytes={}", vec!["0-0"; MAX_RANGES + 1].join(","));
        assert_eq!(parse_ranges(&many, len), Parsed::Ignore);
    }

    #[test]
    fn preconditions_in_rfc_order() {
        let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let file = Validators {
            etag: "\"abc\"",
            modified: Some(modified),
            len: 100,
        };
        let date = |time: SystemTime| httpdate::fmt_http_date(time);
        let ask = |method: Method, pairs: &[(&'static str, String)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, value.parse().unwrap());
            }
            decide(&method, &headers, &file)
        };
        let later = date(modified + Duration::from_secs(10));
        let earlier = date(modified - Duration::from_secs(10));
        assert_eq!(ask(Method::GET, &[]), Answer::Whole);
        assert_eq!(
            ask(Method::GET, &[("if-none-match", "\"abc\"".into())]),
            Answer::NotModified
        );
        assert_eq!(
            ask(Method::GET, &[("if-none-match", "W/\"abc\"".into())]),
            Answer::NotModified
        );
        assert_eq!(
            ask(Method::HEAD, &[("if-none-match", "\"x\", \"abc\"".into())]),
            Answer::NotModified
        );
        assert_eq!(
            ask(Method::GET, &[("if-none-match", "*".into())]),
            Answer::NotModified
        );
        assert_eq!(
            ask(Method::GET, &[("if-none-match", "\"other\"".into())]),
            Answer::Whole
        );
        assert_eq!(
            ask(Method::POST, &[("if-none-match", "\"abc\"".into())]),
            Answer::PreconditionFailed
        );
        assert_eq!(
            ask(Method::GET, &[("if-modified-since", later.clone())]),
            Answer::NotModified
        );
        assert_eq!(
            ask(Method::GET, &[("if-modified-since", earlier.clone())]),
            Answer::Whole
        );
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            ask(
                Method::GET,
                &[
                    ("if-none-match", "\"other\"".into()),
                    ("if-modified-since", later.clone())
                ]
            ),
            Answer::Whole
        );
        assert_eq!(
            ask(Method::GET, &[("if-match", "\"other\"".into())]),
            Answer::PreconditionFailed
        );
        assert_eq!(
            ask(Method::GET, &[("if-match", "W/\"abc\"".into())]),
            Answer::PreconditionFailed
        );
        assert_eq!(
            ask(Method::GET, &[("if-match", "\"abc\"".into())]),
            Answer::Whole
        );
        assert_eq!(
            ask(Method::GET, &[("if-unmodified-since", earlier.clone())]),
            Answer::PreconditionFailed
        );
        assert_eq!(
            ask(Method::GET, &[("if-modified-since", "not a date".into())]),
            Answer::Whole
        );

        let range = ("range", "bytes=0-9".to_owned());
        assert_eq!(
            ask(Method::GET, std::slice::from_ref(&range)),
            Answer::Partial(vec![0..10])
        );
        assert_eq!(
            ask(Method::HEAD, std::slice::from_ref(&range)),
            Answer::Whole
        );
        assert_eq!(
            ask(Method::GET, &[("range", "bytes=100-".into())]),
            Answer::Unsatisfiable
        );
        // If-Range: the range only while the client's copy is current.
        assert_eq!(
            ask(
                Method::GET,
                &[range.clone(), ("if-range", "\"abc\"".into())]
            ),
            Answer::Partial(vec![0..10])
        );
        assert_eq!(
            ask(
                Method::GET,
                &[range.clone(), ("if-range", "\"old\"".into())]
            ),
            Answer::Whole
        );
        assert_eq!(
            ask(
                Method::GET,
                &[range.clone(), ("if-range", "W/\"abc\"".into())]
            ),
            Answer::Whole
        );
        assert_eq!(
            ask(Method::GET, &[range.clone(), ("if-range", date(modified))]),
            Answer::Partial(vec![0..10])
        );
        assert_eq!(
            ask(Method::GET, &[range, ("if-range", earlier)]),
            Answer::Whole
        );
    }
}
