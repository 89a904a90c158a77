//! `HandlerFuture`: the type-erased future of one handler or middleware
//! call, in memory that each thread recycles.
//!
//! Every request runs one such future per middleware and one for its
//! handler. With the system allocator each costs a `malloc` and a `free`
//! (about 200 instructions together under glibc, more than the rest of a
//! no-op middleware), so blocks are kept on a short per-thread free list
//! after use and handed out again: taking or returning one is a handful
//! of instructions and touches no memory other threads write.

use std::alloc::Layout;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::response::Response;

/// The future of one handler or middleware call: what
/// [`Middleware::call`](crate::Middleware::call) returns.
///
/// Made with [`HandlerFuture::new`] from any `Send` future of a
/// [`Response`]; it behaves like `Pin<Box<dyn Future<Output = Response> + Send>>`
/// (which converts into it), but its memory is recycled per thread.
///
/// ```
/// use waypost::{HandlerFuture, Middleware, Next, Request};
///
/// struct Stamp;
///
/// impl Middleware for Stamp {
///     fn call(&self, req: Request, next: Next) -> HandlerFuture {
///         HandlerFuture::new(async move {
///             let mut response = next.run(req).await;
///             response.headers_mut().insert("x-stamp", "1".parse().unwrap());
///             response
///         })
///     }
/// }
/// ```
pub struct HandlerFuture {
    future: NonNull<dyn Future<Output = Response> + Send>,
}

// SAFETY: the future it owns is `Send`, and nothing else refers to it.
unsafe impl Send for HandlerFuture {}

// The future is never moved out of its block: pinning the handle pins nothing.
impl Unpin for HandlerFuture {}

impl HandlerFuture {
    /// Moves `future` into a recycled block.
    pub fn new<F>(future: F) -> Self
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let block = recycle::take(Layout::new::<F>()).cast::<F>();
        // SAFETY: the block is valid for writes of an `F` and suitably aligned.
        unsafe { block.as_ptr().write(future) };
        let future: NonNull<dyn Future<Output = Response> + Send> = block;
        HandlerFuture { future }
    }
}

impl Future for HandlerFuture {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        // SAFETY: the future lives in its block, which outlives this handle
        // and never moves, and only this handle refers to it.
        unsafe { Pin::new_unchecked(&mut *self.future.as_ptr()) }.poll(cx)
    }
}

impl Drop for HandlerFuture {
    fn drop(&mut self) {
        // SAFETY: the future is alive until `drop_in_place` below.
        let layout = Layout::for_value(unsafe { self.future.as_ref() });
        // Returns the block even if the future's destructor panics.
        struct GiveBack(NonNull<u8>, Layout);
        impl Drop for GiveBack {
            fn drop(&mut self) {
                // SAFETY: the block came from `recycle::take(self.1)` and is no longer used.
                unsafe { recycle::give_back(self.0, self.1) }
            }
        }
        let _give_back = GiveBack(self.future.cast(), layout);
        // SAFETY: the future is alive, owned by this handle, and dropped once.
        unsafe { std::ptr::drop_in_place(self.future.as_ptr()) };
    }
}

impl From<Pin<Box<dyn Future<Output = Response> + Send>>> for HandlerFuture {
    fn from(future: Pin<Box<dyn Future<Output = Response> + Send>>) -> Self {
        HandlerFuture::new(future)
    }
}

impl fmt::Debug for HandlerFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerFuture").finish_non_exhaustive()
    }
}

/// Per-thread free lists of blocks in a few size classes.
mod recycle {
    use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
    use std::cell::Cell;
    use std::ptr::NonNull;

    /// Block sizes; a larger future (or one aligned to more than `ALIGN`)
    /// goes to the allocator directly.
    const CLASSES: [usize; 6] = [64, 128, 256, 512, 1024, 2048];
    /// How many free blocks of each class a thread keeps: at most 38 KiB a thread.
    const KEPT: [u16; 6] = [32, 32, 32, 16, 8, 4];
    const ALIGN: usize = 16;

    /// A free block: its first word links to the next.
    struct Free {
        next: *mut Free,
    }

    struct FreeList {
        head: Cell<*mut Free>,
        len: Cell<u16>,
    }

    /// This thread's lists. Without a destructor of its own, reaching it is
    /// a plain thread-local access; [`Drain`] empties it when the thread ends.
    struct Lists {
        classes: [FreeList; CLASSES.len()],
        state: Cell<State>,
    }

