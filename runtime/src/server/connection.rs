//! One accepted connection: its timeouts, its requests in flight, and the
//! checks made on the wire before a request reaches the app.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use atomic_waker::AtomicWaker;
use http::{header, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::problem::Problem;
use crate::response::{IntoResponse, Response};
use crate::service::{AppService, ResponseFuture};
use crate::Body;

/// What a connection's I/O and its requests share: how many requests are in
/// flight, and since when it has been idle. Written per request, but only by
/// this connection.
#[derive(Debug)]
pub(crate) struct ConnState {
    in_flight: AtomicU32,
    /// Requests started so far: a head being read is complete once this moves.
    started: AtomicU64,
    /// When the last request ended (or the connection opened), by [`now_ms`].
    idle_since_ms: AtomicU64,
    /// Set by a graceful shutdown; the connection's task is woken to see it.
    shutting_down: AtomicBool,
    /// Bytes of a request head have arrived, and the request has not started.
    reading_head: AtomicBool,
    /// When a head being read was found incomplete, by [`now_ms`]; 0 when none is.
    head_since_ms: AtomicU64,
    /// The watchdog found the connection past its deadline and woke its task.
    past_deadline: AtomicBool,
    /// Since when a write has waited for the client to take bytes, by
    /// [`now_ms`]; 0 while writes go (or none waits).
    write_blocked_since_ms: AtomicU64,
    /// A write has waited, and what was written has not all been flushed
    /// since: a response is still going out, whatever `in_flight` says (a
    /// whole body leaves it as soon as hyper takes it).
    sending: AtomicBool,
    /// The connection is being shut (perhaps lingering): no longer one to shed.
    closing: AtomicBool,
    /// Switched protocols (101, or a CONNECT tunnel): its bytes are no longer
    /// HTTP/1 requests and responses, and no HTTP timeout applies.
    upgraded: AtomicBool,
    /// The socket was dropped: after an upgrade, by whoever took it over.
    io_dropped: AtomicBool,
    io_dropped_notify: tokio::sync::Notify,
    task: AtomicWaker,
    /// The connection task's waker, for a future that kept the waker of
    /// the first poll of a chain run ahead (see [`with_relay`]).
    relay: std::sync::OnceLock<Waker>,
}

/// The waker a request's chain is first polled with, as hyper hands it
/// over (see `ResponseFuture::run_ahead`), before the connection's task
/// polls it. A future should wake the waker of its latest poll; one that
/// keeps the waker of its first poll (a common shortcut) wakes this, which
/// wakes the connection's task: the task that polls the request from then on.
///
/// Lent without touching the connection's reference count (the
/// connection outlives the call); a clone holds a count of its own.
fn with_relay<T>(state: &Arc<ConnState>, f: impl FnOnce(&Waker) -> T) -> T {
    let data = Arc::as_ptr(state).cast::<()>();
    // SAFETY: the vtable's functions treat `data` as an `Arc<ConnState>`
    // pointer; this waker is never dropped (no count to give back), and
    // `state` keeps the count it borrows alive for the call.
    let waker =
        std::mem::ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &RELAY)) });
    f(&waker)
}

static RELAY: RawWakerVTable =
    RawWakerVTable::new(relay_clone, relay_wake, relay_wake_by_ref, relay_drop);

unsafe fn relay_clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is an `Arc<ConnState>` pointer whose count is held (by
    // the lender or by the waker being cloned).
    unsafe { Arc::increment_strong_count(data.cast::<ConnState>()) };
    RawWaker::new(data, &RELAY)
}

unsafe fn relay_wake(data: *const ()) {
    // SAFETY: an owned waker (a clone) holds one count, given back here.
    let state = unsafe { Arc::from_raw(data.cast::<ConnState>()) };
    state.wake_task();
}

unsafe fn relay_wake_by_ref(data: *const ()) {
    // SAFETY: the waker's count keeps the state alive for the call.
    unsafe { &*data.cast::<ConnState>() }.wake_task();
}

unsafe fn relay_drop(data: *const ()) {
    // SAFETY: an owned waker (a clone) holds one count, given back here.
    drop(unsafe { Arc::from_raw(data.cast::<ConnState>()) });
}

