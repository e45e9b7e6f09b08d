//! Pipe ping-pong: `PipeIo` and `CachePipe`.
//!
//! Each pair has two pipes, one per direction, created by `plan` before
//! any worker exists. "ping" writes a message and blocks until "pong"
//! answers; "pong" blocks until the message, does its burst and answers.
//! One iteration is one round trip, every message wakes a partner that is
//! really asleep, and a message is the sender's `CLOCK_MONOTONIC` time
//! (8 bytes), so the receiver measures its own wake latency from the
//! moment of the write.
//!
//! # Stop
//!
//! A receiver blocks in `read(2)` itself, as `perf bench sched pipe` does:
//! no `poll` before it and no timer per wait, so a message costs one
//! `write` and one `read`. Stop reaches it through the pipe: `plan` keeps
//! for the spawner a duplicate of the write end of every pipe a worker
//! reads, and at stop the handle writes [`STOP_TOKEN`] into each (a
//! [`StopHook`]). The token stays in the pipe, so a reader that has not
//! blocked yet still finds it; a worker that reads it stops (but during
//! its first-pass grace it keeps waiting for its partner, in `poll`s of
//! at most `WAIT_SLICE`, as every grouped type does). The write ends are
//! non-blocking, so the token never blocks the spawner.
//!
//! Because the spawner holds a write end of each pipe until stop, a reader
//! whose partner died sees no end of file: it waits for the token like any
//! other reader and reports at stop. A writer whose partner died still gets
//! EPIPE at once (nobody but the partner holds a read end) and ends its
//! loop early with a note.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::unistd::pipe2;

use super::cache::rmw_steps;
use super::group::{give_up, make_fd_room, BURST_SLICE, WAIT_SLICE};
use super::{Body, Entry, Family, Planned, StopHook};
use crate::sys::clock;
use crate::sys::signal::{self, SignalSet};
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

/// The message that means stop: never a `CLOCK_MONOTONIC` time.
const STOP_TOKEN: u64 = u64::MAX;

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
        // Two pipes (four fds) and the spawner's two stop-token ends per
        // pair, plus each worker's report pipe, can all be open at once in
        // this process (Thread mode).
        make_fd_room(self.name(), n, 5 * n)?;
        let mut out = Vec::with_capacity(n);
        for pair in 0..n / 2 {
            for body in self.pair(pair)? {
                let role = body.role();
                out.push(Planned {
                    body: Box::new(body),
                    group: pair,
                    role,
                });
            }
        }
        Ok(out)
    }
}

impl Pipe {
    /// The two bodies of pair `pair`, ping then pong, with their pipes.
    fn pair(&self, pair: usize) -> Result<[PipeBody; 2], String> {
        let name = self.name();
        let pipe = || {
            let err = |e: Errno| format!("{name}: cannot create the pipes of pair {pair}: {e}");
            let (r, w) = pipe2(OFlag::O_CLOEXEC).map_err(err)?;
            // Non-blocking write end (the flag belongs to the open file, so
            // the duplicate shares it): the spawner's stop token must never
            // block.
            fcntl(w.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(err)?;
            // The spawner's duplicate (F_DUPFD_CLOEXEC).
            let token = w
                .try_clone()
                .map_err(|e| format!("{name}: cannot duplicate a pipe end of pair {pair}: {e}"))?;
            Ok::<_, String>((r, w, token))
        };
        // ping -> pong, and pong -> ping.
        let (to_pong_r, to_pong_w, pong_stop) = pipe()?;
        let (to_ping_r, to_ping_w, ping_stop) = pipe()?;
        let body = |ping, rx, tx, stop| PipeBody {
            name,
            ping,
            rx,
            tx,
            stop: Some(stop),
            token_seen: false,
            burst_iters: self.burst_iters,
            cache_kb: self.cache_kb,
            buf: Vec::new(),
            idx: 0,
            sink: 0,
        };
        Ok([
            body(true, to_ping_r, to_pong_w, ping_stop),
            body(false, to_pong_r, to_ping_w, pong_stop),
        ])
    }
}

/// What a send or a wait for the partner's message ended with.
enum Msg {
    /// Sent or received; the message (its send timestamp).
    Done(u64),
    /// Stop requested (see `group::give_up`).
    Stopped,
    /// The partner is gone: EPIPE on a write, or end of file on a read
    /// (every write end closed, which only happens after stop).
    Gone,
}

/// One side of a pair.
struct PipeBody {
    name: &'static str,
    ping: bool,
    rx: OwnedFd,
    tx: OwnedFd,
    /// The spawner's duplicate of the write end of `rx`, until `spawn`
    /// takes it as this worker's stop hook.
    stop: Option<OwnedFd>,
    /// Set once this worker read the stop token while stop could not end
    /// its wait yet (first-pass grace): its later waits are bounded `poll`s,
    /// as no second token will come.
    token_seen: bool,
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

