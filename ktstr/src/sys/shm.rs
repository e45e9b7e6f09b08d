//! Anonymous `MAP_SHARED` mappings: memory that stays shared between the
//! spawner and forked workers (and is plain shared memory for threads).

use std::num::NonZeroUsize;
use std::ptr::NonNull;

use nix::sys::mman::{mmap_anonymous, munmap, MapFlags, ProtFlags};

/// One zero-filled `MAP_SHARED | MAP_ANONYMOUS` mapping, unmapped on drop.
///
/// A forked child gets its own reference to the same pages; dropping the
/// parent's `SharedMapping` does not affect the child's view.
#[derive(Debug)]
pub(crate) struct SharedMapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory with no thread affinity; all access to
// its contents goes through atomics handed out by the owners.
unsafe impl Send for SharedMapping {}
// SAFETY: as above: shared access is only through atomic types.
unsafe impl Sync for SharedMapping {}

impl SharedMapping {
    /// `mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS)`.
    pub(crate) fn new(len: usize) -> nix::Result<Self> {
        let nz = NonZeroUsize::new(len.max(1)).expect("max(1) is non-zero");
        // SAFETY: an anonymous mapping at a kernel-chosen address cannot
        // alias any existing Rust object.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )?
        };
        Ok(Self {
            ptr: ptr.cast(),
            len: nz.get(),
        })
    }

    /// Base address of the mapping.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for SharedMapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` describe exactly the mapping created in `new`,
        // and no reference into it outlives `self` (owners hand out borrows
        // tied to their own lifetime).
        let _ = unsafe { munmap(self.ptr.cast(), self.len) };
    }
}
