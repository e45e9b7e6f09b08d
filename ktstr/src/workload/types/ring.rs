//! `ProducerConsumerImbalance`: `producers` fast producers and `consumers`
//! slow consumers over one bounded ring in a shared page.
//!
//! The ring is Vyukov's bounded MPMC queue: a slot carries a sequence
//! number that says whether it is free for the producer at position `pos`
//! (`seq == 2·pos`) or filled for the consumer there (`seq == 2·pos + 1`);
//! positions are claimed with a compare-and-swap of `head` or `tail`.
//! (Vyukov's `pos` / `pos + 1` would make "filled at `pos`" and "free for
//! `pos + 1`" the same value in a ring of one slot; doubling keeps them
//! apart for every size.) No lock: a worker blocks only on a full ring
//! (producer) or an empty one (consumer), on the `not_full` / `not_empty`
//! [`Doorbell`]s.
//!
//! The sleep/wake hand-shake is Dekker's: a worker that found the ring full
//! reads the bell, counts itself as waiting, fences, and retries once
//! before it sleeps; the other side makes its change, fences, and rings the
//! bell whenever anyone is counted as waiting. One of the two always sees
//! the other, so no wakeup is lost (and a lost one would cost 100 ms, not a
//! hang).
//!
//! The stop rule's first pass covers both sides: a worker asked to stop
//! keeps going until every member of the *other* side has completed a pass
//! too (or the first-pass grace is over), so that one producer is never
//! left without a consumer for its first item, nor the reverse.

use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::group::{burn, give_up, page_state, Doorbell, Line, SharedPage};
use super::plan::plan_groups_with;
use super::{Body, Entry, Family, Planned};
use crate::sys::clock;
use crate::workload::{WorkType, Worker};

pub(crate) const PRODUCER_CONSUMER_IMBALANCE: Entry = Entry {
    name: "ProducerConsumerImbalance",
    group: "P+C",
    about: "fast producers, slow consumers, one bounded ring with futex full/empty waits",
    default: Some(WorkType::producer_consumer_imbalance),
};

/// Largest `ring_size`: the slots must fit in the group's page.
const MAX_RING: usize = 128;
/// Largest `producers` and `consumers`.
const MAX_SIDE: usize = 4096;

page_state! {
    /// One ring slot.
    #[repr(C)]
    struct Slot {
        /// The sequence number (see the module doc).
        seq: AtomicU64,
        /// The producer's timestamp (read and discarded by the consumer).
        payload: AtomicU64,
    }
}

page_state! {
    /// Who waits and who has completed a pass, per side.
    #[repr(C)]
    struct Counts {
        producers_waiting: AtomicU32,
        consumers_waiting: AtomicU32,
        producers_done: AtomicU32,
        consumers_done: AtomicU32,
    }
}

// repr(C), atomics only (on 64-byte lines), 320 + 128 × 16 = 2368
// bytes. Zero is an empty ring once `plan` has numbered the slots, which
// it does before any worker exists.
page_state! {
    /// One group's page.
    #[repr(C)]
    struct Ring {
        head: Line<AtomicU64>,
        tail: Line<AtomicU64>,
        not_empty: Line<Doorbell>,
        not_full: Line<Doorbell>,
        counts: Line<Counts>,
        slots: [Slot; MAX_RING],
    }
}

impl Ring {
    /// Enqueue `v`; false when the ring (of `n` slots) is full.
    fn push(&self, n: u64, v: u64) -> bool {
        let mut pos = self.head.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[(pos % n) as usize];
            let diff = slot.seq.load(Ordering::Acquire).wrapping_sub(2 * pos) as i64;
            if diff == 0 {
                match self.head.0.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        slot.payload.store(v, Ordering::Relaxed);
                        slot.seq.store(2 * pos + 1, Ordering::Release);
                        return true;
                    }
                    Err(p) => pos = p,
                }
            } else if diff < 0 {
                return false;
            } else {
                pos = self.head.0.load(Ordering::Relaxed);
            }
        }
    }

    /// Dequeue; None when the ring (of `n` slots) is empty.
    fn pop(&self, n: u64) -> Option<u64> {
        let mut pos = self.tail.0.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[(pos % n) as usize];
            let diff = slot.seq.load(Ordering::Acquire).wrapping_sub(2 * pos + 1) as i64;
            if diff == 0 {
                match self.tail.0.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let v = slot.payload.load(Ordering::Relaxed);
                        slot.seq.store(2 * (pos + n), Ordering::Release);
                        return Some(v);
                    }
                    Err(p) => pos = p,
                }
            } else if diff < 0 {
                return None;
            } else {
                pos = self.tail.0.load(Ordering::Relaxed);
            }
        }
    }
}

/// `ProducerConsumerImbalance { producers, consumers, ring_size,
/// produce_iters, consume_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct ProducerConsumer {
    pub producers: usize,
    pub consumers: usize,
    pub ring_size: usize,
    pub produce_iters: u64,
    pub consume_iters: u64,
}

