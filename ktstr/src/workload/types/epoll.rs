//! `EpollStorm`: `producers` producers, each with its own eventfd, and one
//! consumer multiplexing them all in `epoll_wait`.
//!
//! `plan` creates, per group, one eventfd per producer (non-blocking,
//! close-on-exec), a duplicate of each for the consumer, and the epoll
//! instance with every duplicate registered (its event data is the
//! producer's number). Each producer owns its eventfd, the consumer owns
//! the epoll fd and the duplicates; `Body::owned_fds` lists them, so in
//! Fork mode every descriptor lives only in its owner.
//!
//! A producer writes its `CLOCK_MONOTONIC` time as the eventfd value and
//! waits for the consumer's acknowledgement (its own [`Doorbell`] in the
//! group's page) before writing again: with one write outstanding per
//! eventfd, the counter the consumer reads is exactly that timestamp.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use nix::errno::Errno;

use super::group::{
    burn, give_up, make_fd_room, Doorbell, Line, PageState, SharedPage, WAIT_SLICE,
};
use super::{Body, Entry, Family, Planned};
use crate::sys::clock;
use crate::workload::{WorkType, Worker};

pub(crate) const EPOLL_STORM: Entry = Entry {
    name: "EpollStorm",
    group: "prod+1",
    about: "producers write eventfds that one consumer multiplexes in epoll_wait: wakeups through epoll",
    default: Some(WorkType::epoll_storm),
};

/// Largest `producers`: one acknowledgement line each in the group's page.
const MAX_PRODUCERS: usize = 64;

/// One group's page: producer `k` waits on `acks[k]`.
#[repr(C)]
struct Acks {
    acks: [Line<Doorbell>; MAX_PRODUCERS],
}

// SAFETY: repr(C), Doorbells (atomics only) on 64-byte lines, exactly one
// page; zero is "nothing acknowledged".
unsafe impl PageState for Acks {}

/// `EpollStorm { producers, spin_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct EpollStorm {
    pub producers: usize,
    pub spin_iters: u64,
}

/// Wrap a descriptor a libc call returned (or its error).
fn owned(r: libc::c_int, what: &str) -> Result<OwnedFd, String> {
    let fd = Errno::result(r).map_err(|e| format!("EpollStorm: {what}: {e}"))?;
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody
    // else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Family for EpollStorm {
    fn name(&self) -> &'static str {
        EPOLL_STORM.name
    }

    fn group_size(&self) -> Option<usize> {
        Some(self.producers.saturating_add(1))
    }

    fn validate(&self) -> Result<(), String> {
        if self.producers == 0 || self.producers > MAX_PRODUCERS {
            return Err(format!(
                "EpollStorm producers is {}: a consumer needs 1..={MAX_PRODUCERS} producers",
                self.producers
            ));
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let size = self.producers + 1;
        // Per group: K eventfds, K duplicates, one epoll fd.
        make_fd_room(self.name(), n, 2 * n)?;
        let mut out = Vec::with_capacity(n);
        for group in 0..n / size {
            let page = SharedPage::<Acks>::new(self.name(), group)?;
            // SAFETY: plain syscalls with flag arguments.
            let epoll = owned(
                unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) },
                "epoll_create1",
            )?;
            let mut writers = Vec::with_capacity(self.producers);
            let mut readers = Vec::with_capacity(self.producers);
            for k in 0..self.producers {
                let flags = libc::EFD_CLOEXEC | libc::EFD_NONBLOCK;
                // SAFETY: as above.
                let efd = owned(unsafe { libc::eventfd(0, flags) }, "eventfd")?;
                let dup = efd
                    .try_clone()
                    .map_err(|e| format!("EpollStorm: dup of an eventfd: {e}"))?;
                let mut ev = libc::epoll_event {
                    events: libc::EPOLLIN as u32,
                    u64: k as u64,
                };
                // SAFETY: both descriptors are open; `ev` is valid for the call.
                let r = unsafe {
                    libc::epoll_ctl(
                        epoll.as_raw_fd(),
                        libc::EPOLL_CTL_ADD,
                        dup.as_raw_fd(),
                        &mut ev,
                    )
                };
                Errno::result(r).map_err(|e| format!("EpollStorm: epoll_ctl(ADD): {e}"))?;
                writers.push(efd);
                readers.push(dup);
            }
            out.push(Planned {
                body: Box::new(Consumer {
                    page: page.clone(),
                    epoll,
                    readers,
                }),
                group,
                role: "consumer",
            });
            for (k, efd) in writers.into_iter().enumerate() {
                out.push(Planned {
                    body: Box::new(Producer {
                        page: page.clone(),
                        k,
                        efd,
                        spin_iters: self.spin_iters,
                        sink: 0,
                    }),
                    group,
                    role: "producer",
                });
            }
        }
        Ok(out)
    }
}