impl ConnState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ConnState {
            in_flight: AtomicU32::new(0),
            started: AtomicU64::new(0),
            idle_since_ms: AtomicU64::new(now_ms()),
            shutting_down: AtomicBool::new(false),
            reading_head: AtomicBool::new(false),
            head_since_ms: AtomicU64::new(0),
            past_deadline: AtomicBool::new(false),
            write_blocked_since_ms: AtomicU64::new(0),
            sending: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            upgraded: AtomicBool::new(false),
            io_dropped: AtomicBool::new(false),
            io_dropped_notify: tokio::sync::Notify::new(),
            task: AtomicWaker::new(),
            relay: std::sync::OnceLock::new(),
        })
    }

    /// Wakes the connection's task without taking its waker (it may be woken again).
    pub(crate) fn wake_task(&self) {
        if let Some(waker) = self.relay.get() {
            waker.wake_by_ref();
        }
    }

    /// Whether the connection switched protocols (a WebSocket, a CONNECT tunnel).
    pub(crate) fn is_upgraded(&self) -> bool {
        self.upgraded.load(Ordering::Acquire)
    }

    /// Resolves once the socket is dropped: an upgraded connection's task
    /// waits for it, so that the socket keeps its place under the
    /// connection cap and in the registry for as long as it lives.
    pub(crate) async fn io_closed(&self) {
        loop {
            let notified = self.io_dropped_notify.notified();
            if self.io_dropped.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Asks the connection to finish: HTTP/1 closes after the response in
    /// flight (at once when idle), HTTP/2 sends GOAWAY.
    pub(crate) fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.task.wake();
    }

    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.started.fetch_add(1, Ordering::Release);
        self.reading_head.store(false, Ordering::Relaxed);
        self.head_since_ms.store(0, Ordering::Relaxed);
    }

    fn request_ended(&self) {
        self.idle_since_ms.store(now_ms(), Ordering::Release);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    pub(crate) fn idle_since(&self) -> u64 {
        self.idle_since_ms.load(Ordering::Acquire)
    }

    /// Which deadline the connection has passed at `now` (by [`now_ms`]),
    /// if one has: the client took nothing written to it for `send`, took
    /// longer than `header_read` for the rest of a head it began, or stayed
    /// idle longer than `keep_alive`. Only the first applies while a request
    /// is in flight, its response is going out, or the connection is
    /// closing; none after an upgrade. The one rule for the watchdog (on its
    /// own thread: a stale answer costs one needless wake, or one tick of
    /// delay) and for the connection's own check when woken.
    pub(crate) fn passed_deadline(&self, now: u64, timeouts: &Timeouts) -> Option<&'static str> {
        if self.upgraded.load(Ordering::Acquire) {
            return None;
        }
        let blocked = self.write_blocked_since_ms.load(Ordering::Acquire);
        if blocked != 0 && now >= blocked.saturating_add(timeouts.send) {
            return Some("waiting for the client to take what was written");
        }
        if self.in_flight() > 0
            || self.sending.load(Ordering::Acquire)
            || self.closing.load(Ordering::Acquire)
        {
            return None;
        }
        let head_since = self.head_since_ms.load(Ordering::Acquire);
        let (deadline, doing) = if head_since != 0 && self.reading_head.load(Ordering::Relaxed) {
            (
                head_since.saturating_add(timeouts.header_read),
                "reading a request head",
            )
        } else {
            (
                self.idle_since().saturating_add(timeouts.keep_alive),
                "idle",
            )
        };
        (now >= deadline).then_some(doing)
    }

    /// Marks the connection past its deadline and wakes its task, which closes it.
    pub(crate) fn expire(&self) {
        self.past_deadline.store(true, Ordering::Release);
        self.wake_task();
    }

    /// Waiting for a next request that has not begun to arrive, and not
    /// already closing: a connection that can be closed without losing anything.
    pub(crate) fn is_idle(&self) -> bool {
        self.in_flight() == 0
            && !self.reading_head.load(Ordering::Relaxed)
            && !self.shutting_down.load(Ordering::Acquire)
            && !self.closing.load(Ordering::Acquire)
            && !self.upgraded.load(Ordering::Acquire)
    }
}

