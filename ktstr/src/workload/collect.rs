//! Reading every worker's report at once.
//!
//! All report pipes are watched together (one epoll set) under one deadline, so a worker that
//! never answers costs the deadline once, not once per worker after it
//! (upstream read them one after another and dropped every report behind a
//! slow one).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Instant;

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use super::run::frame;

/// What came out of one report pipe.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// Bytes read.
    pub bytes: Vec<u8>,
    /// Whether the pipe is finished: a complete report frame arrived, or end
    /// of file (the worker died or closed it without a report).
    pub eof: bool,
}

/// Read all pipes until each is at EOF or `deadline` passes. Pipes are
/// closed as they finish; the ones still open at the deadline are closed too.
///
/// One epoll set holds every pipe, so each wakeup costs the pipes that are
/// ready, not all of them: collecting N workers is linear in N (a `poll`
/// over every open pipe per wakeup made it quadratic).
pub(crate) fn read_all(fds: &mut [Option<OwnedFd>], deadline: Instant) -> Vec<Received> {
    let mut out: Vec<Received> = fds.iter().map(|_| Received::default()).collect();
    let epoll = match Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ktstr: epoll_create1 failed ({e}): reports cannot be read");
            fds.iter_mut().for_each(|fd| *fd = None);
            return out;
        }
    };
    let mut open = 0usize;
    for (i, fd) in fds.iter_mut().enumerate() {
        let Some(f) = fd.as_ref() else {
            out[i].eof = true;
            continue;
        };
        if epoll
            .add(f.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, i as u64))
            .is_err()
        {
            out[i].eof = true;
            *fd = None;
            continue;
        }
        open += 1;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = vec![EpollEvent::empty(); 256];
    while open > 0 {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let ms = (deadline - now).as_millis().clamp(1, 60_000) as u16;
        let n = match epoll.wait(&mut events, EpollTimeout::from(ms)) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(_) => break,
        };
        for ev in &events[..n] {
            let i = ev.data() as usize;
            if fds[i].is_none() {
                continue;
            }
            if drain(fds[i].as_ref().expect("open"), &mut buf, &mut out[i]) {
                if let Some(f) = fds[i].take() {
                    let _ = epoll.delete(f.as_fd());
                }
                open -= 1;
            }
        }
    }
    for fd in fds.iter_mut() {
        *fd = None;
    }
    out
}

/// Read what `fd` holds now into `got`. Returns true when the pipe is
/// finished (a complete frame, end of file, or an error).
fn drain(fd: &OwnedFd, buf: &mut [u8], got: &mut Received) -> bool {
    loop {
        match nix::unistd::read(fd.as_raw_fd(), buf) {
            Ok(0) => {
                got.eof = true;
                return true;
            }
            Ok(n) => {
                got.bytes.extend_from_slice(&buf[..n]);
                if frame(&got.bytes).is_some() {
                    got.eof = true;
                    return true;
                }
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return false,
            Err(_) => {
                got.eof = true;
                return true;
            }
        }
    }
}