    #[derive(Clone, Copy, PartialEq)]
    enum State {
        /// Nothing kept yet; `Drain` not registered.
        Unused,
        /// `Drain` will run when the thread ends.
        Keeping,
        /// The thread is ending: blocks go back to the allocator.
        Ending,
    }

    impl Lists {
        /// Whether blocks may be kept, registering the destructor on first use.
        fn may_keep(&self) -> bool {
            match self.state.get() {
                State::Keeping => true,
                State::Ending => false,
                State::Unused => {
                    let registered = DRAIN.try_with(|_| ()).is_ok();
                    if registered {
                        self.state.set(State::Keeping);
                    }
                    registered
                }
            }
        }
    }

    /// Frees this thread's kept blocks when the thread ends.
    struct Drain;

    impl Drop for Drain {
        fn drop(&mut self) {
            LISTS.with(|lists| {
                lists.state.set(State::Ending);
                for (class, list) in lists.classes.iter().enumerate() {
                    let mut block = list.head.replace(std::ptr::null_mut());
                    list.len.set(0);
                    while !block.is_null() {
                        // SAFETY: every block on the list is a free block of this class.
                        unsafe {
                            let next = (*block).next;
                            dealloc(block.cast(), class_layout(class));
                            block = next;
                        }
                    }
                }
            });
        }
    }

    thread_local! {
        static LISTS: Lists = const {
            Lists {
                classes: [const { FreeList { head: Cell::new(std::ptr::null_mut()), len: Cell::new(0) } }; CLASSES.len()],
                state: Cell::new(State::Unused),
            }
        };
        static DRAIN: Drain = const { Drain };
    }

    fn class_of(layout: Layout) -> Option<usize> {
        if layout.align() > ALIGN || layout.size() > CLASSES[CLASSES.len() - 1] {
            return None;
        }
        // 1..=64 → 0, 65..=128 → 1, …: the power of two at or above the size, from 64 up.
        let bits = usize::BITS - (layout.size().max(CLASSES[0]) - 1).leading_zeros();
        Some(bits as usize - CLASSES[0].trailing_zeros() as usize)
    }

    fn class_layout(class: usize) -> Layout {
        // A power of two no smaller than the alignment: always a valid layout.
        Layout::from_size_align(CLASSES[class], ALIGN).expect("size classes are valid layouts")
    }

    fn allocate(layout: Layout) -> NonNull<u8> {
        // SAFETY: callers pass layouts of non-zero size.
        NonNull::new(unsafe { alloc(layout) }).unwrap_or_else(|| handle_alloc_error(layout))
    }

    /// A block for a value of `layout`, recycled if this thread has one.
    #[inline(always)]
    pub(super) fn take(layout: Layout) -> NonNull<u8> {
        if layout.size() == 0 {
            // A zero-sized future needs no memory: any aligned, non-null address will do.
            return NonNull::new(layout.align() as *mut u8).expect("alignments are non-zero");
        }
        let Some(class) = class_of(layout) else {
            return allocate(layout);
        };
        let recycled = LISTS.with(|lists| {
            let list = &lists.classes[class];
            let block = NonNull::new(list.head.get())?;
            // SAFETY: a block on the list is a free block whose first word is the link.
            list.head.set(unsafe { block.as_ref().next });
            list.len.set(list.len.get() - 1);
            Some(block.cast())
        });
        recycled.unwrap_or_else(|| allocate(class_layout(class)))
    }

    /// Returns a block from `take(layout)`, keeping it for reuse if this thread's list has room.
    ///
    /// # Safety
    /// `block` came from `take(layout)` and nothing uses it any more.
    pub(super) unsafe fn give_back(block: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        let Some(class) = class_of(layout) else {
            // SAFETY: allocated with exactly this layout.
            return unsafe { dealloc(block.as_ptr(), layout) };
        };
        let kept = LISTS.with(|lists| {
            let list = &lists.classes[class];
            if list.len.get() >= KEPT[class] || !lists.may_keep() {
                return false;
            }
            let free = block.cast::<Free>().as_ptr();
            // SAFETY: the block is at least 64 bytes, aligned to 16, and unused.
            unsafe {
                free.write(Free {
                    next: list.head.get(),
                })
            };
            list.head.set(free);
            list.len.set(list.len.get() + 1);
            true
        });
        if !kept {
            // SAFETY: blocks of a class are allocated with the class's layout.
            unsafe { dealloc(block.as_ptr(), class_layout(class)) };
        }
    }

