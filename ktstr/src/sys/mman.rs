//! Anonymous memory mappings (`mmap`, `madvise`, `munmap`): shared ones
//! for state that workers in other processes see, private ones for a
//! region a worker faults in and throws away. One owner type,
//! [`Mapping`], unmapped on drop.

use std::num::NonZeroUsize;
use std::ptr::NonNull;

use nix::sys::mman::{madvise, mmap_anonymous, munmap, MapFlags, MmapAdvise, ProtFlags};

use super::shm::PageState;

/// One zero-filled anonymous read-write mapping, unmapped on drop.
///
/// A shared one (`MAP_SHARED`) stays shared with children forked after it
/// was made: they get their own reference to the same pages, and dropping
/// the parent's `Mapping` does not affect their view.
#[derive(Debug)]
pub(crate) struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory with no thread affinity; shared
// access to its contents goes only through `get`, which hands out
// `PageState` types (atomics only), and writes need `&mut self`.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(len: usize, flags: MapFlags) -> nix::Result<Mapping> {
        let nz = NonZeroUsize::new(len.max(1)).expect("max(1) is non-zero");
        // SAFETY: an anonymous mapping at a kernel-chosen address cannot
        // alias any existing Rust object.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                flags,
            )?
        };
        Ok(Mapping {
            ptr: ptr.cast(),
            len: nz.get(),
        })
    }

    /// `mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)`.
    pub(crate) fn shared(len: usize) -> nix::Result<Mapping> {
        Mapping::new(len, MapFlags::MAP_SHARED)
    }

    /// `mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS)`.
    pub(crate) fn private(len: usize) -> nix::Result<Mapping> {
        Mapping::new(len, MapFlags::MAP_PRIVATE)
    }

    /// The `T` at byte `offset`. Panics when it does not fit in the
    /// mapping or `offset` is not aligned for `T`.
    ///
    /// Sound for any offset that fits: the memory is zero-filled or was
    /// written only through `PageState` types, for which every bit
    /// pattern stored by their atomics (and all-zero) is valid, and shared
    /// access from several threads and processes goes through atomics.
    pub(crate) fn get<T: PageState>(&self, offset: usize) -> &T {
        let size = std::mem::size_of::<T>();
        assert!(
            offset.checked_add(size).is_some_and(|end| end <= self.len),
            "{size} bytes at {offset} do not fit in a mapping of {}",
            self.len
        );
        let addr = self.ptr.as_ptr().wrapping_add(offset);
        assert!(
            addr.cast::<T>().is_aligned(),
            "offset {offset} is not aligned"
        );
        // SAFETY: in bounds and aligned (checked above); the memory is a
        // valid `T` (see the doc) for as long as `self`, which the
        // reference borrows, keeps it mapped.
        unsafe { &*addr.cast::<T>() }
    }

    /// Write 1 to the byte at `offset` (a volatile store the compiler
    /// keeps), faulting its page in. Panics when `offset` is out of range.
    pub(crate) fn touch(&mut self, offset: usize) {
        assert!(offset < self.len, "byte {offset} of {}", self.len);
        // SAFETY: in bounds (checked above), and `&mut self` means no
        // reference into the mapping is alive.
        unsafe { self.ptr.as_ptr().add(offset).write_volatile(1) };
    }

    /// `madvise(MADV_NOHUGEPAGE)`: keep the mapping in small pages.
    pub(crate) fn no_huge_pages(&self) -> nix::Result<()> {
        // SAFETY: the advice changes how the pages are backed, never their
        // contents.
        unsafe { madvise(self.ptr.cast(), self.len, MmapAdvise::MADV_NOHUGEPAGE) }
    }

    /// `madvise(MADV_DONTNEED)`: throw the pages away (a private mapping
    /// reads as zero again; the next touch faults).
    pub(crate) fn discard(&mut self) -> nix::Result<()> {
        // SAFETY: `&mut self`: nothing borrows the contents, which may
        // become zero (a valid value of every `PageState`).
        unsafe { madvise(self.ptr.cast(), self.len, MmapAdvise::MADV_DONTNEED) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe exactly the mapping made in `new`,
        // and no reference into it outlives `self` (`get` borrows it).
        let _ = unsafe { munmap(self.ptr.cast(), self.len) };
    }
}

/// Add one (wrapping) to `*byte` with a volatile read and write: a memory
/// access the compiler must make, for workers that measure the cache.
#[inline(always)]
pub(crate) fn volatile_bump(byte: &mut u8) {
    let p: *mut u8 = byte;
    // SAFETY: `p` comes from a live `&mut u8`.
    unsafe { p.write_volatile(p.read_volatile().wrapping_add(1)) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn a_private_region_is_touched_and_discarded() {
        let mut m = Mapping::private(3 * 4096).unwrap();
        m.no_huge_pages().unwrap();
        m.touch(4096);
        assert_eq!(m.get::<AtomicU32>(4096).load(Ordering::Relaxed), 1);
        m.discard().unwrap();
        assert_eq!(m.get::<AtomicU32>(4096).load(Ordering::Relaxed), 0);
    }

    #[test]
    #[should_panic(expected = "do not fit")]
    fn get_past_the_end_panics() {
        let m = Mapping::shared(4096).unwrap();
        let _ = m.get::<AtomicU32>(4094);
    }

    #[test]
    fn a_shared_mapping_is_shared_with_a_forked_child() {
        let m = Mapping::shared(64).unwrap();
        let pid = super::super::process::fork_then(|| {
            m.get::<AtomicU32>(0).store(7, Ordering::Release);
            0
        })
        .unwrap();
        nix::sys::wait::waitpid(pid, None).unwrap();
        assert_eq!(m.get::<AtomicU32>(0).load(Ordering::Acquire), 7);
        let mut b = 255u8;
        volatile_bump(&mut b);
        assert_eq!(b, 0);
    }
}
