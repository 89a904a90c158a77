//! The server's clock for connection timeouts: one thread that looks at
//! every connection a few times per timeout and wakes those past their
//! deadline, which then close themselves (see `Watched`).
//!
//! A tokio timer per connection would cost every request, even unchanged:
//! while any timer is armed, each park of a worker thread works out the
//! next expiry and reads the clock (about 180 instructions a park, measured
//! with callgrind), and a worker parks between requests. Here the deadlines
//! are plain numbers in each connection's [`ConnState`], written as the
//! connection goes, and only this thread reads a clock for them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::connection::{now_ms, ConnState, Timeouts};

/// The connections of one server, by id.
pub(crate) type Open = Arc<Mutex<HashMap<u64, Arc<ConnState>>>>;

/// Looks at the connections every tenth of the shortest timeout (so a
/// connection closes at most that late), but no more often than this...
const FINEST: Duration = Duration::from_millis(5);
/// ...and at least this often.
const COARSEST: Duration = Duration::from_secs(1);

/// Starts the watchdog of the connections in `open`; it ends by itself once
/// `open` is dropped (the server is gone).
pub(crate) fn spawn(open: &Open, timeouts: Timeouts) {
    let watchdog = Watchdog {
        open: Arc::downgrade(open),
        timeouts,
        every: (timeouts.shortest() / 10).clamp(FINEST, COARSEST),
    };
    let spawned = std::thread::Builder::new()
        .name("waypost-watchdog".into())
        .stack_size(64 * 1024)
        .spawn({
            let watchdog = watchdog.clone();
            move || {
                while watchdog.look() {
                    std::thread::sleep(watchdog.every);
                }
            }
        });
    if let Err(error) = spawned {
        // Without its own thread the watchdog runs as a task: timeouts hold,
        // at the cost of a timer that is always armed.
        tracing::warn!(%error, "no thread for the connection watchdog; running it as a task");
        tokio::spawn(async move {
            while watchdog.look() {
                tokio::time::sleep(watchdog.every).await;
            }
        });
    }
}

#[derive(Clone)]
struct Watchdog {
    open: Weak<Mutex<HashMap<u64, Arc<ConnState>>>>,
    timeouts: Timeouts,
    every: Duration,
}

impl Watchdog {
    /// Wakes the connections past their deadline; `false` once the server is gone.
    fn look(&self) -> bool {
        let Some(open) = self.open.upgrade() else {
            return false;
        };
        let now = now_ms();
        // Wakes happen after the lock is let go: accepting and closing take it too.
        let expired: Vec<Arc<ConnState>> = match open.lock() {
            Ok(open) => open
                .values()
                .filter(|state| state.passed_deadline(now, &self.timeouts).is_some())
                .cloned()
                .collect(),
            Err(_) => return false,
        };
        // One that stays past its deadline (its task not reading yet) is woken again each look.
        for state in expired {
            state.expire();
        }
        true
    }
}
