//! `IoSync`: small synchronous writes.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use super::{solo, Body, Entry, Family, Planned};
use crate::sys::clock;
use crate::workload::{WorkType, Worker};

pub(crate) const IO_SYNC: Entry = Entry {
    name: "IoSync",
    group: "-",
    about: "16 x 4 KiB writes then fdatasync: short I/O sleeps, dequeue/enqueue on block and wake",
    default: Some(|| WorkType::IoSync),
};

/// Writes per iteration (one work unit each).
const WRITES: u64 = 16;
/// Bytes per write.
const BLOCK: usize = 4096;
/// Sleep used where fdatasync does not block (tmpfs), so the type still
/// sleeps and wakes.
const FALLBACK_SLEEP: Duration = Duration::from_micros(100);

/// `IoSync`.
#[derive(Clone, Copy)]
pub(crate) struct IoSync;

impl Family for IoSync {
    fn name(&self) -> &'static str {
        IO_SYNC.name
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(solo(n, || IoSync))
    }
}

/// An unnamed scratch file in the temp dir: created and unlinked at once,
/// so nothing is left behind whatever way the worker ends.
pub(crate) fn scratch_file() -> Result<File, String> {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "ktstr-io-{}-{}",
        std::process::id(),
        crate::sys::Tid::current()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot create scratch file {}: {e}", path.display()))?;
    std::fs::remove_file(&path)
        .map_err(|e| format!("cannot unlink scratch file {}: {e}", path.display()))?;
    Ok(file)
}

/// One IoSync cycle: rewrite 16 blocks and fdatasync. Records the time
/// blocked in fdatasync as a resume latency; where it did not block (under
/// 10 µs: tmpfs), sleeps 100 µs instead and records that sleep's overshoot.
pub(crate) fn io_cycle(file: &mut File, w: &mut Worker) -> Result<(), String> {
    static ZEROS: [u8; BLOCK] = [0; BLOCK];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("scratch file seek: {e}"))?;
    for _ in 0..WRITES {
        file.write_all(&ZEROS)
            .map_err(|e| format!("scratch file write: {e}"))?;
        w.add_units(1);
    }
    let t = clock::monotonic_ns();
    file.sync_data()
        .map_err(|e| format!("scratch file fdatasync: {e}"))?;
    let took = clock::monotonic_ns().saturating_sub(t);
    if took < 10_000 {
        w.sleep(FALLBACK_SLEEP);
    } else {
        w.resumed();
        w.record_wake_latency(took);
    }
    Ok(())
}

impl Body for IoSync {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let mut file = scratch_file()?;
        loop {
            io_cycle(&mut file, w)?;
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
