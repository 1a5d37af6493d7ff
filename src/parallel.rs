//! Threads, from one place. The library starts threads only through [`Threads::join`], and
//! only as many as a [`Threads`] allows: `Threads::serial()` (or `DUIJIE_THREADS=1` in the
//! environment) starts none. Results never depend on the number of threads.
//!
//! ```
//! use duijie::parallel::Threads;
//! let (a, b) = Threads::serial().join(|| 1 + 1, || 2 + 2);
//! assert_eq!((a, b), (2, 4));
//! assert_eq!(Threads::new(4).join(|| "x", || "y"), ("x", "y"));
//! ```

use std::num::NonZeroUsize;

/// How many threads the library may use at once (at least 1: the caller's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threads(NonZeroUsize);

impl Threads {
    /// Only the caller's thread: nothing is started.
    pub fn serial() -> Threads {
        Threads(NonZeroUsize::MIN)
    }

    /// Up to `n` threads (`0` counts as 1).
    pub fn new(n: usize) -> Threads {
        Threads(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN))
    }

    /// How many threads this allows.
    pub fn get(self) -> usize {
        self.0.get()
    }

    /// Runs `a` (on the caller's thread) and `b` (on a second thread when more than one is
    /// allowed, else after `a`); a panic in either is passed on.
    pub fn join<A, B: Send>(self, a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
        if self.get() < 2 {
            return (a(), b());
        }
        std::thread::scope(|scope| {
            let second = scope.spawn(b);
            let first = a();
            let second = second
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (first, second)
        })
    }
}

/// `DUIJIE_THREADS` when it is set to a number, else the machine's cores, at most 2 (the
/// library's work splits in two at most).
impl Default for Threads {
    fn default() -> Threads {
        if let Some(n) = std::env::var("DUIJIE_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            return Threads::new(n);
        }
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Threads::new(cores.min(2))
    }
}
