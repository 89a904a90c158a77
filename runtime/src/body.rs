//! The one body type that flows through waypost, for requests and responses alike.
//!
//! A single concrete enum instead of a boxed trait object: a full buffer or an
//! empty body (what almost every response is) costs no allocation and no
//! dynamic dispatch; only streams pay for a box.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use sync_wrapper::SyncWrapper;

/// The error type of a streaming body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTP body: empty, one buffer, a body arriving from hyper, or any other stream.
///
/// ```
/// use waypost::Body;
/// let body = Body::from("hello");
/// assert_eq!(http_body::Body::size_hint(&body).exact(), Some(5));
/// ```
pub struct Body(Kind);

enum Kind {
    Empty,
    Full(Option<Bytes>),
    Incoming(hyper::body::Incoming),
    /// Any other body. Only `Send` is asked of it (a `BoxStream` qualifies);
    /// `SyncWrapper` makes the `Body` `Sync` all the same, since it is only
    /// ever polled through `&mut`. Its size hint and end are kept beside it.
    Boxed {
        body: SyncWrapper<UnsyncBoxBody<Bytes, BoxError>>,
        size_hint: SizeHint,
        ended: bool,
    },
}

impl Body {
    /// A body with no bytes.
    pub const fn empty() -> Self {
        Body(Kind::Empty)
    }

    /// Wraps any `http_body::Body` (a stream, a file, a channel).
    pub fn from_stream<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        // A body that is one already is not boxed twice.
        let mut slot = Some(body);
        if let Some(body) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Body>>() {
            return body.take().unwrap_or_default();
        }
        let body = slot.expect("the body is still in its slot");
        let size_hint = body.size_hint();
        let ended = body.is_end_stream();
        Body(Kind::Boxed {
            body: SyncWrapper::new(body.map_err(Into::into).boxed_unsync()),
            size_hint,
            ended,
        })
    }
}

impl Body {
    /// A body from a stream of byte chunks, sent as they come (chunked in
    /// HTTP/1.1). The stream is polled only when the connection can take more,
    /// so a slow client slows the stream down instead of making the server
    /// buffer it; it is dropped when the client goes away. Only `Send` is
    /// asked of it.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use waypost::{get, Body};
    ///
    /// #[get("/count")]
    /// async fn count() -> Body {
    ///     let numbers = futures_util::stream::iter(1..=3)
    ///         .map(|n| Ok::<_, std::io::Error>(format!("{n}\n")));
    ///     Body::from_byte_stream(numbers)
    /// }
    /// # let _ = waypost::routes![count];
    /// ```
    pub fn from_byte_stream<S, B, E>(stream: S) -> Self
    where
        S: futures_core::Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        Body::from_stream(ByteStream { stream })
    }
}

pin_project_lite::pin_project! {
    /// A stream of byte chunks as an `http_body::Body` of data frames.
    struct ByteStream<S> {
        #[pin]
        stream: S,
    }
}

impl<S, B, E> http_body::Body for ByteStream<S>
where
    S: futures_core::Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.project().stream.poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk.into())))),
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
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
            Kind::Boxed { .. } => "stream",
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
            Kind::Boxed {
                body,
                size_hint,
                ended,
            } => {
                let poll = Pin::new(body.get_mut()).poll_frame(cx);
                match &poll {
                    Poll::Ready(None) => *ended = true,
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Some(data) = frame.data_ref() {
                            let len = data.len() as u64;
                            let lower = size_hint.lower().saturating_sub(len);
                            let upper = size_hint.upper().map(|u| u.saturating_sub(len));
                            *size_hint = SizeHint::new();
                            size_hint.set_lower(lower);
                            if let Some(upper) = upper {
                                size_hint.set_upper(upper);
                            }
                        }
                    }
                    _ => {}
                }
                poll
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Incoming(body) => body.is_end_stream(),
            Kind::Boxed { ended, .. } => *ended,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Incoming(body) => body.size_hint(),
            Kind::Boxed { size_hint, .. } => *size_hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn a_send_only_stream_makes_a_body_that_is_send_and_sync() {
        assert_send_sync::<Body>();
        // `UnsyncBoxBody` is `Send` but not `Sync`.
        let unsync = http_body_util::Full::new(Bytes::from_static(b"abc"))
            .map_err(|never| -> BoxError { match never {} })
            .boxed_unsync();
        let body = Body::from_stream(unsync);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(3));
    }

    #[test]
    fn a_body_is_not_boxed_twice() {
        let body = Body::from_stream(Body::from("abc"));
        assert!(format!("{body:?}").contains("full"));
    }
}
