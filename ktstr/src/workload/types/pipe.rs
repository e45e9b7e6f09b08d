//! Pipe ping-pong: `PipeIo` and `CachePipe`.
//!
//! Each pair has two pipes, one per direction, created by `plan` before
//! any worker exists. "ping" writes a message and blocks until "pong"
//! answers; "pong" blocks until the message, does its burst and answers.
//! One iteration is one round trip, every message wakes a partner that is
//! really asleep, and a message is the sender's `CLOCK_MONOTONIC` time
//! (8 bytes), so the receiver measures its own wake latency from the
//! moment of the write.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::pipe2;

use super::cache::rmw_steps;
use super::group::{give_up, make_fd_room, BURST_SLICE, WAIT_SLICE};
use super::{Body, Entry, Family, Planned};
use crate::sys::clock;
use crate::workload::{spin_burst, WorkType, Worker};

pub(crate) const PIPE_IO: Entry = Entry {
    name: "PipeIo",
    group: "2",
    about:
        "pipe ping-pong in strict alternation: sync wakeups, wake-affine placement, wake latency",
    default: Some(WorkType::pipe_io),
};
pub(crate) const CACHE_PIPE: Entry = Entry {
    name: "CachePipe",
    group: "2",
    about: "PipeIo with a cache-hot buffer touched after every wake: cost of waking on a cold CPU",
    default: Some(WorkType::cache_pipe),
};

/// Bytes between two touches of the CachePipe buffer: one cache line.
const CACHE_STRIDE: usize = 64;
/// Largest CachePipe buffer, in KiB (1 GiB).
const MAX_SIZE_KB: usize = 1 << 20;

/// `PipeIo { burst_iters }` (`cache_kb: None`) or
/// `CachePipe { size_kb, burst_iters }` (`cache_kb: Some(size_kb)`).
#[derive(Clone, Copy)]
pub(crate) struct Pipe {
    pub burst_iters: u64,
    pub cache_kb: Option<usize>,
}

impl Family for Pipe {
    fn name(&self) -> &'static str {
        match self.cache_kb {
            None => PIPE_IO.name,
            Some(_) => CACHE_PIPE.name,
        }
    }

    fn group_size(&self) -> Option<usize> {
        Some(2)
    }

    fn validate(&self) -> Result<(), String> {
        match self.cache_kb {
            Some(kb) if kb == 0 || kb > MAX_SIZE_KB => Err(format!(
                "CachePipe size_kb is {kb}: it must be within 1..={MAX_SIZE_KB} (1 GiB); \
                 use PipeIo for pipe ping-pong without a buffer"
            )),
            _ => Ok(()),
        }
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        let name = self.name();
        // Two pipes (four fds) per pair, plus each worker's report pipe,
        // can all be open at once in this process (Thread mode).
        make_fd_room(name, n, 4 * n)?;
        let mut out = Vec::with_capacity(n);
        for pair in 0..n / 2 {
            let pipe = || {
                pipe2(OFlag::O_CLOEXEC)
                    .map_err(|e| format!("{name}: cannot create the pipes of pair {pair}: {e}"))
            };
            // ping -> pong, and pong -> ping.
            let (to_pong_r, to_pong_w) = pipe()?;
            let (to_ping_r, to_ping_w) = pipe()?;
            for (role, rx, tx) in [
                ("ping", to_ping_r, to_pong_w),
                ("pong", to_pong_r, to_ping_w),
            ] {
                out.push(Planned {
                    body: Box::new(PipeBody {
                        name,
                        ping: role == "ping",
                        rx,
                        tx,
                        burst_iters: self.burst_iters,
                        cache_kb: self.cache_kb,
                        buf: Vec::new(),
                        idx: 0,
                        sink: 0,
                    }),
                    group: pair,
                    role,
                });
            }
        }
        Ok(out)
    }
}

/// What a wait for the partner's message ended with.
enum Recv {
    /// The partner's send timestamp.
    Message(u64),
    /// Stop requested (see `group::give_up`).
    Stopped,
    /// End of file: the partner closed its end (exited or died).
    Gone,
}

/// One side of a pair.
struct PipeBody {
    name: &'static str,
    ping: bool,
    rx: OwnedFd,
    tx: OwnedFd,
    burst_iters: u64,
    cache_kb: Option<usize>,
    buf: Vec<u8>,
    idx: usize,
    sink: u64,
}

