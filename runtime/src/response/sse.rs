//! Server-sent events: a `text/event-stream` response from a stream of events.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::{header, HeaderValue};
use http_body::Frame;
use tokio::time::{Instant, Sleep};

use super::{IntoResponse, Response};
use crate::{Body, BoxError};

/// A `text/event-stream` response: each event of `stream` is written as it
/// comes, and a comment line keeps the connection alive while none does
/// (every 15 s by default, [`Sse::keep_alive`]). The stream is polled only
/// when the connection can take more, and dropped when the client goes away.
///
/// ```
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use waypost::{get, Event, KeepAlive, Sse};
///
/// #[get("/ticks")]
/// async fn ticks() -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
///     let ticks = futures_util::stream::iter(1..=3)
///         .map(|n| Ok(Event::default().event("tick").data(n.to_string()).id(n.to_string())));
///     Sse::new(ticks).keep_alive(KeepAlive::new().interval(Duration::from_secs(5)))
/// }
/// # let _ = waypost::routes![ticks];
/// ```
#[must_use = "an `Sse` does nothing until it is returned as a response"]
pub struct Sse<S> {
    stream: S,
    keep_alive: Option<KeepAlive>,
}

impl<S, E> Sse<S>
where
    S: Stream<Item = Result<Event, E>> + Send + 'static,
    E: Into<BoxError>,
{
    /// Events from `stream`, with a keep-alive comment every 15 s of silence.
    pub fn new(stream: S) -> Self {
        Sse {
            stream,
            keep_alive: Some(KeepAlive::new()),
        }
    }

    /// How silence is filled; `None` sends nothing between events.
    pub fn keep_alive(mut self, keep_alive: impl Into<Option<KeepAlive>>) -> Self {
        self.keep_alive = keep_alive.into();
        self
    }
}

impl<S, E> IntoResponse for Sse<S>
where
    S: Stream<Item = Result<Event, E>> + Send + 'static,
    E: Into<BoxError>,
{
    fn into_response(self) -> Response {
        let body = SseBody {
            stream: self.stream,
            keep_alive: self.keep_alive.map(|keep_alive| {
                let sleep = Box::pin(tokio::time::sleep(keep_alive.interval));
                (keep_alive, sleep)
            }),
        };
        let mut response = Response::new(Body::from_stream(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

/// What fills silence in an event stream: a comment line every `interval`.
#[derive(Debug, Clone)]
pub struct KeepAlive {
    interval: Duration,
    comment: Cow<'static, str>,
}

impl KeepAlive {
    /// A keep-alive comment (`:` alone) after every 15 s without an event.
    pub fn new() -> Self {
        KeepAlive {
            interval: Duration::from_secs(15),
            comment: Cow::Borrowed(""),
        }
    }

    /// The silence after which a comment is sent (at least 10 ms: a shorter
    /// one would send comments as fast as the connection takes them).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(10));
        self
    }

    /// The comment's text (line breaks become spaces).
    pub fn text(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.comment = Cow::Owned(one_line(&text.into()).into_owned());
        self
    }

    fn frame(&self) -> Bytes {
        if self.comment.is_empty() {
            Bytes::from_static(b":\n\n")
        } else {
            Bytes::from(format!(": {}\n\n", self.comment))
        }
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive::new()
    }
}

/// One server-sent event, built field by field and written in the order
/// the fields were set.
///
/// `data` may span lines: each becomes its own `data:` line, and the client
/// joins them back with `\n`. The one-line fields (`event`, `id`, a comment)
/// have their line breaks turned into spaces, so that no text can end the
/// event early or forge another field.
///
/// ```
/// use waypost::Event;
/// let event = Event::default().event("update").id("7").data("line one\nline two");
/// assert_eq!(event.to_string(), "event: update\nid: 7\ndata: line one\ndata: line two\n\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Event {
    text: String,
}

impl Event {
    /// Adds `data` lines.
    pub fn data(mut self, data: impl AsRef<str>) -> Self {
        for line in lines(data.as_ref()) {
            self.field("data", line);
        }
        self
    }

    /// Adds `value` as JSON in a `data` line.
    pub fn json_data<T: serde::Serialize>(self, value: &T) -> Result<Self, serde_json::Error> {
        // serde_json escapes line breaks inside strings: the JSON is one line.
        Ok(self.data(serde_json::to_string(value)?))
    }

    /// Sets the event's type (`event:`); clients dispatch on it.
    pub fn event(mut self, name: impl AsRef<str>) -> Self {
        self.field("event", &one_line(name.as_ref()));
        self
    }

    /// Sets the event's id (`id:`), which a reconnecting client sends back as `Last-Event-ID`.
    pub fn id(mut self, id: impl AsRef<str>) -> Self {
        // A NUL makes clients ignore the id: it is dropped.
        let id = one_line(id.as_ref()).replace('\0', "");
        self.field("id", &id);
        self
    }

    /// Tells the client how long to wait before reconnecting (`retry:`, in milliseconds).
    pub fn retry(mut self, after: Duration) -> Self {
        let _ = writeln!(self.text, "retry: {}", after.as_millis());
        self
    }

    /// Adds a comment line, which clients ignore.
    pub fn comment(mut self, text: impl AsRef<str>) -> Self {
        let _ = writeln!(self.text, ": {}", one_line(text.as_ref()));
        self
    }

    fn field(&mut self, name: &str, value: &str) {
        let _ = writeln!(self.text, "{name}: {value}");
    }

    fn into_frame(mut self) -> Bytes {
        self.text.push('\n');
        Bytes::from(self.text)
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.text)
    }
}

/// The lines of `text` by any of the stream format's line ends (`\r\n`, `\n`, `\r`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

fn one_line(text: &str) -> Cow<'_, str> {
    if text.contains(['\r', '\n']) {
        Cow::Owned(text.replace("\r\n", " ").replace(['\r', '\n'], " "))
    } else {
        Cow::Borrowed(text)
    }
}