/// Milliseconds on a monotonic clock, read for every request: Linux's coarse
/// clock (a few milliseconds of resolution, a fraction of a full clock read's cost).
#[cfg(target_os = "linux")]
pub(crate) fn now_ms() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given and nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut now) };
    (now.tv_sec as u64) * 1000 + (now.tv_nsec as u64) / 1_000_000
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn now_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    EPOCH
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
}

/// A connection's timeouts in milliseconds, `u64::MAX` for never.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// From a head's first bytes to its end.
    pub(crate) header_read: u64,
    /// Idle between requests.
    pub(crate) keep_alive: u64,
    /// A write waiting for the client to take bytes, without any progress.
    pub(crate) send: u64,
}

impl Timeouts {
    pub(crate) fn new(header_read: Duration, keep_alive: Duration, send: Duration) -> Self {
        let millis = |timeout: Duration| u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        Timeouts {
            header_read: millis(header_read),
            keep_alive: millis(keep_alive),
            send: millis(send),
        }
    }

    /// The shortest of them, for how often the watchdog looks.
    pub(crate) fn shortest(&self) -> Duration {
        Duration::from_millis(self.header_read.min(self.keep_alive).min(self.send))
    }
}

/// A connection's socket, closed with `TimedOut` when the client is too slow
/// to send a request head, idle too long between requests, or takes nothing
/// of what is written to it for too long. While a request is in flight, or
/// its response is still going out, only the last applies (a `Timeout`
/// middleware bounds handlers).
///
/// It arms no timer: the server's [watchdog](super::watchdog) reads the
/// deadlines from [`ConnState`] and wakes the task of a connection past
/// its own, which the next read here then closes.
pub(crate) struct Watched<IO> {
    io: IO,
    state: Arc<ConnState>,
    timeouts: Timeouts,
    /// A write found the client not taking bytes, and none has gone since.
    write_blocked: bool,
    /// A write has waited and the output has not been flushed whole since
    /// (mirrored in `ConnState::sending`).
    sending: bool,
    /// Bytes of a head arrived while `started` was at this count; the time
    /// is taken when the head turns out not to be complete at once (most
    /// arrive whole and never need it).
    head: Option<(Option<u64>, u64)>,
    /// A lingering close's idle limit; armed only while lingering.
    linger_timer: Option<Pin<Box<Sleep>>>,
    /// For the problem+json that replaces hyper's own error responses.
    max_header_bytes: usize,
    /// Such a replacement, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
    /// Set once the write side is shut: what lingering has discarded, and until when it may.
    lingering: Option<Lingering>,
    /// The client opened with HTTP/2's whole preface: nothing written is an
    /// HTTP/1 answer, and no request head is timed.
    http2: bool,
    /// How much of HTTP/2's preface the client has sent so far, until it is
    /// known whether it sent the preface (it may span reads).
    preface: Option<usize>,
    /// The last write took only part of what it was given: the next continues it.
    partial_write: bool,
}

/// A lingering close (nginx's `lingering_close`): after the last response the
/// write side is shut, and what the client still sends (the rest of an upload
/// answered 413 before it was read) is read and dropped, so that closing with
/// unread bytes does not reset the connection and destroy the response
/// before the client has read it.
struct Lingering {
    discarded: usize,
    until: u64,
}

/// Lingering ends after this long in all...
const LINGER_TIME_MS: u64 = 10_000;
/// ...or after this long without a byte from the client...
const LINGER_IDLE: Duration = Duration::from_secs(2);
/// ...or once this much has been discarded.
const LINGER_BYTES: usize = 64 * 1024 * 1024;

impl<IO> Watched<IO> {
    pub(crate) fn new(
        io: IO,
        state: Arc<ConnState>,
        timeouts: Timeouts,
        max_header_bytes: usize,
    ) -> Self {
        Watched {
            io,
            state,
            timeouts,
            write_blocked: false,
            sending: false,
            head: None,
            linger_timer: None,
            max_header_bytes,
            replacement: None,
            lingering: None,
            http2: false,
            preface: Some(0),
            partial_write: false,
        }
    }