impl PipeBody {
    fn role(&self) -> &'static str {
        if self.ping {
            "ping"
        } else {
            "pong"
        }
    }

    /// The CPU work between messages: `burst_iters` spin steps (PipeIo) or
    /// cache-line read-modify-writes (CachePipe), in stop-checked slices.
    fn burst(&mut self, w: &Worker) {
        let mut left = self.burst_iters;
        while left > 0 {
            let step = left.min(BURST_SLICE);
            if self.buf.is_empty() {
                spin_burst(step, &mut self.sink);
            } else {
                rmw_steps(&mut self.buf, &mut self.idx, CACHE_STRIDE, step);
            }
            left -= step;
            if left > 0 && w.should_stop() {
                return;
            }
        }
    }

    /// Write one message (the current time). Ok(false) when the partner
    /// is gone (EPIPE; SIGPIPE is ignored in every clone mode).
    fn send(&self) -> Result<bool, String> {
        let msg = clock::monotonic_ns().to_ne_bytes();
        loop {
            match nix::unistd::write(&self.tx, &msg) {
                // Writes of at most PIPE_BUF bytes are atomic: all or nothing.
                Ok(_) => return Ok(true),
                Err(Errno::EINTR) => continue,
                Err(Errno::EPIPE) => return Ok(false),
                Err(e) => return Err(format!("{} {}: pipe write: {e}", self.name, self.role())),
            }
        }
    }

    /// Wait for the partner's message, at most `WAIT_SLICE` per poll.
    fn recv(&self, w: &Worker, done: bool) -> Result<Recv, String> {
        let mut msg = [0u8; 8];
        let mut got = 0;
        loop {
            let mut fds = [PollFd::new(self.rx.as_fd(), PollFlags::POLLIN)];
            let slice = PollTimeout::from(WAIT_SLICE.as_millis() as u16);
            match poll(&mut fds, slice) {
                Ok(0) | Err(Errno::EINTR) => {
                    if give_up(w, done) {
                        return Ok(Recv::Stopped);
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => return Err(format!("{} {}: pipe poll: {e}", self.name, self.role())),
            }
            match nix::unistd::read(self.rx.as_raw_fd(), &mut msg[got..]) {
                Ok(0) => return Ok(Recv::Gone),
                Ok(k) => {
                    got += k;
                    if got == msg.len() {
                        return Ok(Recv::Message(u64::from_ne_bytes(msg)));
                    }
                }
                Err(Errno::EINTR) | Err(Errno::EAGAIN) => {}
                Err(e) => return Err(format!("{} {}: pipe read: {e}", self.name, self.role())),
            }
        }
    }

    /// The partner is gone: a note, unless we are stopping anyway (then
    /// the partner simply stopped first).
    fn partner_gone(&self, w: &mut Worker) {
        if !w.should_stop() {
            w.note(format!(
                "{} {}: the partner closed its pipe (it exited or was killed); stopped early",
                self.name,
                self.role()
            ));
        }
    }

    /// A message arrived: sample its latency, restart the gap clock.
    fn received(w: &mut Worker, sent_ns: u64) {
        w.woken_since(sent_ns);
    }
}

impl Body for PipeBody {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        // A write to a dead partner must be EPIPE, never a fatal SIGPIPE:
        // forked workers ignore it and Rust programs ignore it at startup;
        // blocking it on this thread also covers hosts that do not.
        let _ = SigSet::from(Signal::SIGPIPE).thread_block();
        if let Some(kb) = self.cache_kb {
            // Allocated by the worker itself: first touch on its node.
            self.buf = vec![1u8; kb * 1024];
        }
        let mut done = false;
        loop {
            if self.ping {
                self.burst(w);
                if !self.send()? {
                    self.partner_gone(w);
                    return Ok(());
                }
                match self.recv(w, done)? {
                    Recv::Message(t) => Self::received(w, t),
                    Recv::Stopped => return Ok(()),
                    Recv::Gone => {
                        self.partner_gone(w);
                        return Ok(());
                    }
                }
            } else {
                match self.recv(w, done)? {
                    Recv::Message(t) => Self::received(w, t),
                    Recv::Stopped => return Ok(()),
                    Recv::Gone => {
                        self.partner_gone(w);
                        return Ok(());
                    }
                }
                self.burst(w);
                if !self.send()? {
                    self.partner_gone(w);
                    return Ok(());
                }
            }
            done = true;
            w.add_units(1);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }

    fn owned_fds(&self) -> Vec<RawFd> {
        vec![self.rx.as_raw_fd(), self.tx.as_raw_fd()]
    }
}
