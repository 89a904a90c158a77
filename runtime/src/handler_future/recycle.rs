//! Per-thread free lists of blocks in a few size classes.

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
        return NonNull::new(std::ptr::without_provenance_mut(layout.align()))
            .expect("alignments are non-zero");
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