pin_project_lite::pin_project! {
    /// The body: the events, with a keep-alive comment after each silence.
    struct SseBody<S> {
        #[pin]
        stream: S,
        keep_alive: Option<(KeepAlive, Pin<Box<Sleep>>)>,
    }
}

impl<S, E> http_body::Body for SseBody<S>
where
    S: Stream<Item = Result<Event, E>>,
    E: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(Ok(event))) => {
                if let Some((keep_alive, sleep)) = this.keep_alive {
                    sleep.as_mut().reset(Instant::now() + keep_alive.interval);
                }
                Poll::Ready(Some(Ok(Frame::data(event.into_frame()))))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let Some((keep_alive, sleep)) = this.keep_alive else {
                    return Poll::Pending;
                };
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                sleep.as_mut().reset(Instant::now() + keep_alive.interval);
                Poll::Ready(Some(Ok(Frame::data(keep_alive.frame()))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_written_in_order_and_data_is_split_by_line() {
        let event = Event::default()
            .comment("hello")
            .event("tick")
            .data("a\r\nb\rc\nd")
            .id("4")
            .retry(Duration::from_millis(1500));
        assert_eq!(
            event.to_string(),
            ": hello\nevent: tick\ndata: a\ndata: b\ndata: c\ndata: d\nid: 4\nretry: 1500\n\n"
        );
    }

    #[test]
    fn one_line_fields_cannot_forge_another_field() {
        let event = Event::default()
            .event("x\ndata: forged")
            .id("1\r\n\0event: y");
        assert_eq!(
            event.to_string(),
            "event: x data: forged\nid: 1 event: y\n\n"
        );
    }

    #[test]
    fn json_data_is_one_line() {
        let event = Event::default()
            .json_data(&serde_json::json!({ "text": "two\nlines" }))
            .unwrap();
        assert_eq!(event.to_string(), "data: {\"text\":\"two\\nlines\"}\n\n");
    }

    #[test]
    fn keep_alive_comments() {
        assert_eq!(&KeepAlive::new().frame()[..], b":\n\n");
        assert_eq!(&KeepAlive::new().text("ping\n").frame()[..], b": ping \n\n");
    }
}
