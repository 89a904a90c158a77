//! A request's frame: one recycled block in which the futures of its
//! middleware and handler are placed one after another.
//!
//! A request behind middleware runs a future per middleware and one for its
//! handler. Taking a block for each from the per-thread lists, and giving it
//! back, costs about a hundred instructions a future; placing it in the
//! request's frame costs a bounds check and a counter. The frame goes back
//! to the lists when the request and every future placed in it are gone,
//! whichever thread that happens on.
//!
//! The request owns the frame's cursor (only the owner of a request places
//! futures, so placing needs no lock); the futures share only the count of
//! what is still alive.

use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

use super::recycle;

/// The size of a frame: a few middleware futures and a handler's. A future
/// that does not fit takes a block of its own.
const FRAME: Layout = match Layout::from_size_align(1024, 16) {
    Ok(layout) => layout,
    Err(_) => panic!("the frame's layout is valid"),
};

/// The start of a frame.
#[repr(C, align(16))]
pub(super) struct Header {
    /// Futures placed in the frame and not yet dropped, plus one while a
    /// request holds the frame.
    live: AtomicUsize,
}

/// Where the header ends: the first byte futures may use.
const START: usize = std::mem::size_of::<Header>();

/// A request's hold on its frame (none until the request reaches
/// middleware). The cursor belongs to that one request.
pub(crate) struct FrameRef {
    frame: Option<NonNull<Header>>,
    /// Bytes of the frame in use, header included.
    used: u32,
}

// SAFETY: the cursor is read and written only through `&mut FrameRef`;
// what other threads share (the count) is atomic.
unsafe impl Send for FrameRef {}
unsafe impl Sync for FrameRef {}

impl FrameRef {
    pub(crate) const fn none() -> Self {
        FrameRef {
            frame: None,
            used: 0,
        }
    }

    /// Starts a frame if the request has none.
    #[inline]
    pub(crate) fn start(&mut self) {
        if self.frame.is_none() {
            let block = recycle::take(FRAME).cast::<Header>();
            // SAFETY: the block is valid for writes of a header and aligned to 16.
            unsafe {
                block.as_ptr().write(Header {
                    live: AtomicUsize::new(1),
                })
            };
            self.frame = Some(block);
            self.used = START as u32;
        }
    }

    /// Space for a value of `layout` in the frame, counted as alive until
    /// [`release`] is called with the header returned; `None` without a
    /// frame, or when the value does not fit (has no size, or is aligned to
    /// more than the frame).
    #[inline]
    pub(super) fn place(&mut self, layout: Layout) -> Option<(NonNull<u8>, NonNull<Header>)> {
        let frame = self.frame?;
        if layout.size() == 0 || layout.align() > FRAME.align() {
            return None;
        }
        let start = (self.used as usize).checked_next_multiple_of(layout.align())?;
        let end = start.checked_add(layout.size())?;
        if end > FRAME.size() {
            return None;
        }
        self.used = end as u32;
        // SAFETY: the header is alive while this request holds the frame.
        unsafe { frame.as_ref() }
            .live
            .fetch_add(1, Ordering::Relaxed);
        // SAFETY: `start` is within the frame's block.
        let block = unsafe { frame.cast::<u8>().add(start) };
        Some((block, frame))
    }
}

impl Drop for FrameRef {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(frame) = self.frame {
            // SAFETY: this request's hold is counted, and given up once.
            unsafe { release(frame) };
        }
    }
}

impl std::fmt::Debug for FrameRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameRef")
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

/// Gives up one hold on `frame`; the last gives the block back.
///
/// # Safety
/// The hold was counted (a request's, or a future's from [`FrameRef::place`])
/// and is given up once; nothing placed under it is used afterwards.
#[inline]
pub(super) unsafe fn release(frame: NonNull<Header>) {
    // SAFETY: a counted hold keeps the header alive.
    if unsafe { frame.as_ref() }
        .live
        .fetch_sub(1, Ordering::Release)
        != 1
    {
        return;
    }
    // Everything the other holders did with the frame happens before it is reused.
    fence(Ordering::Acquire);
    // SAFETY: the last hold is gone; the block came from `recycle::take(FRAME)`.
    unsafe { recycle::give_back(frame.cast(), FRAME) };
}
