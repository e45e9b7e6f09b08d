//! `PageFaultChurn`: fault pages in, throw them away, repeat.

use super::{Body, Entry, Family, Planned};
use crate::sys::mman::Mapping;
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

impl Body for PageFaultChurn {
    fn run(&mut self, w: &mut Worker) -> Result<(), String> {
        let len = self.region_kb * 1024;
        let mut region = Mapping::private(len)
            .map_err(|e| format!("PageFaultChurn: mmap of {len} bytes failed: {e}"))?;
        // Failure only loses the hint.
        let _ = region.no_huge_pages();
        let pages = (len / PAGE).max(1) as u64;
        let mut rng = (w.tid().as_raw() as u64) | 1;
        loop {
            for _ in 0..self.touches_per_cycle {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let page = (rng % pages) as usize;
                region.touch(page * PAGE);
                w.add_units(1);
            }
            region
                .discard()
                .map_err(|e| format!("PageFaultChurn: madvise(MADV_DONTNEED) failed: {e}"))?;
            w.spin(self.spin_iters);
            w.end_iteration();
            if w.should_stop() {
                return Ok(());
            }
        }
    }
}