    /// Whether `bytes` start hyper's own HTTP/1 error response: one written
    /// while a head is being read that never became a request (too large,
    /// malformed). Answers to requests are written after `started` moved.
    fn own_error_status(&self, bytes: &[u8]) -> Option<StatusCode> {
        let (_, count) = self.head?;
        if self.http2
            || self.partial_write
            || self.state.upgraded.load(Ordering::Acquire)
            || self.state.started.load(Ordering::Acquire) != count
        {
            return None;
        }
        let status = bytes
            .strip_prefix(b"HTTP/1.1 ")
            .or_else(|| bytes.strip_prefix(b"HTTP/1.0 "))?
            .get(..3)?;
        StatusCode::from_bytes(status)
            .ok()
            .filter(|status| status.is_client_error() || status.is_server_error())
    }

    /// Bytes came while no request was in flight: a head has begun, unless
    /// one already had for the same request count.
    fn head_arrived(&mut self) {
        let started = self.state.started.load(Ordering::Acquire);
        if self.head.is_none_or(|(_, count)| count != started) {
            self.head = Some((None, started));
            self.state.reading_head.store(true, Ordering::Relaxed);
        }
    }

    /// Follows the first bytes against HTTP/2's preface (hyper-util decides
    /// on the same 24 bytes): once they are all there the connection is
    /// HTTP/2, and a head timed meanwhile is forgotten; a byte that differs
    /// makes it HTTP/1 (`PRI /x HTTP/1.1` included).
    fn note_preface(&mut self, read: &[u8]) {
        const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        let Some(matched) = self.preface else {
            return;
        };
        let rest = &PREFACE[matched..];
        let compared = read.len().min(rest.len());
        if read[..compared] != rest[..compared] {
            self.preface = None;
        } else if compared == rest.len() {
            self.preface = None;
            self.http2 = true;
            self.head = None;
            self.state.reading_head.store(false, Ordering::Relaxed);
            self.state.head_since_ms.store(0, Ordering::Relaxed);
        } else {
            self.preface = Some(matched + compared);
        }
    }

    /// A head has begun, and has not been found incomplete yet.
    #[inline]
    fn head_untimed(&self) -> bool {
        matches!(self.head, Some((None, count)) if count == self.state.started.load(Ordering::Acquire))
    }

    /// Times a head found incomplete from now on, for the deadline checks
    /// (`ConnState::passed_deadline`); forgets one whose request has started.
    fn time_head(&mut self) {
        if self.sending || self.state.in_flight() > 0 || self.state.upgraded.load(Ordering::Relaxed)
        {
            return;
        }
        if let Some((since, count)) = &mut self.head {
            if self.state.started.load(Ordering::Acquire) != *count {
                self.head = None;
            } else if since.is_none() {
                let now = now_ms().max(1);
                *since = Some(now);
                self.state.head_since_ms.store(now, Ordering::Release);
            }
        }
    }

    /// `Err(TimedOut)` once the watchdog found this connection past its
    /// deadline and it still is; otherwise notes when a head began.
    #[cold]
    #[inline(never)]
    fn check_deadline(&mut self) -> io::Result<()> {
        self.time_head();
        match self.passed_deadline() {
            Some(doing) => Err(timed_out(doing)),
            None => Ok(()),
        }
    }

