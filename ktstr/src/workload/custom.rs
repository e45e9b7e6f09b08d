//! What a [`WorkType::Custom`](super::WorkType::Custom) runs: a
//! [`CustomBody`] (a closure, or a value of your own type) held in a
//! [`CustomFn`].
//!
//! A body carries its settings and any shared state with it, so an
//! asymmetric test needs no statics: a fast and a slow consumer are one
//! closure that reads [`Worker::index`] and captures the parameters and a
//! shared counter.
//!
//! # State across workers
//!
//! Every worker of the workload runs the same body (`&self`), so it is
//! `Send + Sync`. What it captures behind an [`Arc`] (an atomic counter, a
//! `Mutex`) is shared by the workers only in [`CloneMode::Thread`]: they
//! are threads of one process. In [`CloneMode::Fork`] each worker is a
//! forked process with its own copy of the body and of everything it
//! points to, taken at fork: the `Arc` state is per worker, and the
//! spawner never sees a worker's changes. Report per-worker results
//! through the [`Worker`] recorder (units, notes), which comes back from
//! both modes, and use Thread mode when the workers must share memory.
//!
//! [`CloneMode::Thread`]: super::CloneMode::Thread
//! [`CloneMode::Fork`]: super::CloneMode::Fork

use std::fmt;
use std::sync::Arc;

use super::Worker;

/// A `Custom` work body: owns the loop, drives the [`Worker`] recorder
/// (`add_units`, `end_iteration`, ...), and returns once
/// `Worker::should_stop()` turns true (checked at least every 100 ms). An
/// `Err` ends the worker early with that message in
/// `WorkerReport::error`.
///
/// Every `Fn(&mut Worker) -> Result<(), String> + Send + Sync` closure or
/// function is one; implement it on a type of your own to give a body
/// named settings.
pub trait CustomBody: Send + Sync + 'static {
    /// Run one worker until stopped.
    fn run(&self, w: &mut Worker) -> Result<(), String>;
}

impl<F> CustomBody for F
where
    F: Fn(&mut Worker) -> Result<(), String> + Send + Sync + 'static,
{
    fn run(&self, w: &mut Worker) -> Result<(), String> {
        self(w)
    }
}

/// A shared handle to a [`CustomBody`]; cloning it shares the body (and
/// its state, see the module doc).
#[derive(Clone)]
pub struct CustomFn(Arc<dyn CustomBody>);

impl CustomFn {
    /// Wrap `body`.
    pub fn new(body: impl CustomBody) -> CustomFn {
        CustomFn(Arc::new(body))
    }

    /// Run one worker with the body.
    pub(crate) fn run(&self, w: &mut Worker) -> Result<(), String> {
        self.0.run(w)
    }
}

impl fmt::Debug for CustomFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomFn(..)")
    }
}