/// The consumer: the epoll fd and its own duplicate of every eventfd.
struct Consumer {
    page: Arc<SharedPage<Acks>>,
    epoll: OwnedFd,
    readers: Vec<OwnedFd>,
}

impl Body for Consumer {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let k = self.readers.len();
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; k];
        // Producers acknowledged at least once: the consumer's first pass
        // lasts until each has had its first round trip.
        let mut acked = vec![false; k];
        let mut all = false;
        let mut done = false;
        loop {
            let slice = WAIT_SLICE.as_millis() as libc::c_int;
            // SAFETY: `events` has room for `k` entries; the fd is open.
            let r = unsafe {
                libc::epoll_wait(
                    self.epoll.as_raw_fd(),
                    events.as_mut_ptr(),
                    k as libc::c_int,
                    slice,
                )
            };
            let ready = match Errno::result(r) {
                Ok(r) => r as usize,
                Err(Errno::EINTR) => 0,
                Err(e) => return Err(format!("EpollStorm consumer: epoll_wait: {e}")),
            };
            if ready == 0 {
                if give_up(w, done && all) {
                    return Ok(());
                }
                continue;
            }
            w.resumed();
            for ev in &events[..ready] {
                let p = { ev.u64 } as usize;
                let mut buf = [0u8; 8];
                match nix::unistd::read(self.readers[p].as_raw_fd(), &mut buf) {
                    Ok(8) => {}
                    Ok(_) | Err(Errno::EAGAIN) | Err(Errno::EINTR) => continue,
                    Err(e) => return Err(format!("EpollStorm consumer: eventfd read: {e}")),
                }
                let sent = u64::from_ne_bytes(buf);
                w.record_wake_latency(clock::monotonic_ns().saturating_sub(sent));
                s.acks[p].0.ring();
                s.acks[p].0.wake(1);
                acked[p] = true;
                done = true;
                w.add_units(1);
            }
            all = all || acked.iter().all(|&a| a);
            w.end_iteration();
            if done && give_up(w, all) {
                return Ok(());
            }
        }
    }

    fn owned_fds(&self) -> Vec<RawFd> {
        let mut fds = vec![self.epoll.as_raw_fd()];
        fds.extend(self.readers.iter().map(|f| f.as_raw_fd()));
        fds
    }
}

/// One producer and its eventfd.
struct Producer {
    page: Arc<SharedPage<Acks>>,
    k: usize,
    efd: OwnedFd,
    spin_iters: u64,
    sink: u64,
}

impl Body for Producer {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let ack = &page.get().acks[self.k].0;
        let mut done = false;
        loop {
            burn(w, self.spin_iters, &mut self.sink);
            let seen = ack.rings();
            // The counter is 0 (the consumer read the last value before
            // acknowledging it), so it now holds exactly this timestamp.
            let now = clock::monotonic_ns().to_ne_bytes();
            loop {
                match nix::unistd::write(&self.efd, &now) {
                    Ok(_) => break,
                    Err(Errno::EINTR) => continue,
                    Err(e) => return Err(format!("EpollStorm producer: eventfd write: {e}")),
                }
            }
            let Some((_, acked)) = ack.wait(w, done, |v| v != seen) else {
                return Ok(());
            };
            w.woken_since(acked);
            done = true;
            w.add_units(1);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }

    fn owned_fds(&self) -> Vec<RawFd> {
        vec![self.efd.as_raw_fd()]
    }
}