    /// With the watchdog's mark on the connection, which deadline has
    /// passed; without, or when none has (a request came in since, a write
    /// went), `None`, and the mark is taken off.
    fn passed_deadline(&self) -> Option<&'static str> {
        if !self.state.past_deadline.load(Ordering::Acquire) {
            return None;
        }
        let passed = self.state.passed_deadline(now_ms(), &self.timeouts);
        if passed.is_none() {
            self.state.past_deadline.store(false, Ordering::Relaxed);
        }
        passed
    }

    /// Follows a write: one that waits for the client starts the send clock,
    /// one that goes stops it; a wait past the send timeout (the watchdog
    /// says when) fails with `TimedOut`.
    #[inline]
    fn note_write<T>(&mut self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Pending => self.write_waits(),
            ready => {
                if self.write_blocked {
                    self.write_blocked = false;
                    self.state
                        .write_blocked_since_ms
                        .store(0, Ordering::Release);
                }
                ready
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn write_waits<T>(&mut self) -> Poll<io::Result<T>> {
        if !self.write_blocked {
            self.write_blocked = true;
            self.state
                .write_blocked_since_ms
                .store(now_ms().max(1), Ordering::Release);
        }
        if !self.sending {
            self.sending = true;
            self.state.sending.store(true, Ordering::Release);
        }
        match self.passed_deadline() {
            Some(doing) => Poll::Ready(Err(timed_out(doing))),
            None => Poll::Pending,
        }
    }

    /// Follows a flush: once everything written has gone, after a write
    /// waited, the response is out, and the connection is idle from now if
    /// no request is in flight.
    #[inline]
    fn note_flush(&mut self, poll: Poll<io::Result<()>>) -> Poll<io::Result<()>> {
        let poll = self.note_write(poll);
        if self.sending && matches!(poll, Poll::Ready(Ok(()))) {
            self.sent();
        }
        poll
    }

    #[cold]
    #[inline(never)]
    fn sent(&mut self) {
        self.sending = false;
        if self.state.in_flight() == 0 {
            self.state.idle_since_ms.store(now_ms(), Ordering::Release);
        }
        self.state.sending.store(false, Ordering::Release);
    }
}

/// The error that closes a connection past a deadline.
fn timed_out(doing: &'static str) -> io::Error {
    tracing::debug!(doing, "connection timed out");
    io::Error::new(io::ErrorKind::TimedOut, format!("timed out {doing}"))
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                if !read.is_empty() {
                    if this.preface.is_some() {
                        this.note_preface(read);
                    }
                    // A head is timed on HTTP/1 only: on HTTP/2 bytes between
                    // requests are also frames of the connection's own (a
                    // window update, a ping), and an upgraded connection
                    // carries no requests at all.
                    if this.state.in_flight() == 0
                        && !this.http2
                        && !this.state.upgraded.load(Ordering::Relaxed)
                    {
                        this.head_arrived();
                    }
                }
                Poll::Ready(Ok(()))
            }
            // Most waits are for the next request after one served: nothing to note.
            Poll::Pending
                if !this.head_untimed() && !this.state.past_deadline.load(Ordering::Relaxed) =>
            {
                Poll::Pending
            }
            Poll::Pending => match this.check_deadline() {
                Ok(()) => Poll::Pending,
                Err(error) => Poll::Ready(Err(error)),
            },
            ready => ready,
        }
    }
}

