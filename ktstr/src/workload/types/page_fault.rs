//! `PageFaultChurn`: fault pages in, throw them away, repeat.

use std::num::NonZeroUsize;

use nix::sys::mman::{madvise, mmap_anonymous, munmap, MapFlags, MmapAdvise, ProtFlags};

use super::{Body, Entry, Family, Planned};
use crate::workload::{WorkType, Worker};

pub(crate) const PAGE_FAULT_CHURN: Entry = Entry {
    name: "PageFaultChurn",
    group: "-",
    about:
        "touch random pages of a region, then MADV_DONTNEED it: page-fault storms, TLB shootdowns",
    default: Some(WorkType::page_fault_churn),
};

const PAGE: usize = 4096;

/// `PageFaultChurn { region_kb, touches_per_cycle, spin_iters }`.
#[derive(Clone, Copy)]
pub(crate) struct PageFaultChurn {
    pub region_kb: usize,
    pub touches_per_cycle: usize,
    pub spin_iters: u64,
}

impl Family for PageFaultChurn {
    fn name(&self) -> &'static str {
        PAGE_FAULT_CHURN.name
    }

    fn validate(&self) -> Result<(), String> {
        if self.region_kb < 4 || self.region_kb > 16 << 20 {
            return Err(format!(
                "PageFaultChurn region_kb is {}: it must be within 4..=16777216 (16 GiB)",
                self.region_kb
            ));
        }
        if self.touches_per_cycle == 0 {
            return Err("PageFaultChurn touches_per_cycle is 0: touch at least 1 page".into());
        }
        Ok(())
    }

    fn plan(&self, n: usize) -> Result<Vec<Planned>, String> {
        Ok(super::solo(n, || *self))
    }
}

/// A private anonymous region, unmapped on drop.
struct Region {
    ptr: std::ptr::NonNull<std::ffi::c_void>,
    len: usize,
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: exactly the mapping made in `run`; no reference into it
        // outlives the region.
        let _ = unsafe { munmap(self.ptr, self.len) };
    }
}

impl Body for PageFaultChurn {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let len = self.region_kb * 1024;
        let nz = NonZeroUsize::new(len).ok_or("PageFaultChurn: empty region")?;
        // SAFETY: a fresh private anonymous mapping aliases nothing.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )
        }
        .map_err(|e| format!("PageFaultChurn: mmap of {len} bytes failed: {e}"))?;
        let region = Region { ptr, len };
        // SAFETY: advice on our own mapping; failure only loses the hint.
        let _ = unsafe { madvise(region.ptr, len, MmapAdvise::MADV_NOHUGEPAGE) };
        let pages = (len / PAGE).max(1) as u64;
        let base = region.ptr.as_ptr() as *mut u8;
        let mut rng = (w.tid() as u64) | 1;
        loop {
            for _ in 0..self.touches_per_cycle {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let page = (rng % pages) as usize;
                // SAFETY: page * PAGE < len, inside our mapping.
                unsafe { base.add(page * PAGE).write_volatile(1) };
                w.add_units(1);
            }
            // SAFETY: discards the contents of our own private mapping,
            // which nothing else references.
            unsafe { madvise(region.ptr, len, MmapAdvise::MADV_DONTNEED) }
                .map_err(|e| format!("PageFaultChurn: madvise(MADV_DONTNEED) failed: {e}"))?;
            w.spin(self.spin_iters);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
