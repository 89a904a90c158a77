//! `HandlerFuture`: the type-erased future of one handler or middleware
//! call, in memory that is recycled rather than allocated.
//!
//! Every request runs one such future per middleware and one for its
//! handler. With the system allocator each costs a `malloc` and a `free`
//! (about 200 instructions together under glibc, more than the rest of a
//! no-op middleware). So a request that reaches middleware gets a frame,
//! one block in which its futures are placed one after another
//! ([`HandlerFuture::new_in`]); other futures take a block from a short
//! per-thread free list ([`HandlerFuture::new`]). Neither touches memory
//! other threads write.

use std::alloc::Layout;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crate::request::Request;
use crate::response::Response;

mod frame;
mod recycle;

pub(crate) use frame::FrameRef;

/// The future of one handler or middleware call: what
/// [`Middleware::call`](crate::Middleware::call) returns.
///
/// Made with [`HandlerFuture::new_in`] (in the request's frame) or
/// [`HandlerFuture::new`] from any `Send` future of a [`Response`]; it
/// behaves like `Pin<Box<dyn Future<Output = Response> + Send>>` (which
/// converts into it), but its memory is recycled.
///
/// ```
/// use waypost::{HandlerFuture, Middleware, Next, Request};
///
/// struct Stamp;
///
/// impl Middleware for Stamp {
///     fn call(&self, req: Request, next: Next) -> HandlerFuture {
///         HandlerFuture::new_in(req, move |req| async move {
///             let mut response = next.run(req).await;
///             response.headers_mut().insert("x-stamp", "1".parse().unwrap());
///             response
///         })
///     }
/// }
/// ```
pub struct HandlerFuture {
    future: NonNull<dyn Future<Output = Response> + Send>,
    /// The frame the future is placed in; `None` for a block of its own.
    frame: Option<NonNull<frame::Header>>,
}

// SAFETY: the future it owns is `Send`, and nothing else refers to it; its
// hold on a frame is counted atomically.
unsafe impl Send for HandlerFuture {}

// The future is never moved out of its block: pinning the handle pins nothing.
impl Unpin for HandlerFuture {}

