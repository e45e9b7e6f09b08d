//! Reading every worker's report at once.
//!
//! All report pipes are polled together under one deadline, so a worker that
//! never answers costs the deadline once, not once per worker after it
//! (upstream read them one after another and dropped every report behind a
//! slow one).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

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
pub(crate) fn read_all(fds: &mut [Option<OwnedFd>], deadline: Instant) -> Vec<Received> {
    let mut out: Vec<Received> = fds.iter().map(|_| Received::default()).collect();
    for (i, fd) in fds.iter().enumerate() {
        if fd.is_none() {
            out[i].eof = true;
        }
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let open: Vec<usize> = (0..fds.len()).filter(|&i| fds[i].is_some()).collect();
        if open.is_empty() {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let ms = (deadline - now).as_millis().clamp(1, 60_000) as u16;
        let ready: Vec<usize> = {
            let mut pfds: Vec<PollFd> = open
                .iter()
                .map(|&i| PollFd::new(fds[i].as_ref().expect("open").as_fd(), PollFlags::POLLIN))
                .collect();
            match poll(&mut pfds, PollTimeout::from(ms)) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Err(_) => break,
                Ok(_) => {}
            }
            open.iter()
                .zip(&pfds)
                .filter(|(_, p)| p.revents().is_some_and(|r| !r.is_empty()))
                .map(|(&i, _)| i)
                .collect()
        };
        for i in ready {
            let fd = fds[i].as_ref().expect("open").as_raw_fd();
            loop {
                match nix::unistd::read(fd, &mut buf) {
                    Ok(0) => {
                        out[i].eof = true;
                        fds[i] = None;
                        break;
                    }
                    Ok(n) => {
                        out[i].bytes.extend_from_slice(&buf[..n]);
                        if frame(&out[i].bytes).is_some() {
                            out[i].eof = true;
                            fds[i] = None;
                            break;
                        }
                    }
                    Err(Errno::EINTR) => continue,
                    Err(Errno::EAGAIN) => break,
                    Err(_) => {
                        out[i].eof = true;
                        fds[i] = None;
                        break;
                    }
                }
            }
        }
    }
    for fd in fds.iter_mut() {
        *fd = None;
    }
    out
}
