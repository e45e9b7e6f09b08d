//! Creating workers in each clone mode. `process` forks (Fork workers and
//! the pcomm container), `thread` starts threads (Thread workers, and the
//! threads inside a pcomm container).

pub(crate) mod process;
pub(crate) mod thread;

use std::os::fd::OwnedFd;

use super::run::Settings;
use super::types::Body;
use super::worker::Seat;

/// Everything one worker needs, handed to the mode that creates it.
pub(crate) struct Launch {
    pub seat: Seat,
    pub settings: Settings,
    pub body: Box<dyn Body>,
    /// Write end of its report pipe.
    pub report: OwnedFd,
}