impl<IO: AsyncWrite + Unpin> Watched<IO> {
    /// Writes what is left of a replacement; `Ready(Ok)` once it is all written.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((bytes, written)) = &mut self.replacement else {
            return Poll::Ready(Ok(()));
        };
        while *written < bytes.len() {
            match Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// hyper answers a head it cannot take (431, 400, 414...) itself, with
    /// an empty body; the client gets problem+json instead, and hyper's
    /// bytes are taken and dropped. hyper closes the connection after such
    /// an answer, so nothing of its own follows.
    #[cold]
    #[inline(never)]
    fn poll_replacing(
        &mut self,
        cx: &mut Context<'_>,
        first: &[u8],
        len: usize,
    ) -> Option<Poll<io::Result<usize>>> {
        if self.replacement.is_none() {
            let status = self.own_error_status(first)?;
            self.replacement = Some((own_error_response(status, self.max_header_bytes), 0));
        }
        Some(self.poll_replacement(cx).map_ok(|()| len))
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacement.is_some() || (this.head.is_some() && is_error_status_line(buf)) {
            if let Some(poll) = this.poll_replacing(cx, buf, buf.len()) {
                return this.note_write(poll);
            }
        }
        let poll = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = poll {
            this.partial_write = written < buf.len();
        }
        this.note_write(poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let first = bufs.first().map_or(&[][..], |buf| &buf[..]);
        if this.replacement.is_some() || (this.head.is_some() && is_error_status_line(first)) {
            let len = bufs.iter().map(|buf| buf.len()).sum();
            if let Some(poll) = this.poll_replacing(cx, first, len) {
                return this.note_write(poll);
            }
        }
        let poll = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = poll {
            this.partial_write = written < bufs.iter().map(|buf| buf.len()).sum();
        }
        this.note_write(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let replaced = this.poll_replacement(cx);
        std::task::ready!(this.note_write(replaced))?;
        let poll = Pin::new(&mut this.io).poll_flush(cx);
        this.note_flush(poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let replaced = this.poll_replacement(cx);
        std::task::ready!(this.note_write(replaced))?;
        if this.lingering.is_none() {
            this.state.closing.store(true, Ordering::Release);
            // A TLS stream sends its close here: a client that takes nothing
            // holds it, as it would hold a response.
            let poll = Pin::new(&mut this.io).poll_shutdown(cx);
            std::task::ready!(this.note_write(poll))?;
            // Closed by the server's own choice (a drain, or room made for
            // new clients) while idle: no request is left unread to linger for.
            if this.state.shutting_down.load(Ordering::Acquire) && this.state.in_flight() == 0 {
                return Poll::Ready(Ok(()));
            }
            this.lingering = Some(Lingering {
                discarded: 0,
                until: now_ms() + LINGER_TIME_MS,
            });
            this.linger_timer = Some(Box::pin(tokio::time::sleep(LINGER_IDLE)));
        }
        this.poll_linger(cx)
    }
}

impl<IO: AsyncRead + Unpin> Watched<IO> {
    /// Reads and drops what the client sends until it closes, goes quiet for
    /// [`LINGER_IDLE`], or a cap is reached; then the connection may close.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(lingering) = &mut self.lingering else {
            return Poll::Ready(Ok(()));
        };
        let mut scrap = [0u8; 8192];
        loop {
            let mut buf = ReadBuf::new(&mut scrap);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    lingering.discarded += buf.filled().len();
                    if lingering.discarded >= LINGER_BYTES || now_ms() >= lingering.until {
                        return Poll::Ready(Ok(()));
                    }
                    if let Some(timer) = &mut self.linger_timer {
                        timer.as_mut().reset(Instant::now() + LINGER_IDLE);
                    }
                }
                // The client closed (or the connection broke): done.
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    let Some(timer) = &mut self.linger_timer else {
                        return Poll::Ready(Ok(()));
                    };
                    return match timer.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Ok(())),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

/// A first look, on every write: bytes that start a 4xx or 5xx status line.
#[inline]
fn is_error_status_line(bytes: &[u8]) -> bool {
    matches!(bytes.get(9), Some(b'4' | b'5')) && bytes.starts_with(b"HTTP/1.")
}

/// The whole HTTP/1.1 response that replaces hyper's own answer with `status`.
fn own_error_response(status: StatusCode, max_header_bytes: usize) -> Vec<u8> {
    let detail = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => format!(
            "the request head is larger than the {max_header_bytes} bytes this server accepts"
        ),
        StatusCode::URI_TOO_LONG => "the request target is too long".to_owned(),
        StatusCode::BAD_REQUEST => "the request is not valid HTTP/1.1".to_owned(),
        StatusCode::HTTP_VERSION_NOT_SUPPORTED => {
            "the request's HTTP version is not supported".to_owned()
        }
        StatusCode::NOT_IMPLEMENTED => {
            "the request uses a feature of HTTP this server does not implement".to_owned()
        }
        other => other
            .canonical_reason()
            .unwrap_or("the request could not be read")
            .to_owned(),
    };
    let body = Problem::new(status)
        .with_detail(detail)
        .to_json()
        .to_string();
    let mut response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        crate::problem::PROBLEM_JSON,
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body.as_bytes());
    response
}

/// The app as one connection's hyper service: counts its requests in flight
/// and refuses what RFC 9112 refuses before the app sees it.
#[derive(Clone)]
pub(crate) struct ConnService {
    pub(crate) app: AppService,
    pub(crate) state: Arc<ConnState>,
}

