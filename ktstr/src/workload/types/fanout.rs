//! 1:N wake fan-out: `FutexFanOut` and `FanOutCompute`.
//!
//! A group is one messenger and `fan_out` receivers sharing one page, and
//! works in rounds:
//!
//! 1. The messenger rings the broadcast [`Doorbell`] (stamps the time and
//!    bumps the generation with a `Release` increment) and `FUTEX_WAKE`s
//!    all `fan_out` receivers at once.
//! 2. Each receiver, asleep on the broadcast bell, wakes, loads the
//!    generation with `Acquire` and then reads the stamp (its latency
//!    sample), does its work, and acknowledges: it rings the ack bell
//!    (raising the "last ack" stamp with `fetch_max` and incrementing the
//!    ack count with `Release`). The receiver whose ack completes the round
//!    wakes the messenger.
//! 3. The messenger, asleep on the ack bell, sees its count reach
//!    `generation × fan_out` (`Acquire`), samples its latency from the last
//!    ack stamp, and starts the next round.
//!
//! The messenger never runs ahead of its receivers, so no round is missed
//! or coalesced and every receiver is really asleep when the broadcast
//! comes (upstream's messenger broadcast blindly, faster than receivers
//! could wait, so its samples rarely measured a wake). Counters wrap; the
//! comparisons are exact equalities on wrapped values, which stay in step.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use super::group::{burn, nap, page_state, Doorbell, Line, SharedPage};
use super::plan::plan_groups;
use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const FUTEX_FAN_OUT: Entry = Entry {
    name: "FutexFanOut",
    group: "fan+1",
    about: "one messenger futex-wakes fan_out sleeping receivers per round: 1:N wake storms, wakee placement",
    default: Some(WorkType::futex_fan_out),
};
pub(crate) const FAN_OUT_COMPUTE: Entry = Entry {
    name: "FanOutCompute",
    group: "fan+1",
    about:
        "fork-join: a messenger wakes fan_out workers that each run cache-sized matrix multiplies",
    default: Some(WorkType::fan_out_compute),
};

/// Largest `fan_out`.
const MAX_FAN_OUT: usize = 4096;
/// Largest `cache_footprint_kb` (1 GiB).
const MAX_FOOTPRINT_KB: usize = 1 << 20;
/// Longest `sleep_usec` (10 s).
const MAX_SLEEP_USEC: u64 = 10_000_000;

/// What a receiver does after each wake.
#[derive(Clone, Copy)]
pub(crate) enum Work {
    /// `FutexFanOut`: spin this many steps.
    Spin(u64),
    /// `FanOutCompute`: sleep `sleep_usec`, then `operations` matrix
    /// multiplies over a `footprint_kb` buffer.
    Compute {
        footprint_kb: usize,
        operations: u64,
        sleep_usec: u64,
    },
}

/// `FutexFanOut` / `FanOutCompute`.
#[derive(Clone, Copy)]
pub(crate) struct FanOut {
    pub fan_out: usize,
    pub work: Work,
}

impl FanOut {
    fn is_compute(&self) -> bool {
        matches!(self.work, Work::Compute { .. })
    }
}

page_state! {
    /// One group's page; zero is "round 0, nothing acknowledged".
    #[repr(C)]
    struct Round {
        /// The round number and when the messenger started it: written by
        /// the messenger, waited on by every receiver.
        bcast: Line<Doorbell>,
        /// Acks ever made (wrapping) and the latest ack's time: rung by
        /// every receiver, waited on by the messenger.
        acks: Line<Doorbell>,
    }
}

impl Family for FanOut {
    fn name(&self) -> &'static str {
        if self.is_compute() {
            FAN_OUT_COMPUTE.name
        } else {
            FUTEX_FAN_OUT.name
        }
    }

    fn group_size(&self) -> Option<usize> {
        Some(self.fan_out.saturating_add(1))
    }

    fn validate(&self) -> Result<(), String> {
        let name = self.name();
        if self.fan_out == 0 || self.fan_out > MAX_FAN_OUT {
            return Err(format!(
                "{name} fan_out is {}: a messenger needs 1..={MAX_FAN_OUT} receivers to wake",
                self.fan_out
            ));
        }
        if let Work::Compute {
            footprint_kb,
            operations,
            sleep_usec,
        } = self.work
        {
            if footprint_kb == 0 || footprint_kb > MAX_FOOTPRINT_KB {
                return Err(format!(
                    "{name} cache_footprint_kb is {footprint_kb}: it must be within \
                     1..={MAX_FOOTPRINT_KB} (1 GiB)"
                ));
            }
            if operations == 0 {
                return Err(format!(
                    "{name} operations is 0: each wake must compute at least 1 matrix multiply \
                     (use FutexFanOut for wakes without compute)"
                ));
            }
            if sleep_usec > MAX_SLEEP_USEC {
                return Err(format!(
                    "{name} sleep_usec is {sleep_usec}: it must be at most {MAX_SLEEP_USEC} (10 s)"
                ));
            }
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let receiver = if self.is_compute() {
            "worker"
        } else {
            "receiver"
        };
        plan_groups(
            self.name(),
            n,
            self.fan_out + 1,
            |page: &Arc<SharedPage<Round>>, m| {
                let messenger = m.k == 0;
                let body = FanOutBody {
                    page: page.clone(),
                    params: *self,
                    messenger,
                    matrix: Vec::new(),
                    sink: 0,
                };
                (body, if messenger { "messenger" } else { receiver })
            },
        )
    }
}