impl HandlerFuture {
    /// Moves `future` into a block of its own, recycled per thread.
    pub fn new<F>(future: F) -> Self
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let block = recycle::take(Layout::new::<F>()).cast::<F>();
        // SAFETY: the block is valid for writes of an `F` and suitably aligned.
        unsafe { block.as_ptr().write(future) };
        let future: NonNull<dyn Future<Output = Response> + Send> = block;
        HandlerFuture {
            future,
            frame: None,
        }
    }

    /// Makes the future of a call on `request` with `make` (which gets the
    /// request back) and places it in the request's frame: the way to box
    /// the future of a middleware, cheaper than [`HandlerFuture::new`] when
    /// the request passes through several. Without a frame, or when the
    /// future does not fit, it takes a block of its own.
    ///
    /// ```
    /// use waypost::{HandlerFuture, Middleware, Next, Request};
    ///
    /// struct Noop;
    ///
    /// impl Middleware for Noop {
    ///     fn call(&self, req: Request, next: Next) -> HandlerFuture {
    ///         HandlerFuture::new_in(req, move |req| next.run(req))
    ///     }
    /// }
    /// ```
    #[inline]
    pub fn new_in<F>(mut request: Request, make: impl FnOnce(Request) -> F) -> Self
    where
        F: Future<Output = Response> + Send + 'static,
    {
        match request.frame_mut().place(Layout::new::<F>()) {
            Some(place) => HandlerFuture::in_place(place, move || make(request)),
            None => HandlerFuture::new(make(request)),
        }
    }

    /// Writes what `make` returns into `place` (from [`FrameRef::place`] for an `F`).
    #[inline(always)]
    fn in_place<F>(
        (block, frame): (NonNull<u8>, NonNull<frame::Header>),
        make: impl FnOnce() -> F,
    ) -> Self
    where
        F: Future<Output = Response> + Send + 'static,
    {
        // The place is counted: given up if `make` panics.
        struct Unused(NonNull<frame::Header>);
        impl Drop for Unused {
            fn drop(&mut self) {
                // SAFETY: the place's hold is counted, and nothing is in it.
                unsafe { frame::release(self.0) }
            }
        }
        let unused = Unused(frame);
        let made = make();
        std::mem::forget(unused);
        let block = block.cast::<F>();
        // SAFETY: the place is valid for writes of an `F`, aligned for it,
        // and used by nothing else.
        unsafe { block.as_ptr().write(made) };
        let future: NonNull<dyn Future<Output = Response> + Send> = block;
        HandlerFuture {
            future,
            frame: Some(frame),
        }
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
        // What gives the memory back runs even if the future's destructor panics.
        if let Some(frame) = self.frame {
            struct Release(NonNull<frame::Header>);
            impl Drop for Release {
                fn drop(&mut self) {
                    // SAFETY: the future's hold is counted and given up once, after it is dropped.
                    unsafe { frame::release(self.0) }
                }
            }
            let _release = Release(frame);
            // SAFETY: the future is alive, owned by this handle, and dropped once.
            unsafe { std::ptr::drop_in_place(self.future.as_ptr()) };
            return;
        }
        // SAFETY: the future is alive until `drop_in_place` below.
        let layout = Layout::for_value(unsafe { self.future.as_ref() });
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

    /// Places `future` in `frame`, as `new_in` does with a request's.
    fn placed<F>(frame: &mut FrameRef, future: F) -> HandlerFuture
    where
        F: Future<Output = Response> + Send + 'static,
    {
        match frame.place(Layout::new::<F>()) {
            Some(place) => HandlerFuture::in_place(place, || future),
            None => HandlerFuture::new(future),
        }
    }

    /// Blocks of the frame's size this thread keeps.
    fn frames_kept() -> usize {
        recycle::kept(1024)
    }

    #[test]
    fn futures_in_a_frame_drop_once_and_the_last_to_go_gives_the_frame_back() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut frame = FrameRef::none();
        frame.start();
        let kept = frames_kept();
        let futures = [
            placed(
                &mut frame,
                Counted::<40> {
                    drops: drops.clone(),
                    state: [7; 40],
                },
            ),
            placed(
                &mut frame,
                Counted::<100> {
                    drops: drops.clone(),
                    state: [7; 100],
                },
            ),
            placed(
                &mut frame,
                Counted::<200> {
                    drops: drops.clone(),
                    state: [7; 200],
                },
            ),
        ];
        assert!(futures.iter().all(|future| future.frame.is_some()));
        let [first, second, third] = futures;
        // The request lets go first, then the futures, out of order.
        drop(frame);
        assert_eq!(block_on(second).status(), 200);
        drop(first);
        assert_eq!(frames_kept(), kept, "a future still holds the frame");
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        drop(third);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        assert_eq!(frames_kept(), kept + 1, "the last hold gave the frame back");
    }

    #[test]
    fn a_frame_let_go_on_other_threads_is_given_back_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        for _ in 0..20 {
            let mut frame = FrameRef::none();
            frame.start();
            let futures: Vec<_> = (0..6)
                .map(|_| {
                    placed(
                        &mut frame,
                        Counted::<64> {
                            drops: drops.clone(),
                            state: [7; 64],
                        },
                    )
                })
                .collect();
            let (here, there): (Vec<_>, Vec<_>) = futures
                .into_iter()
                .enumerate()
                .partition(|(i, _)| i % 2 == 0);
            let other = std::thread::spawn(move || {
                for (_, future) in there {
                    assert_eq!(block_on(future).status(), 200);
                }
            });
            drop(here);
            drop(frame);
            other.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::SeqCst), 120);
    }

    #[test]
    fn what_does_not_fit_in_the_frame_takes_a_block_of_its_own() {
        #[repr(align(64))]
        struct Aligned(u8);
        struct ZeroSized;
        impl Future for Aligned {
            type Output = Response;
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Response> {
                assert_eq!(self.0, 1);
                Poll::Ready(ok())
            }
        }
        impl Future for ZeroSized {
            type Output = Response;
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Response> {
                Poll::Ready(ok())
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let mut frame = FrameRef::none();
        let without_frame = placed(
            &mut frame,
            Counted::<10> {
                drops: drops.clone(),
                state: [7; 10],
            },
        );
        assert!(without_frame.frame.is_none(), "no frame started");
        frame.start();
        let large = placed(
            &mut frame,
            Counted::<2000> {
                drops: drops.clone(),
                state: [7; 2000],
            },
        );
        let zero_sized = placed(&mut frame, ZeroSized);
        let over_aligned = placed(&mut frame, Aligned(1));
        let fits = placed(
            &mut frame,
            Counted::<900> {
                drops: drops.clone(),
                state: [7; 900],
            },
        );
        let full = placed(
            &mut frame,
            Counted::<200> {
                drops: drops.clone(),
                state: [7; 200],
            },
        );
        assert!(
            large.frame.is_none() && zero_sized.frame.is_none() && over_aligned.frame.is_none()
        );
        assert!(fits.frame.is_some() && full.frame.is_none());
        for future in [without_frame, large, zero_sized, over_aligned, fits, full] {
            assert_eq!(block_on(future).status(), 200);
        }
        assert_eq!(drops.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_place_whose_future_panics_while_made_is_given_up() {
        let mut frame = FrameRef::none();
        frame.start();
        let kept = frames_kept();
        let place = frame.place(Layout::new::<Counted<64>>()).unwrap();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            HandlerFuture::in_place(place, || -> Counted<64> { panic!("while made") })
        }));
        assert!(unwound.is_err());
        drop(frame);
        assert_eq!(frames_kept(), kept + 1, "the place's hold was given up");
    }
}
