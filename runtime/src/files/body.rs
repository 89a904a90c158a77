//! A response body read from a file as the connection takes it: 64 KiB at a
//! time, by position (so several bodies may share one open file), on the
//! blocking pool. Its exact length is known up front (`Content-Length`).

use std::fs::File;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::task::JoinHandle;

use crate::BoxError;

/// How much one read takes: the memory a file being sent holds at a time.
const CHUNK: u64 = 64 * 1024;

/// One piece of a file body: bytes of the file, or text between them (the
/// part headers of a `multipart/byteranges` body).
pub(crate) enum Piece {
    File(Range<u64>),
    Text(Bytes),
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::File(range) => range.end - range.start,
            Piece::Text(text) => text.len() as u64,
        }
    }
}

/// The pieces, sent in order.
pub(crate) struct FileBody {
    file: Arc<File>,
    pieces: std::vec::IntoIter<Piece>,
    /// The file range being sent.
    current: Option<Range<u64>>,
    reading: Option<JoinHandle<std::io::Result<Bytes>>>,
    remaining: u64,
}

impl FileBody {
    pub(crate) fn new(file: Arc<File>, pieces: Vec<Piece>) -> FileBody {
        let remaining = pieces.iter().map(Piece::len).sum();
        FileBody {
            file,
            pieces: pieces.into_iter(),
            current: None,
            reading: None,
            remaining,
        }
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        loop {
            if let Some(reading) = self.reading.as_mut() {
                let read = match Pin::new(reading).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(joined) => joined
                        .map_err(BoxError::from)
                        .and_then(|read| read.map_err(BoxError::from)),
                };
                self.reading = None;
                let chunk = match read {
                    Ok(chunk) => chunk,
                    Err(error) => return Poll::Ready(Some(Err(error))),
                };
                if chunk.is_empty() {
                    // The file shrank while it was being sent: the length
                    // promised cannot be kept, so the response is cut off.
                    return Poll::Ready(Some(
                        Err("the file shrank while it was being sent".into()),
                    ));
                }
                let range = self.current.as_mut().expect("a read belongs to a range");
                range.start += chunk.len() as u64;
                if range.start >= range.end {
                    self.current = None;
                }
                self.remaining -= chunk.len() as u64;
                return Poll::Ready(Some(Ok(Frame::data(chunk))));
            }
            if let Some(range) = self.current.clone() {
                let file = self.file.clone();
                let want = (range.end - range.start).min(CHUNK) as usize;
                self.reading = Some(tokio::task::spawn_blocking(move || {
                    read_at(&file, range.start, want)
                }));
                continue;
            }
            match self.pieces.next() {
                None => return Poll::Ready(None),
                Some(Piece::Text(text)) => {
                    self.remaining -= text.len() as u64;
                    return Poll::Ready(Some(Ok(Frame::data(text))));
                }
                Some(Piece::File(range)) if range.is_empty() => continue,
                Some(Piece::File(range)) => self.current = Some(range),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// Up to `want` bytes at `offset`; fewer only at the end of the file.
fn read_at(file: &File, offset: u64, want: usize) -> std::io::Result<Bytes> {
    let mut buffer = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        let read = match positional_read(file, &mut buffer[filled..], offset + filled as u64) {
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if read == 0 {
            break;
        }
        filled += read;
    }
    buffer.truncate(filled);
    Ok(Bytes::from(buffer))
}

#[cfg(unix)]
fn positional_read(file: &File, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn positional_read(file: &File, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}
