//! `RequestId`: a request id kept from the client or made, echoed on the
//! response, recorded on the request's span and inserted into extensions.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::{Middleware, Next, Provided};
use crate::request::Request;
use crate::route::HandlerFuture;

/// The id of one request, as [`RequestId`] inserts it into the request's
/// extensions (take it with `Extension<RequestIdValue>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIdValue(pub HeaderValue);

impl RequestIdValue {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// Gives every request an id: the client's `X-Request-Id` when it sent a
/// usable one (visible ASCII, at most 128 bytes), or a new one. The id is
/// echoed on the response, recorded as `request_id` on the request's span
/// and inserted as [`RequestIdValue`] (a made id is not written into the
/// request's headers: take it from the extension).
///
/// ```
/// use waypost::{middleware::RequestId, App};
/// let app = App::new().wrap(RequestId::new().header("x-correlation-id"));
/// ```
#[derive(Debug, Clone)]
pub struct RequestId {
    header: HeaderName,
}

const DEFAULT_HEADER: HeaderName = HeaderName::from_static("x-request-id");
const MAX_INCOMING: usize = 128;

impl RequestId {
    /// Reads and writes `X-Request-Id`.
    pub fn new() -> Self {
        RequestId {
            header: DEFAULT_HEADER,
        }
    }

    /// Reads and writes `name` instead. Panics if `name` is not a valid header name.
    pub fn header(mut self, name: &str) -> Self {
        self.header = HeaderName::try_from(name).expect("RequestId::header: invalid header name");
        self
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl Middleware for RequestId {
    fn call(&self, mut req: Request, next: Next) -> HandlerFuture {
        let header = self.header.clone();
        let id = match find(req.headers(), &header) {
            Some(value) if usable(value) => value.clone(),
            _ => new_id(),
        };
        // The request's span is at INFO: when nothing records INFO there is
        // no span to record on (and finding that out from the span costs
        // more than this check).
        if tracing::level_enabled!(tracing::Level::INFO) {
            tracing::Span::current().record(
                "request_id",
                tracing::field::display(id.to_str().unwrap_or_default()),
            );
        }
        req.extensions_mut().insert(RequestIdValue(id.clone()));
        HandlerFuture::new_in(req, move |req| async move {
            let mut response = next.run(req).await;
            response.headers_mut().insert(header, id);
            response
        })
    }

    fn name(&self) -> &'static str {
        "RequestId"
    }

    fn provides(&self, provided: &mut Provided) {
        provided.insert::<RequestIdValue>();
    }
}

/// The first value of `name`: found by comparing names when there are few
/// (a request has a handful of headers, and hashing a name costs as much as
/// comparing it with a dozen), by hash otherwise.
fn find<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a HeaderValue> {
    if headers.keys_len() <= 8 {
        headers
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    } else {
        headers.get(name)
    }
}

fn usable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_INCOMING && bytes.iter().all(u8::is_ascii_graphic)
}

/// Each byte's two lowercase hex digits: a lookup per byte rather than a shift and a lookup per digit.
const HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [digits[byte >> 4], digits[byte & 0xf]];
        byte += 1;
    }
    pairs
};

const ID_LEN: usize = 32;

/// This thread's ids: a random 64-bit prefix, its digits made once, and a
/// counter. Unique within the process, unguessable across restarts, no lock
/// and no shared counter.
struct Ids {
    prefix: Option<[u8; 16]>,
    count: u64,
}

thread_local! {
    static IDS: Cell<Ids> = const { Cell::new(Ids::EMPTY) };
}

impl Ids {
    const EMPTY: Ids = Ids {
        prefix: None,
        count: 0,
    };

    fn next(&mut self) -> [u8; ID_LEN] {
        // Each `RandomState` has keys of its own (random per thread, then
        // counted): hashing anything with them gives a random prefix.
        let prefix = *self
            .prefix
            .get_or_insert_with(|| hex(RandomState::new().hash_one(0u8)));
        self.count = self.count.wrapping_add(1);
        let mut id = [0; ID_LEN];
        id[..16].copy_from_slice(&prefix);
        id[16..].copy_from_slice(&hex(self.count));
        id
    }
}

/// The 16 lowercase hex digits of `value`.
fn hex(value: u64) -> [u8; 16] {
    let mut text = [0; 16];
    for (pair, byte) in text.chunks_exact_mut(2).zip(value.to_be_bytes()) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
    }
    text
}

/// 32 lowercase hex digits, in a buffer whose clones share it by reference
/// count (cloning it into the extensions and onto the response allocates
/// nothing). One buffer per id: ids made 128 to a shared buffer cost 100
/// instructions less, but the buffers, freed with their last id on whichever
/// thread that is, made the soak's resident memory creep (+2 to +5 MiB over
/// four rounds against +0.7 MiB).
fn new_id() -> HeaderValue {
    // While the thread ends (a destructor answering a request) its storage
    // may be gone: the id is then made from a fresh state.
    let id = IDS
        .try_with(|ids| {
            let mut state = ids.replace(Ids::EMPTY);
            let id = state.next();
            ids.set(state);
            id
        })
        .unwrap_or_else(|_| {
            let mut state = Ids::EMPTY;
            state.next()
        });
    // SAFETY: lowercase hex digits are valid in a header value (debug builds check).
    unsafe { HeaderValue::from_maybe_shared_unchecked(Bytes::from_owner(id)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.as_bytes().iter().all(u8::is_ascii_hexdigit));
    }

    #[test]
    fn ids_are_the_hex_digits_of_prefix_and_count() {
        let id = new_id();
        let value = u128::from_str_radix(id.to_str().unwrap(), 16).unwrap();
        let next = u128::from_str_radix(new_id().to_str().unwrap(), 16).unwrap();
        assert_eq!(next, value + 1, "the low half counts");
        // Many in a row stay whole and count up.
        let ids: Vec<_> = (0..300).map(|_| new_id()).collect();
        for pair in ids.windows(2) {
            let (a, b) = (pair[0].to_str().unwrap(), pair[1].to_str().unwrap());
            assert_eq!(b.len(), ID_LEN);
            assert_eq!(
                u128::from_str_radix(b, 16).unwrap(),
                u128::from_str_radix(a, 16).unwrap() + 1
            );
        }
    }

    #[test]
    fn a_header_is_found_among_few_or_many() {
        let name = HeaderName::from_static("x-request-id");
        for others in [0, 3, 20] {
            let mut headers = HeaderMap::new();
            for i in 0..others {
                headers.insert(
                    HeaderName::try_from(format!("x-other-{i}")).unwrap(),
                    HeaderValue::from(i),
                );
            }
            assert_eq!(find(&headers, &name), None);
            headers.append(&name, HeaderValue::from_static("first"));
            headers.append(&name, HeaderValue::from_static("second"));
            headers.insert(http::header::HOST, HeaderValue::from_static("h"));
            assert_eq!(
                find(&headers, &name).unwrap(),
                "first",
                "with {others} other headers"
            );
        }
    }

    #[test]
    fn incoming_ids_must_be_short_visible_ascii() {
        assert!(usable(&HeaderValue::from_static("abc-123")));
        assert!(!usable(&HeaderValue::from_static("")));
        assert!(!usable(&HeaderValue::from_static("has space")));
        assert!(!usable(&HeaderValue::from_str(&"x".repeat(129)).unwrap()));
    }
}
