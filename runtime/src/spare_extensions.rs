//! A cleared extension map kept per thread, for the next request that
//! inserts an extension.
//!
//! The first insert into a request's `http::Extensions` allocates three
//! blocks (the map, its table and the value), and the request's end frees
//! them: about 450 instructions for a middleware that inserts one value
//! (`RequestId`, an authenticated user). A request that ends with
//! extensions leaves its map here, cleared; the next request's first
//! `extensions_mut` takes it, so only the value is allocated.
//!
//! `Extensions::clear` keeps the map it clears. Were that to change, the
//! spare would hold nothing and requests would allocate as before.

use std::cell::Cell;

use http::Extensions;

thread_local! {
    static SPARE: Cell<Option<Extensions>> = const { Cell::new(None) };
}

/// Gives an empty `extensions` this thread's spare map, if there is one.
#[inline]
pub(crate) fn reuse(extensions: &mut Extensions) {
    if extensions.is_empty() {
        if let Ok(Some(spare)) = SPARE.try_with(Cell::take) {
            *extensions = spare;
        }
    }
}

/// Clears `extensions` (dropping its values) and keeps the map as this thread's spare.
#[inline(always)]
pub(crate) fn keep(extensions: &mut Extensions) {
    // Most requests have none: one test, in line.
    if !extensions.is_empty() {
        keep_map(extensions);
    }
}

#[inline(never)]
fn keep_map(extensions: &mut Extensions) {
    extensions.clear();
    let map = std::mem::take(extensions);
    // While the thread ends there is nowhere to keep it: it is dropped.
    let _ = SPARE.try_with(|spare| spare.set(Some(map)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_map_is_empty_when_reused_and_is_reused_once() {
        let mut first = Extensions::new();
        first.insert(7u32);
        first.insert("value");
        keep(&mut first);
        assert!(first.is_empty());

        let mut second = Extensions::new();
        reuse(&mut second);
        assert!(second.is_empty(), "values do not carry over");
        second.insert(1u8);
        assert_eq!(second.get::<u8>(), Some(&1));
        assert_eq!(second.get::<u32>(), None);

        let mut third = Extensions::new();
        reuse(&mut third);
        third.insert(2u8);
        assert_eq!(
            second.get::<u8>(),
            Some(&1),
            "one map is never given to two requests"
        );
    }

    #[test]
    fn a_map_with_values_is_not_replaced() {
        let mut kept = Extensions::new();
        kept.insert(1u8);
        keep(&mut kept);
        let mut busy = Extensions::new();
        busy.insert(5i64);
        reuse(&mut busy);
        assert_eq!(busy.get::<i64>(), Some(&5));
    }
}
