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

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use nix::sys::eventfd::{EfdFlags, EventFd};

use super::group::{
    burn, give_up, make_fd_room, page_state, Doorbell, Line, SharedPage, WAIT_SLICE,
};
use super::plan::plan_groups_with;
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

// repr(C), Doorbells (atomics only) on 64-byte lines, exactly one
// page; zero is "nothing acknowledged".
page_state! {
    /// One group's page: producer `k` waits on `acks[k]`.
    #[repr(C)]
    struct Acks {
        acks: [Line<Doorbell>; MAX_PRODUCERS],
    }
}

/// `EpollStorm { producers, spin_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct EpollStorm {
    pub producers: usize,
    pub spin_iters: u64,
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
        // Per group: K eventfds, K duplicates, one epoll fd.
        make_fd_room(self.name(), n, 2 * n)?;
        plan_groups_with(
            self.name(),
            n,
            self.producers + 1,
            |_, _: &SharedPage<Acks>| self.descriptors(),
            |page, fds, m| {
                if m.k == 0 {
                    let consumer = Consumer {
                        page: page.clone(),
                        epoll: fds.epoll.take().expect("one consumer per group"),
                        readers: std::mem::take(&mut fds.readers),
                    };
                    return (Box::new(consumer), "consumer");
                }
                let producer = Producer {
                    page: page.clone(),
                    k: m.k - 1,
                    efd: fds.writers.next().expect("one eventfd per producer"),
                    spin_iters: self.spin_iters,
                    sink: 0,
                };
                (Box::new(producer), "producer")
            },
        )
    }
}

/// One group's descriptors, handed out by `plan` to their owners: the
/// epoll fd and the duplicates to the consumer, an eventfd to each
/// producer.
struct GroupFds {
    epoll: Option<Epoll>,
    readers: Vec<OwnedFd>,
    writers: std::vec::IntoIter<OwnedFd>,
}

impl EpollStorm {
    /// A group's eventfds (non-blocking, close-on-exec), their duplicates
    /// and the epoll instance with every duplicate registered under its
    /// producer's number.
    fn descriptors(&self) -> Result<GroupFds, String> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)
            .map_err(|e| format!("EpollStorm: epoll_create1: {e}"))?;
        let mut writers = Vec::with_capacity(self.producers);
        let mut readers = Vec::with_capacity(self.producers);
        for k in 0..self.producers {
            let flags = EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK;
            let efd = EventFd::from_value_and_flags(0, flags)
                .map_err(|e| format!("EpollStorm: eventfd: {e}"))?;
            let dup = efd
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| format!("EpollStorm: dup of an eventfd: {e}"))?;
            epoll
                .add(&dup, EpollEvent::new(EpollFlags::EPOLLIN, k as u64))
                .map_err(|e| format!("EpollStorm: epoll_ctl(ADD): {e}"))?;
            writers.push(OwnedFd::from(efd));
            readers.push(dup);
        }
        Ok(GroupFds {
            epoll: Some(epoll),
            readers,
            writers: writers.into_iter(),
        })
    }
}

/// The consumer: the epoll fd and its own duplicate of every eventfd.
struct Consumer {
    page: Arc<SharedPage<Acks>>,
    epoll: Epoll,
    readers: Vec<OwnedFd>,
}

impl Body for Consumer {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let page = self.page.clone();
        let s = page.get();
        let k = self.readers.len();
        let mut events = vec![EpollEvent::empty(); k];
        // Producers acknowledged at least once: the consumer's first pass
        // lasts until each has had its first round trip.
        let mut acked = vec![false; k];
        let mut all = false;
        let mut done = false;
        loop {
            let slice = WAIT_SLICE.as_millis() as u16;
            let ready = match self.epoll.wait(&mut events, slice) {
                Ok(r) => r,
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
                let p = ev.data() as usize;
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
        let mut fds = vec![self.epoll.0.as_raw_fd()];
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
            if ack.wait_woken(w, done, |v| v != seen).is_none() || !w.pass_done(&mut done) {
                return Ok(());
            }
        }
    }

    fn owned_fds(&self) -> Vec<RawFd> {
        vec![self.efd.as_raw_fd()]
    }
}
