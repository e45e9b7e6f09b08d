//! Ctrl-C handling for long runs: [`install`] turns SIGINT and SIGTERM
//! into a flag that [`requested`] reads, so a run can stop its workers,
//! collect their reports and clean up instead of dying half-way.
//!
//! A second signal of either kind restores the default action and re-raises
//! it, so a stuck run can still be killed from the keyboard.

use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{raise, sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

static REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    if REQUESTED.swap(true, Ordering::SeqCst) {
        // Second signal: die the default way. Only async-signal-safe calls.
        let dfl = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
        if let Ok(sig) = Signal::try_from(sig) {
            // SAFETY: restoring SIG_DFL is async-signal-safe.
            let _ = unsafe { sigaction(sig, &dfl) };
            let _ = raise(sig);
        }
    }
}

/// Install the SIGINT/SIGTERM handlers (idempotent).
pub fn install() -> nix::Result<()> {
    let act = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only touches an atomic and, on the second
        // signal, async-signal-safe calls.
        unsafe { sigaction(sig, &act)? };
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
