//! Worker threads that map over items and hand the results back in order.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Maps `f` over `items` on `threads` worker threads and hands the results to `consume` on this
/// thread in the items' order, as they come (at most `window` results ahead of the one being
/// consumed, so memory stays bounded). With one thread, everything runs here, in order. Stops at
/// the first error of `consume`.
pub fn ordered_map<T: Sync, R: Send, E>(
    items: &[T],
    threads: usize,
    window: usize,
    f: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Condvar;
    if threads <= 1 || items.len() <= 1 {
        return items.iter().try_for_each(|t| consume(f(t)));
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Number of results consumed so far; workers wait while they would run `window` ahead.
    let consumed = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = std::sync::mpsc::channel::<(usize, R)>();
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()) {
            let tx = tx.clone();
            let (next, stop, consumed, f) = (&next, &stop, &consumed, &f);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let Ok(mut n) = consumed.0.lock() else { break };
                while i >= *n + window && !stop.load(Ordering::Relaxed) {
                    let Ok(g) = consumed.1.wait(n) else { return };
                    n = g;
                }
                drop(n);
                if stop.load(Ordering::Relaxed) || tx.send((i, f(&items[i]))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut ready: BTreeMap<usize, R> = BTreeMap::new();
        let mut at = 0usize;
        let mut result = Ok(());
        for (i, r) in rx.iter() {
            ready.insert(i, r);
            while let Some(r) = ready.remove(&at) {
                if let Err(e) = consume(r) {
                    result = Err(e);
                    break;
                }
                at += 1;
            }
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            if let Ok(mut n) = consumed.0.lock() {
                *n = at;
            }
            consumed.1.notify_all();
            if result.is_err() {
                break;
            }
        }
        result
    })
}

/// Maps `f` over `items` on `threads` threads, keeping the order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    // Nothing here fails: every result is kept.
    let _ = ordered_map(items, threads, items.len().max(1), f, |r| {
        out.push(r);
        Ok::<(), ()>(())
    });
    out
}