impl hyper::service::Service<http::Request<hyper::body::Incoming>> for ConnService {
    type Response = http::Response<TrackedBody>;
    type Error = Infallible;
    type Future = InFlight;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> InFlight {
        self.state.request_started();
        let guard = Some(RequestGuard(self.state.clone()));
        if request.version() == Version::HTTP_11 && !has_host(request.headers()) {
            return InFlight {
                future: Err(Some(missing_host())),
                guard,
                connect: false,
            };
        }
        let http1 = request.version() < Version::HTTP_2;
        // An HTTP/2 CONNECT makes a stream a tunnel, not the connection.
        let connect = request.method() == http::Method::CONNECT && http1;
        let mut future = self.app.call_with(request);
        // HTTP/1.1 only: hyper's HTTP/2 server calls this on the connection's
        // task and polls each stream on a task of its own, where handlers run
        // in parallel and a panic ends one stream. The response, when the
        // chain gives it without waiting, goes in the slot the immediate
        // answers use, so that `InFlight` grows by nothing.
        let ahead = if http1 {
            with_relay(&self.state, |relay| future.run_ahead(relay))
        } else {
            None
        };
        let future = match ahead {
            Some(response) => Err(Some(response)),
            None => Ok(future),
        };
        InFlight {
            future,
            guard,
            connect,
        }
    }
}

/// Whether `headers` has a `Host`. Clients send it first (RFC 9112 §3.2
/// asks them to), so the first field is looked at before the map is searched.
fn has_host(headers: &http::HeaderMap) -> bool {
    headers.keys().next() == Some(&header::HOST) || headers.contains_key(header::HOST)
}

/// RFC 9112 §3.2: an HTTP/1.1 request without `Host` is answered 400.
fn missing_host() -> Response {
    Problem::new(StatusCode::BAD_REQUEST)
        .with_detail("an HTTP/1.1 request must carry a Host header")
        .into_response()
}

/// Counts a request in flight on its connection until dropped: with the
/// future, or, once there is a response, with its body after the last byte.
struct RequestGuard(Arc<ConnState>);

impl<IO> Drop for Watched<IO> {
    fn drop(&mut self) {
        self.state.io_dropped.store(true, Ordering::Release);
        self.state.io_dropped_notify.notify_waiters();
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// A request in flight on its connection.
pub(crate) struct InFlight {
    future: Result<ResponseFuture, Option<Response>>,
    guard: Option<RequestGuard>,
    /// A CONNECT request: a 2xx answer turns the connection into a tunnel.
    connect: bool,
}

impl Future for InFlight {
    type Output = Result<http::Response<TrackedBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let response = match &mut this.future {
            Ok(future) => match Pin::new(future).poll(cx) {
                Poll::Ready(response) => response,
                Poll::Pending => return Poll::Pending,
            },
            Err(response) => response.take().expect("InFlight polled after completion"),
        };
        let guard = this.guard.take();
        let status = response.status();
        if status == StatusCode::SWITCHING_PROTOCOLS || (this.connect && status.is_success()) {
            if let Some(guard) = &guard {
                guard.0.upgraded.store(true, Ordering::Release);
            }
        }
        Poll::Ready(Ok(response.map(|body| TrackedBody {
            body,
            _guard: guard,
        })))
    }
}

/// A response body that keeps its request counted in flight until hyper has written it.
pub(crate) struct TrackedBody {
    body: Body,
    _guard: Option<RequestGuard>,
}

impl http_body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = crate::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, crate::BoxError>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection that shuts down gracefully when its [`ConnState`] says so.
pub(crate) struct Graceful<C> {
    connection: Pin<Box<C>>,
    state: Arc<ConnState>,
    registered: bool,
    shutting_down: bool,
}

impl<C> Graceful<C> {
    pub(crate) fn new(connection: C, state: Arc<ConnState>) -> Self {
        Graceful {
            connection: Box::pin(connection),
            state,
            registered: false,
            shutting_down: false,
        }
    }
}

impl<C> Graceful<C> {
    /// Leaves the task's waker for a shutdown and for the relay; once, at
    /// the first poll, out of line.
    #[cold]
    #[inline(never)]
    fn register(&mut self, waker: &Waker) {
        self.state.task.register(waker);
        let _ = self.state.relay.set(waker.clone());
        self.registered = true;
    }
}

/// A hyper connection, which can finish gracefully.
pub(crate) trait ShutDown {
    fn shut_down(self: Pin<&mut Self>);
}

impl<C: ShutDown + Future> Future for Graceful<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let this = self.get_mut();
        // A task's waker stays the same across its polls: registering it once is enough.
        if !this.registered {
            this.register(cx.waker());
        }
        if !this.shutting_down && this.state.shutting_down.load(Ordering::Acquire) {
            this.shutting_down = true;
            this.connection.as_mut().shut_down();
        }
        this.connection.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const ANSWER: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";