    /// Write one message (the current time). The first attempt is the
    /// hot path; errors and retries are [`send_slow`](Self::send_slow).
    #[inline]
    fn send(&self, w: &Worker, done: bool) -> Result<Msg, String> {
        let now = clock::monotonic_ns();
        match nix::unistd::write(&self.tx, &now.to_ne_bytes()) {
            // Writes of at most PIPE_BUF bytes are atomic: all or nothing.
            Ok(_) => Ok(Msg::Done(now)),
            Err(e) => self.send_slow(w, done, e),
        }
    }

    /// [`send`](Self::send) after its first write failed with `err`.
    #[cold]
    #[inline(never)]
    fn send_slow(&self, w: &Worker, done: bool, mut err: Errno) -> Result<Msg, String> {
        loop {
            match err {
                Errno::EINTR => {}
                // SIGPIPE is ignored in every clone mode.
                Errno::EPIPE => return Ok(Msg::Gone),
                // Full (never in strict alternation, where at most one
                // message and the stop token are ever queued): wait for room.
                Errno::EAGAIN => {
                    let mut fds = [PollFd::new(self.tx.as_fd(), PollFlags::POLLOUT)];
                    let _ = poll(&mut fds, slice());
                    if give_up(w, done) {
                        return Ok(Msg::Stopped);
                    }
                }
                e => return Err(format!("{} {}: pipe write: {e}", self.name, self.role())),
            }
            let now = clock::monotonic_ns();
            match nix::unistd::write(&self.tx, &now.to_ne_bytes()) {
                Ok(_) => return Ok(Msg::Done(now)),
                Err(e) => err = e,
            }
        }
    }

    /// Wait for the partner's message: block in `read` until a message or
    /// the stop token (see the module doc). One whole message at the first
    /// `read` is the hot path; everything else is
    /// [`recv_slow`](Self::recv_slow).
    #[inline]
    fn recv(&mut self, w: &Worker, done: bool) -> Result<Msg, String> {
        let mut msg = [0u8; 8];
        if self.token_seen {
            return self.recv_slow(w, done, msg, None);
        }
        let first = nix::unistd::read(self.rx.as_raw_fd(), &mut msg);
        if first == Ok(msg.len()) {
            let sent_ns = u64::from_ne_bytes(msg);
            if sent_ns != STOP_TOKEN {
                return Ok(Msg::Done(sent_ns));
            }
        }
        self.recv_slow(w, done, msg, Some(first))
    }

    /// [`recv`](Self::recv) from the outcome of its first `read` into
    /// `msg` (None: no read yet).
    #[cold]
    #[inline(never)]
    fn recv_slow(
        &mut self,
        w: &Worker,
        done: bool,
        mut msg: [u8; 8],
        first: Option<nix::Result<usize>>,
    ) -> Result<Msg, String> {
        let mut got = 0;
        let mut outcome = first;
        loop {
            let r = match outcome.take() {
                Some(r) => r,
                // After the token, a bounded wait before each read.
                None if self.token_seen && !self.readable_soon()? => {
                    if give_up(w, done) {
                        return Ok(Msg::Stopped);
                    }
                    continue;
                }
                None => nix::unistd::read(self.rx.as_raw_fd(), &mut msg[got..]),
            };
            match r {
                Ok(0) => return Ok(Msg::Gone),
                Ok(k) => {
                    got += k;
                    if got < msg.len() {
                        continue;
                    }
                    got = 0;
                    let sent_ns = u64::from_ne_bytes(msg);
                    if sent_ns != STOP_TOKEN {
                        return Ok(Msg::Done(sent_ns));
                    }
                    if give_up(w, done) {
                        return Ok(Msg::Stopped);
                    }
                    self.token_seen = true;
                }
                // EINTR: the stop signal of Fork and pcomm workers.
                Err(Errno::EINTR) | Err(Errno::EAGAIN) => {
                    if give_up(w, done) {
                        return Ok(Msg::Stopped);
                    }
                }
                Err(e) => return Err(format!("{} {}: pipe read: {e}", self.name, self.role())),
            }
        }
    }

