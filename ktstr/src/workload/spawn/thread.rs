//! Thread workers (Thread mode, and the threads inside a pcomm container).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

use super::Launch;
use crate::workload::control::{state, Control};
use crate::workload::run::{run_worker, send_report};
use crate::{Error, Result};

/// Stack size of a worker thread: work bodies keep little on the stack, and
/// 512 workers at the default 2 MiB would reserve 1 GiB of address space.
const STACK: usize = 256 * 1024;

/// Start one worker thread.
pub(crate) fn spawn_thread(
    ctl: &Arc<Control>,
    launch: Launch,
    alive: impl Fn() -> bool + Send + 'static,
) -> Result<JoinHandle<()>> {
    let Launch {
        seat,
        settings,
        body,
        report,
    } = launch;
    let index = seat.index;
    let name = format!("ktstr-w{index}");
    let ctl2 = ctl.clone();
    std::thread::Builder::new()
        .name(name)
        .stack_size(STACK)
        .spawn(move || {
            if let Some(r) = run_worker(&ctl2, seat, &settings, body, alive) {
                send_report(report, &r);
            }
            ctl2.slot(index).state.store(state::DONE, Ordering::Release);
        })
        .map_err(|e| Error::Os {
            op: format!("start worker thread {index}"),
            source: e,
        })
}