    #[cfg(test)]
    #[test]
    fn sizes_map_to_the_smallest_class_that_holds_them() {
        let class = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(64, 8), Some(0));
        assert_eq!(class(65, 8), Some(1));
        assert_eq!(class(128, 16), Some(1));
        assert_eq!(class(129, 16), Some(2));
        assert_eq!(class(2048, 16), Some(5));
        assert_eq!(class(2049, 16), None);
        assert_eq!(class(64, 32), None);
    }

    #[cfg(test)]
    pub(super) fn kept(size: usize) -> usize {
        let class = class_of(Layout::from_size_align(size, 1).unwrap()).unwrap();
        LISTS.with(|lists| lists.classes[class].len.get() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn ok() -> Response {
        Response::new(crate::Body::empty())
    }

    /// Counts its drops, and holds `N` bytes of state.
    struct Counted<const N: usize> {
        drops: Arc<AtomicUsize>,
        state: [u8; N],
    }

    impl<const N: usize> Future for Counted<N> {
        type Output = Response;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Response> {
            assert!(self.state.iter().all(|&b| b == 7));
            Poll::Ready(ok())
        }
    }

    impl<const N: usize> Drop for Counted<N> {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counted<const N: usize>(drops: &Arc<AtomicUsize>) -> HandlerFuture {
        HandlerFuture::new(Counted::<N> {
            drops: drops.clone(),
            state: [7; N],
        })
    }

    fn block_on(future: HandlerFuture) -> Response {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn futures_of_every_size_run_and_drop_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let futures = vec![
            counted::<0>(&drops),
            counted::<40>(&drops),
            counted::<100>(&drops),
            counted::<1000>(&drops),
            counted::<5000>(&drops),
        ];
        for future in futures {
            assert_eq!(block_on(future).status(), 200);
        }
        assert_eq!(drops.load(Ordering::SeqCst), 5);
        // Dropped without being polled.
        drop(counted::<300>(&drops));
        assert_eq!(drops.load(Ordering::SeqCst), 6);
    }

    #[test]
    fn blocks_are_reused_and_the_list_is_bounded() {
        let drops = Arc::new(AtomicUsize::new(0));
        let before = recycle::kept(100);
        drop(counted::<100>(&drops));
        assert_eq!(recycle::kept(100), before + 1);
        let reused = counted::<100>(&drops);
        assert_eq!(recycle::kept(100), before);
        drop(reused);
        let many: Vec<_> = (0..100).map(|_| counted::<100>(&drops)).collect();
        drop(many);
        assert_eq!(
            recycle::kept(100),
            32,
            "a thread keeps at most 32 blocks of this class"
        );
        assert_eq!(drops.load(Ordering::SeqCst), 102);
    }

    #[test]
    fn over_aligned_futures_keep_their_alignment() {
        #[repr(align(64))]
        struct Aligned(u8);
        let future = HandlerFuture::new(async {
            let value = Aligned(1);
            assert_eq!(&value as *const Aligned as usize % 64, 0);
            std::future::ready(()).await;
            assert_eq!(value.0, 1);
            ok()
        });
        assert_eq!(block_on(future).status(), 200);
    }

    #[test]
    fn a_future_made_on_one_thread_can_finish_on_another() {
        let drops = Arc::new(AtomicUsize::new(0));
        let futures: Vec<_> = (0..50).map(|_| counted::<200>(&drops)).collect();
        std::thread::spawn(move || {
            for future in futures {
                assert_eq!(block_on(future).status(), 200);
            }
        })
        .join()
        .unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 50);
    }

    #[test]
    fn a_panicking_destructor_still_gives_the_block_back() {
        struct PanicsOnDrop([u8; 100]);
        impl Future for PanicsOnDrop {
            type Output = Response;
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Response> {
                assert_eq!(self.0[0], 0);
                Poll::Pending
            }
        }
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("destructor");
            }
        }
        // Empties this thread's list of the class, so that the block given back shows.
        let taken: Vec<_> = (0..40)
            .map(|_| HandlerFuture::new(PanicsOnDrop([0; 100])))
            .collect();
        std::mem::forget(taken);
        assert_eq!(recycle::kept(100), 0);
        let future = HandlerFuture::new(PanicsOnDrop([0; 100]));
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(future)));
        assert!(unwound.is_err());
        assert_eq!(recycle::kept(100), 1);
    }

    #[test]
    fn boxed_futures_convert() {
        let boxed: Pin<Box<dyn Future<Output = Response> + Send>> = Box::pin(async { ok() });
        assert_eq!(block_on(boxed.into()).status(), 200);
    }
}