    /// `poll` the pipe for at most `WAIT_SLICE`: whether it is readable
    /// (false on a timeout or a signal).
    fn readable_soon(&self) -> Result<bool, String> {
        let mut fds = [PollFd::new(self.rx.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, slice()) {
            Ok(0) | Err(Errno::EINTR) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => Err(format!("{} {}: pipe poll: {e}", self.name, self.role())),
        }
    }

    /// The partner is gone: a note, unless we are stopping anyway (then
    /// the partner simply stopped first).
    #[cold]
    fn partner_gone(&self, w: &mut Worker) {
        if !w.should_stop() {
            w.note(format!(
                "{} {}: the partner closed its pipe (it exited or was killed); stopped early",
                self.name,
                self.role()
            ));
        }
    }

    /// Send one message: its timestamp, or None when the loop must end
    /// (stop, or the partner is gone, with a note).
    #[inline]
    fn send_or_end(&self, w: &mut Worker, done: bool) -> Result<Option<u64>, String> {
        match self.send(w, done)? {
            Msg::Done(sent_ns) => Ok(Some(sent_ns)),
            Msg::Stopped => Ok(None),
            Msg::Gone => {
                self.partner_gone(w);
                Ok(None)
            }
        }
    }

    /// Receive one message: its send timestamp, or None when the loop
    /// must end.
    #[inline]
    fn recv_or_end(&mut self, w: &mut Worker, done: bool) -> Result<Option<u64>, String> {
        match self.recv(w, done)? {
            Msg::Done(sent_ns) => Ok(Some(sent_ns)),
            Msg::Stopped => Ok(None),
            Msg::Gone => {
                self.partner_gone(w);
                Ok(None)
            }
        }
    }
}

/// `WAIT_SLICE` as a poll timeout.
fn slice() -> PollTimeout {
    PollTimeout::from(WAIT_SLICE.as_millis() as u16)
}

/// The spawner's stop hook of one worker: [`STOP_TOKEN`] into the pipe it
/// reads.
struct StopToken(OwnedFd);

impl StopHook for StopToken {
    fn wake(&self) {
        write_without_sigpipe(&self.0, &STOP_TOKEN.to_ne_bytes());
    }

    fn fds(&self) -> Vec<RawFd> {
        vec![self.0.as_raw_fd()]
    }
}

/// One non-blocking write to the pipe end `fd` that cannot raise SIGPIPE
/// in the calling process (the reader may be dead, and the spawner may not
/// ignore SIGPIPE): SIGPIPE is blocked on this thread around the write, and
/// the one the write raised (it is directed at the writing thread) is taken
/// back with `sigtimedwait` unless one was already pending. Errors
/// (EPIPE: nobody reads any more; EAGAIN: full, which wakes the reader
/// anyway) are ignored.
fn write_without_sigpipe(fd: &OwnedFd, bytes: &[u8]) {
    let pipe = SigSet::from(Signal::SIGPIPE);
    let Ok(old) = pipe.thread_swap_mask(SigmaskHow::SIG_BLOCK) else {
        return;
    };
    let pending = || signal::is_pending(libc::SIGPIPE);
    let was_pending = pending();
    let r = loop {
        match nix::unistd::write(fd, bytes) {
            Err(Errno::EINTR) => continue,
            r => break r,
        }
    };
    if r == Err(Errno::EPIPE) && !was_pending && pending() {
        // SIGPIPE is pending and blocked: this returns at once, consuming it.
        if let Ok(set) = SignalSet::of(libc::SIGPIPE) {
            let _ = set.take(std::time::Duration::ZERO);
        }
    }
    let _ = old.thread_set_mask();
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
            // Telemetry with the two clock reads a message needs anyway: a
            // received message samples its latency and restarts the gap
            // clock (`woken_since`); a sent message's stamp is the
            // checkpoint of the run from the wakeup to the send, on both
            // sides (the block that follows is voluntary).
            if self.ping {
                self.burst(w);
                let Some(sent_ns) = self.send_or_end(w, done)? else {
                    return Ok(());
                };
                w.checkpoint_at(sent_ns);
                let Some(answer_ns) = self.recv_or_end(w, done)? else {
                    return Ok(());
                };
                // The answer ends the round trip.
                w.add_units(1);
                w.woken_since_and_end_iteration(answer_ns);
            } else {
                let Some(sent_ns) = self.recv_or_end(w, done)? else {
                    return Ok(());
                };
                w.woken_since(sent_ns);
                self.burst(w);
                let Some(answer_ns) = self.send_or_end(w, done)? else {
                    return Ok(());
                };
                w.add_units(1);
                w.end_iteration_at(answer_ns);
            }
            done = true;
            if w.should_stop() {
                return Ok(());
            }
        }
    }