/// One member of a group.
struct FanOutBody {
    page: Arc<SharedPage<Round>>,
    params: FanOut,
    messenger: bool,
    matrix: Vec<u64>,
    sink: u64,
}

impl Body for FanOutBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        if self.messenger {
            self.messenger(w)
        } else {
            self.receiver(w)
        }
    }
}

impl FanOutBody {
    fn messenger(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let fan_out = self.params.fan_out as u32;
        let after_wake = match self.params.work {
            Work::Spin(n) => n,
            Work::Compute { .. } => 0,
        };
        let mut done = false;
        loop {
            let generation = s.bcast.0.ring();
            s.bcast.0.wake(fan_out);
            // FutexFanOut's messenger keeps its CPU busy while the wakees
            // start: a wakee placed on the waker's CPU waits behind it.
            burn(w, after_wake, &mut self.sink);
            let target = generation.wrapping_mul(fan_out);
            let acked = s.acks.0.wait_woken(w, done, |v| v == target);
            if acked.is_none() || !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }

    fn receiver(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let fan_out = self.params.fan_out as u32;
        let dim = match self.params.work {
            Work::Compute { footprint_kb, .. } => {
                let dim = matrix_dim(footprint_kb);
                // Allocated by the worker itself: first touch on its node.
                self.matrix = (0..3 * dim * dim).map(|i| i as u64 | 1).collect();
                dim
            }
            Work::Spin(_) => 0,
        };
        let mut seen = 0u32;
        let mut done = false;
        loop {
            let Some(generation) = s.bcast.0.wait_woken(w, done, |v| v != seen) else {
                return Ok(());
            };
            seen = generation;
            match self.params.work {
                Work::Spin(n) => {
                    burn(w, n, &mut self.sink);
                    w.add_units(1);
                }
                Work::Compute {
                    operations,
                    sleep_usec,
                    ..
                } => {
                    if sleep_usec > 0 {
                        nap(w, Duration::from_micros(sleep_usec));
                        w.resumed();
                    }
                    for op in 0..operations {
                        // Stop may cut a multiply short, but never the first.
                        let stop = || (done || op > 0) && w.should_stop();
                        if !multiply(&mut self.matrix, dim, stop) {
                            break;
                        }
                        w.add_units(1);
                    }
                }
            }
            if s.acks.0.ring() == generation.wrapping_mul(fan_out) {
                s.acks.0.wake(1);
            }
            done = true;
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}

/// The side of the three square u64 matrices that fit in `kb` KiB.
fn matrix_dim(kb: usize) -> usize {
    let cells = kb * 1024 / (3 * 8);
    let mut n = (cells as f64).sqrt() as usize;
    while n * n > cells {
        n -= 1;
    }
    while (n + 1) * (n + 1) <= cells {
        n += 1;
    }
    n
}

/// C = A × B over `buf = [A | B | C]` (each `dim × dim`), naively, with
/// every product and every store kept by `black_box`. `stop` is polled
/// after each row; returns false when it cut the multiply short.
#[inline(never)]
fn multiply(buf: &mut [u64], dim: usize, stop: impl Fn() -> bool) -> bool {
    let (ab, c) = buf.split_at_mut(2 * dim * dim);
    let (a, b) = ab.split_at(dim * dim);
    for i in 0..dim {
        for j in 0..dim {
            let mut acc = 0u64;
            for k in 0..dim {
                acc = acc.wrapping_add(black_box(a[i * dim + k].wrapping_mul(b[k * dim + j])));
            }
            c[i * dim + j] = black_box(acc);
        }
        if stop() {
            return false;
        }
    }
    black_box(&*c);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_dim_fits_the_footprint() {
        assert_eq!(matrix_dim(256), 104);
        assert_eq!(matrix_dim(1), 6);
        for kb in [1, 7, 64, 300, 4096] {
            let n = matrix_dim(kb);
            assert!(3 * n * n * 8 <= kb * 1024);
            assert!(3 * (n + 1) * (n + 1) * 8 > kb * 1024);
        }
    }

    #[test]
    fn multiply_is_a_matrix_product() {
        let n = 2;
        // A = [1 2; 3 4], B = [5 6; 7 8]
        let mut buf = vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0];
        assert!(multiply(&mut buf, n, || false));
        assert_eq!(&buf[8..], &[19, 22, 43, 50]);
        assert!(!multiply(&mut buf, n, || true));
    }
}