    /// A `Watched` over one end of an in-memory pipe, and the client's end.
    fn watched() -> (
        Watched<tokio::io::DuplexStream>,
        tokio::io::DuplexStream,
        Arc<ConnState>,
    ) {
        let (server, client) = tokio::io::duplex(64 * 1024);
        let state = ConnState::new();
        let watched = Watched::new(
            server,
            state.clone(),
            Timeouts::new(
                Duration::from_secs(15),
                Duration::from_secs(75),
                Duration::from_secs(60),
            ),
            16 * 1024,
        );
        (watched, client, state)
    }

    /// The client sends `sent`, the server side reads it and writes `ANSWER`;
    /// returns what the client receives before the server side shuts.
    async fn answer_after(sent: &[u8], before_answer: impl FnOnce(&ConnState)) -> Vec<u8> {
        let (mut server, mut client, state) = watched();
        client.write_all(sent).await.unwrap();
        let mut buf = vec![0u8; sent.len()];
        server.read_exact(&mut buf).await.unwrap();
        before_answer(&state);
        server.write_all(ANSWER).await.unwrap();
        server.flush().await.unwrap();
        // Shut the write side; the client closing ends the lingering.
        let shut = tokio::spawn(async move { server.shutdown().await });
        let mut received = Vec::new();
        client.read_to_end(&mut received).await.unwrap();
        drop(client);
        shut.await.unwrap().unwrap();
        received
    }

    #[tokio::test]
    async fn hypers_own_answer_to_a_head_becomes_problem_json() {
        let received = answer_after(b"GET / HTTP/1.1\r\nX-Big: aaaa", |_| {}).await;
        let text = String::from_utf8(received).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
        assert!(text.contains("application/problem+json"), "{text}");
        assert!(text.contains("16384 bytes"), "{text}");
    }

    #[tokio::test]
    async fn an_answer_to_a_request_is_left_alone() {
        // The head became a request (the service counted it): the answer is the app's.
        let received = answer_after(b"GET / HTTP/1.1\r\n\r\n", |state| {
            state.request_started();
        })
        .await;
        assert_eq!(received, ANSWER);
    }

    #[tokio::test]
    async fn bytes_of_an_upgraded_connection_are_left_alone() {
        let received = answer_after(b"tunnel bytes", |state| {
            state.upgraded.store(true, Ordering::Release);
        })
        .await;
        assert_eq!(received, ANSWER);
    }

    #[tokio::test]
    async fn http2_is_known_by_its_whole_preface_across_reads_and_nothing_less() {
        let (mut split, _client, _state) = watched();
        split.note_preface(b"PRI * HTTP/2.0\r\n");
        assert!(!split.http2);
        split.note_preface(b"\r\nSM\r\n\r\n\x00\x00\x12\x04");
        assert!(split.http2);
        let (mut lookalike, _client, _state) = watched();
        lookalike.note_preface(b"PRI /x HTTP/1.1\r\nhost: x\r\n");
        assert!(!lookalike.http2);
        assert_eq!(lookalike.preface, None);
    }

    #[tokio::test]
    async fn bytes_of_an_http2_connection_are_left_alone() {
        let received = answer_after(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", |_| {}).await;
        assert_eq!(received, ANSWER);
    }
}