impl Family for ProducerConsumer {
    fn name(&self) -> &'static str {
        PRODUCER_CONSUMER_IMBALANCE.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(self.producers.saturating_add(self.consumers))
    }

    fn validate(&self) -> Result<(), String> {
        let name = self.name();
        for (what, v) in [("producers", self.producers), ("consumers", self.consumers)] {
            if v == 0 || v > MAX_SIDE {
                return Err(format!(
                    "{name} {what} is {v}: a ring needs 1..={MAX_SIDE} {what}"
                ));
            }
        }
        if self.ring_size == 0 || self.ring_size > MAX_RING {
            return Err(format!(
                "{name} ring_size is {}: the ring must hold 1..={MAX_RING} items",
                self.ring_size
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let size = self.producers + self.consumers;
        let number_slots = |_, page: &SharedPage<Ring>| {
            for (i, slot) in page.get().slots.iter().enumerate() {
                slot.seq.store(2 * i as u64, Ordering::Relaxed);
            }
            Ok(())
        };
        plan_groups_with(self.name(), n, size, number_slots, |page, _, m| {
            let producer = m.k < self.producers;
            let body = RingBody {
                page: page.clone(),
                params: *self,
                producer,
                sink: 0,
            };
            (
                Box::new(body),
                if producer { "producer" } else { "consumer" },
            )
        })
    }
}

/// One member of a group.
struct RingBody {
    page: Arc<SharedPage<Ring>>,
    params: ProducerConsumer,
    producer: bool,
    sink: u64,
}

/// One side's view of the page: what it waits on and what it rings.
struct Side<'a> {
    /// Rung by the other side when this side waits.
    mine: &'a Doorbell,
    /// Rung by this side when the other waits.
    theirs: &'a Doorbell,
    my_waiting: &'a AtomicU32,
    their_waiting: &'a AtomicU32,
    my_done: &'a AtomicU32,
    their_done: &'a AtomicU32,
    /// Members of the other side.
    others: u32,
}

impl Body for RingBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let ring = page.get();
        let c = &ring.counts.0;
        let n = self.params.ring_size as u64;
        let side = if self.producer {
            Side {
                mine: &ring.not_full.0,
                theirs: &ring.not_empty.0,
                my_waiting: &c.producers_waiting,
                their_waiting: &c.consumers_waiting,
                my_done: &c.producers_done,
                their_done: &c.consumers_done,
                others: self.params.consumers as u32,
            }
        } else {
            Side {
                mine: &ring.not_empty.0,
                theirs: &ring.not_full.0,
                my_waiting: &c.consumers_waiting,
                their_waiting: &c.producers_waiting,
                my_done: &c.consumers_done,
                their_done: &c.producers_done,
                others: self.params.producers as u32,
            }
        };
        // One push or pop; false when the ring is full or empty.
        let producer = self.producer;
        let step = |sink: &mut u64| {
            if producer {
                ring.push(n, clock::monotonic_ns())
            } else {
                ring.pop(n).map(|v| *sink ^= v).is_some()
            }
        };
        let mut done = false;
        loop {
            if producer {
                burn(w, self.params.produce_iters, &mut self.sink);
            }
            while !step(&mut self.sink) {
                let seen = side.mine.rings();
                side.my_waiting.fetch_add(1, Ordering::SeqCst);
                fence(Ordering::SeqCst);
                if step(&mut self.sink) {
                    side.my_waiting.fetch_sub(1, Ordering::SeqCst);
                    break;
                }
                let all = side.their_done.load(Ordering::Acquire) >= side.others;
                let got = side.mine.wait(w, done && all, |v| v != seen);
                side.my_waiting.fetch_sub(1, Ordering::SeqCst);
                let Some((_, rung)) = got else {
                    return Ok(());
                };
                w.woken_since(rung);
            }
            // Counted before the ring, so a woken partner already sees it.
            if !done {
                side.my_done.fetch_add(1, Ordering::Release);
                done = true;
            }
            fence(Ordering::SeqCst);
            if side.their_waiting.load(Ordering::Relaxed) > 0 {
                side.theirs.ring();
                side.theirs.wake(1);
            }
            if !producer {
                burn(w, self.params.consume_iters, &mut self.sink);
            }
            w.add_units(1);
            w.end_iteration();
            if give_up(w, side.their_done.load(Ordering::Acquire) >= side.others) {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Arc<SharedPage<Ring>> {
        let page = SharedPage::<Ring>::new("test", 0).unwrap();
        for (i, slot) in page.get().slots.iter().enumerate() {
            slot.seq.store(2 * i as u64, Ordering::Relaxed);
        }
        page
    }

    #[test]
    fn push_and_pop_respect_the_size() {
        for n in [1u64, 3] {
            let page = ring();
            let r = page.get();
            assert_eq!(r.pop(n), None, "empty at first");
            for round in 0..5 {
                for i in 0..n {
                    assert!(r.push(n, round * 10 + i), "size {n}: push {i}");
                }
                assert!(!r.push(n, 99), "size {n}: full after {n} pushes");
                for i in 0..n {
                    assert_eq!(r.pop(n), Some(round * 10 + i), "size {n}: FIFO order");
                }
                assert_eq!(r.pop(n), None, "size {n}: empty again");
            }
        }
    }

    #[test]
    fn concurrent_producers_and_consumers_lose_nothing() {
        let page = ring();
        let n = 4;
        let per = 20_000u64;
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let page = page.clone();
                std::thread::spawn(move || {
                    for i in 0..per {
                        while !page.get().push(n, p * per + i + 1) {
                            std::hint::spin_loop();
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let page = page.clone();
                std::thread::spawn(move || {
                    let (mut got, mut sum) = (0u64, 0u64);
                    while got < per {
                        if let Some(v) = page.get().pop(n) {
                            got += 1;
                            sum += v;
                        }
                    }
                    sum
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let sum: u64 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        let all = 2 * per;
        assert_eq!(sum, all * (all + 1) / 2, "every item popped exactly once");
        assert_eq!(page.get().pop(n), None);
    }
}