    fn owned_fds(&self) -> Vec<RawFd> {
        vec![self.rx.as_raw_fd(), self.tx.as_raw_fd()]
    }

    fn take_stop_hook(&mut self) -> Option<Box<dyn StopHook>> {
        let fd = self.stop.take()?;
        Some(Box::new(StopToken(fd)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::control::Control;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn worker(ctl: &Arc<Control>, index: usize) -> Worker {
        Worker::for_test(ctl, index, "PipeIo")
    }

    fn pair() -> [PipeBody; 2] {
        let p = Pipe {
            burst_iters: 0,
            cache_kb: None,
        };
        p.pair(0).unwrap()
    }

    #[test]
    fn the_stop_token_ends_a_blocked_read() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let [_ping, mut pong] = pair();
        let hook = pong.take_stop_hook().expect("a stop hook");
        assert!(pong.take_stop_hook().is_none(), "taken once");
        let ctl2 = ctl.clone();
        let reader = std::thread::spawn(move || {
            let w = worker(&ctl2, 1);
            let t = Instant::now();
            let stopped = matches!(pong.recv(&w, true), Ok(Msg::Stopped));
            (stopped, t.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        ctl.request_stop();
        hook.wake();
        let (stopped, took) = reader.join().unwrap();
        assert!(stopped, "the token is stop");
        // Blocked in one read the whole time: no timeout ended it early.
        assert!(took >= Duration::from_millis(250), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn a_token_written_before_the_read_is_not_lost() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let [_ping, mut pong] = pair();
        let hook = pong.take_stop_hook().unwrap();
        ctl.request_stop();
        hook.wake();
        drop(hook);
        let w = worker(&ctl, 1);
        assert!(matches!(pong.recv(&w, true), Ok(Msg::Stopped)));
    }

    #[test]
    fn within_the_first_pass_grace_the_token_does_not_end_the_wait() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let [ping, mut pong] = pair();
        let hook = pong.take_stop_hook().unwrap();
        ctl.request_stop();
        hook.wake();
        let ctl2 = ctl.clone();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            let w = worker(&ctl2, 0);
            assert!(matches!(ping.send(&w, false), Ok(Msg::Done(_))));
            ping
        });
        let w = worker(&ctl, 1);
        // Not done yet: the token is read, but the partner's message is
        // still awaited.
        let got = pong.recv(&w, false).unwrap();
        assert!(matches!(got, Msg::Done(t) if t != STOP_TOKEN));
        assert!(pong.token_seen);
        let _ping = sender.join().unwrap();
    }

    #[test]
    fn a_writer_whose_reader_is_gone_gets_epipe() {
        let ctl = Arc::new(Control::new(2).unwrap());
        let [ping, mut pong] = pair();
        // The spawner holds write ends only: the read end dies with pong.
        let _hook = pong.take_stop_hook().unwrap();
        drop(pong);
        let _ = SigSet::from(Signal::SIGPIPE).thread_block();
        let w = worker(&ctl, 0);
        assert!(matches!(ping.send(&w, true), Ok(Msg::Gone)));
    }

    /// Whether SIGPIPE is pending for this thread.
    fn sigpipe_pending() -> bool {
        crate::sys::signal::is_pending(libc::SIGPIPE)
    }

    #[test]
    fn the_token_raises_no_sigpipe_when_nobody_reads() {
        std::thread::spawn(|| {
            let [ping, mut pong] = pair();
            let hook = pong.take_stop_hook().unwrap();
            drop((ping, pong));
            let before = SigSet::thread_get_mask().unwrap();
            hook.wake();
            assert!(
                !sigpipe_pending(),
                "the SIGPIPE of the write was taken back"
            );
            let after = SigSet::thread_get_mask().unwrap();
            assert_eq!(
                before.contains(Signal::SIGPIPE),
                after.contains(Signal::SIGPIPE),
                "the signal mask is restored"
            );
        })
        .join()
        .unwrap();
    }
}
