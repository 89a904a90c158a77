//! The one body type that flows through waypost, for requests and responses alike.
//!
//! A single concrete enum instead of a boxed trait object: a full buffer or an
//! empty body (what almost every response is) costs no allocation and no
//! dynamic dispatch; only streams pay for a box.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

/// The error type of a streaming body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTP body: empty, one buffer, a body arriving from hyper, or any other stream.
///
/// ```
/// use waypost_runtime::Body;
/// let body = Body::from("hello");
/// assert_eq!(http_body::Body::size_hint(&body).exact(), Some(5));
/// ```
pub struct Body(Kind);

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Incoming(hyper::body::Incoming),
    Boxed(http_body_util::combinators::BoxBody<Bytes, BoxError>),
}

impl Body {
    /// A body with no bytes.
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// Wraps any `http_body::Body` (a stream, a file, a channel).
    pub fn from_stream<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
        Body(Kind::Boxed(body.map_err(Into::into).boxed()))
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.0 {
            Kind::Empty => "empty",
            Kind::Full(_) => "full",
            Kind::Incoming(_) => "incoming",
            Kind::Boxed(_) => "stream",
        };
        f.debug_tuple("Body").field(&kind).finish()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            Body::empty()
        } else {
            Body(Kind::Full(Some(bytes)))
        }
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl From<hyper::body::Incoming> for Body {
    fn from(body: hyper::body::Incoming) -> Self {
        Body(Kind::Incoming(body))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().0 {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Incoming(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            Kind::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Incoming(body) => body.is_end_stream(),
            Kind::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Incoming(body) => body.size_hint(),
            Kind::Boxed(body) => body.size_hint(),
        }
    }
}
