//! The request body as multer reads it: counted, and cut into slices while a
//! header section is looked for, so that a header section is bounded.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::limits::HEADER_SECTION_LIMIT;
use crate::Body;

/// What the body stream has delivered, shared with the stream that multer
/// reads: while a field's header section is being looked for, more than
/// [`HEADER_SECTION_LIMIT`] bytes is an error (multer would buffer them).
#[derive(Default)]
pub(super) struct Meter {
    delivered: AtomicU64,
    headers_from: AtomicU64,
    in_headers: AtomicBool,
}

impl Meter {
    /// Marks the header phase until the guard drops (also when the
    /// `next_field` future is dropped half-way).
    pub(super) fn headers_phase(&self) -> HeadersPhase<'_> {
        self.headers_from
            .store(self.delivered.load(Ordering::Relaxed), Ordering::Relaxed);
        self.in_headers.store(true, Ordering::Relaxed);
        HeadersPhase(self)
    }
}

pub(super) struct HeadersPhase<'a>(&'a Meter);

impl Drop for HeadersPhase<'_> {
    fn drop(&mut self) {
        self.0.in_headers.store(false, Ordering::Relaxed);
    }
}

/// The marker error the metered stream fails with.
#[derive(Debug)]
pub(super) struct HeadersTooLarge;

impl std::fmt::Display for HeadersTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field's header section is too large")
    }
}

impl std::error::Error for HeadersTooLarge {}

/// How much of the body multer is given at a time while it looks for a
/// header section: it reads everything the stream has ready before it
/// parses, so chunks are cut to this size and a `Pending` put between them.
/// The header section is then measured to within one slice, however the
/// transport happened to chunk the body.
const HEADER_SLICE: usize = 8 * 1024;

/// The request body as a stream of bytes, metered.
pub(super) struct MeteredBody {
    pub(super) body: http_body_util::BodyDataStream<Body>,
    pub(super) meter: Arc<Meter>,
    /// The rest of a chunk cut into slices.
    pub(super) held: Bytes,
    /// Whether a slice was just given in the header phase (a `Pending` comes next).
    pub(super) sliced: bool,
}

impl Stream for MeteredBody {
    type Item = Result<Bytes, crate::BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let in_headers = self.meter.in_headers.load(Ordering::Relaxed);
        if in_headers && std::mem::take(&mut self.sliced) {
            // Let multer parse what it has before it takes more.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut data = if self.held.is_empty() {
            match Pin::new(&mut self.body).poll_next(cx) {
                Poll::Ready(Some(Ok(data))) => data,
                other => return other,
            }
        } else {
            std::mem::take(&mut self.held)
        };
        if in_headers && data.len() > HEADER_SLICE {
            self.held = data.split_off(HEADER_SLICE);
        }
        let meter = &self.meter;
        let delivered = meter.delivered.load(Ordering::Relaxed) + data.len() as u64;
        meter.delivered.store(delivered, Ordering::Relaxed);
        if in_headers {
            if delivered - meter.headers_from.load(Ordering::Relaxed)
                > HEADER_SECTION_LIMIT + HEADER_SLICE as u64
            {
                return Poll::Ready(Some(Err(Box::new(HeadersTooLarge))));
            }
            self.sliced = true;
        }
        Poll::Ready(Some(Ok(data)))
    }
}
