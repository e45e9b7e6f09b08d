//! SIGINT/SIGTERM handling, the one implementation for the whole crate:
//! [`install`] turns either signal into a flag that [`requested`] reads,
//! so a run can stop its workers, collect their reports and clean up
//! instead of dying half-way. [`signal`] tells which signal came (the
//! harness exits 130 for SIGINT and 143 for SIGTERM, as a shell would).
//!
//! A second signal of either kind is the user insisting: the handler
//! SIGKILLs every process group registered with [`guard_group`] (the test
//! process the harness is supervising), restores the default action and
//! re-raises the signal, so nothing the harness started outlives it.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use nix::sys::signal::{killpg, raise, SaFlags, Signal};
use nix::unistd::Pid;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Process groups to SIGKILL on a second signal; 0 marks a free slot.
/// Fixed-size and lock-free because the signal handler reads it.
static GROUPS: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

extern "C" fn on_signal(sig: libc::c_int) {
    let _ = SIGNAL.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    if REQUESTED.swap(true, Ordering::SeqCst) {
        // Second signal: kill what we supervise, then die the default way.
        // Only async-signal-safe calls (kill, sigaction, raise).
        for slot in &GROUPS {
            let pgid = slot.load(Ordering::SeqCst);
            if pgid > 0 {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
        }
        if let Ok(sig) = Signal::try_from(sig) {
            // Restoring SIG_DFL is async-signal-safe.
            let _ = crate::sys::signal::set_default(sig);
            let _ = raise(sig);
        }
    }
}

/// Install the SIGINT/SIGTERM handlers (idempotent).
pub fn install() -> nix::Result<()> {
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // The handler only touches atomics and, on the second signal,
        // makes async-signal-safe calls.
        crate::sys::signal::set_handler(sig, on_signal, SaFlags::SA_RESTART)?;
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The first signal that arrived (SIGINT or SIGTERM), if any.
pub fn signal() -> Option<Signal> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Signal::try_from(s).ok(),
    }
}

/// The exit code a shell reports for a process ended by the first signal
/// that arrived: 128 + its number (130 for SIGINT, 143 for SIGTERM).
pub fn exit_code() -> Option<u8> {
    signal().map(|s| 128 + s as u8)
}

/// Registers process group `pgid` to be SIGKILLed if a second signal
/// arrives, until the returned guard is dropped. When every slot is taken
/// the group is not registered (the supervisor still stops it on the
/// first signal).
pub fn guard_group(pgid: Pid) -> GroupGuard {
    let raw = pgid.as_raw();
    let slot = GROUPS.iter().position(|s| {
        s.compare_exchange(0, raw, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    });
    GroupGuard { slot }
}

/// Keeps a process group registered with [`guard_group`]; unregisters it
/// on drop.
#[derive(Debug)]
pub struct GroupGuard {
    slot: Option<usize>,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            GROUPS[i].store(0, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_groups_take_and_release_slots() {
        let guards: Vec<GroupGuard> = (0..GROUPS.len())
            .map(|i| guard_group(Pid::from_raw(1_000_000 + i as i32)))
            .collect();
        assert!(guards.iter().all(|g| g.slot.is_some()));
        let extra = guard_group(Pid::from_raw(2_000_000));
        assert!(extra.slot.is_none(), "no slot left");
        drop(guards);
        let again = guard_group(Pid::from_raw(3_000_000));
        assert!(again.slot.is_some());
    }
}
