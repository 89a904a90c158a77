//! `RequestId`: a request id kept from the client or made, echoed on the
//! response, recorded on the request's span and inserted into extensions.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

use http::{HeaderName, HeaderValue};

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
        let id = match req.headers().get(&header) {
            Some(value) if usable(value) => value.clone(),
            _ => new_id(),
        };
        tracing::Span::current().record(
            "request_id",
            tracing::field::display(id.to_str().unwrap_or_default()),
        );
        req.extensions_mut().insert(RequestIdValue(id.clone()));
        HandlerFuture::new(async move {
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

fn usable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_INCOMING && bytes.iter().all(u8::is_ascii_graphic)
}

thread_local! {
    /// A random 64-bit prefix per thread and a counter: unique within the
    /// process, unguessable across restarts, no lock and no shared counter.
    static ID_STATE: (u64, Cell<u64>) = (RandomState::new().hash_one(std::thread::current().id()), Cell::new(0));
}

/// 32 lowercase hex digits, in a buffer whose clones share it by reference
/// count (a clone of a `Vec`-backed value would copy it into a new allocation).
fn new_id() -> HeaderValue {
    let (prefix, count) = ID_STATE.with(|(prefix, counter)| {
        let count = counter.get().wrapping_add(1);
        counter.set(count);
        (*prefix, count)
    });
    let value = (u128::from(prefix) << 64) | u128::from(count);
    let mut text = [0u8; 32];
    for (i, byte) in text.iter_mut().enumerate() {
        let nibble = (value >> (124 - 4 * i)) & 0xf;
        *byte = b"0123456789abcdef"[nibble as usize];
    }
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(text))
        .expect("hex digits are a valid header value")
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
    fn incoming_ids_must_be_short_visible_ascii() {
        assert!(usable(&HeaderValue::from_static("abc-123")));
        assert!(!usable(&HeaderValue::from_static("")));
        assert!(!usable(&HeaderValue::from_static("has space")));
        assert!(!usable(&HeaderValue::from_str(&"x".repeat(129)).unwrap()));
    }
}
