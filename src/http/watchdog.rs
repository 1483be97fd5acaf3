//! The process's deadline watchdog: one thread that cancels cancellation tokens when their
//! time is up.
//!
//! A timer of the async runtime would not do for work that runs on an event loop (an
//! inline query attempt): the loop that would fire the timer is the one busy with it.

use oxigraph::sparql::CancellationToken;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::{Condvar, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How late the watchdog may cancel a token, so that it wakes once for many expiries
/// rather than once for each.
const WATCHDOG_SLACK: Duration = Duration::from_millis(5);

/// The watchdog of the process.
pub static WATCHDOG: LazyLock<&'static Watchdog> = LazyLock::new(Watchdog::start);

pub struct Watchdog {
    due: Mutex<BinaryHeap<Reverse<Due>>>,
    wake: Condvar,
}

struct Due {
    at: Instant,
    action: Action,
}

/// What the watchdog does when a time is up.
enum Action {
    Cancel(CancellationToken),
    Call(Box<dyn FnOnce() + Send>),
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl Watchdog {
    fn start() -> &'static Self {
        let watchdog: &'static Self = Box::leak(Box::new(Self {
            due: Mutex::new(BinaryHeap::new()),
            wake: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("spyatlas-budget".into())
            .spawn(move || watchdog.run())
            .expect("cannot start the query budget thread");
        watchdog
    }

    /// Cancels `token` once `after` has passed.
    pub fn cancel_after(&self, token: CancellationToken, after: Duration) {
        self.at(Instant::now() + after, Action::Cancel(token));
    }

    /// Calls `call` on the watchdog's thread once `after` has passed; it must be quick.
    pub fn call_after(&self, after: Duration, call: impl FnOnce() + Send + 'static) {
        self.at(Instant::now() + after, Action::Call(Box::new(call)));
    }

    fn at(&self, at: Instant, action: Action) {
        let mut due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
        let earliest = due.peek().is_none_or(|Reverse(next)| at < next.at);
        due.push(Reverse(Due { at, action }));
        drop(due);
        if earliest {
            self.wake.notify_one();
        }
    }

    fn run(&self) {
        let mut due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let now = Instant::now();
            let mut calls = Vec::new();
            while due.peek().is_some_and(|Reverse(next)| next.at <= now) {
                if let Some(Reverse(expired)) = due.pop() {
                    match expired.action {
                        Action::Cancel(token) => token.cancel(),
                        Action::Call(call) => calls.push(call),
                    }
                }
            }
            if !calls.is_empty() {
                // Without the lock: a call may set another time.
                drop(due);
                for call in calls {
                    call();
                }
                due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            due = match due.peek() {
                None => self.wake.wait(due).unwrap_or_else(PoisonError::into_inner),
                Some(Reverse(next)) => {
                    let wait = next.at - now + WATCHDOG_SLACK;
                    match self.wake.wait_timeout(due, wait) {
                        Ok((due, _)) => due,
                        Err(poisoned) => poisoned.into_inner().0,
                    }
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_cancels_a_token_when_its_time_is_up_and_not_before() {
        let soon = CancellationToken::new();
        let later = CancellationToken::new();
        WATCHDOG.cancel_after(later.clone(), Duration::from_secs(600));
        WATCHDOG.cancel_after(soon.clone(), Duration::from_millis(10));
        let started = Instant::now();
        while !soon.is_cancelled() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "not cancelled after 10 s"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(started.elapsed() >= Duration::from_millis(10));
        assert!(!later.is_cancelled());
    }
}
