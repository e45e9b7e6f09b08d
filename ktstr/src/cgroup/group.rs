//! [`CgroupGroup`]: cgroups that live exactly as long as a scope.
//!
//! Declare the group before the workload handles that use it: locals drop
//! in reverse order, so the handles kill their workers first and the
//! cgroups are empty when the group removes them. (Removal drains any task
//! still inside into the parent anyway.)

use nix::errno::Errno;

use super::{CgroupError, CgroupManager};
use crate::cpuset::CpuSet;

/// A set of cgroups removed, in reverse order of creation, when the group
/// is dropped: on success, on `?` error paths, and while unwinding from a
/// panic. Drop never panics; a cgroup it cannot remove is reported on
/// stderr with a hint.
///
/// ```no_run
/// use ktstr::cgroup::{CgroupGroup, CgroupManager};
/// use ktstr::cpuset::CpuSet;
/// # fn main() -> Result<(), ktstr::cgroup::CgroupError> {
/// let mgr = CgroupManager::new()?;
/// let mut group = CgroupGroup::new(&mgr);
/// group.add_cgroup("left", &CpuSet::from([0]))?;
/// group.add_cgroup("right", &CpuSet::from([1]))?;
/// // spawn workers, mgr.move_tasks("left", ...), run, collect ...
/// # Ok(()) }
/// // both cgroups are removed here
/// ```
#[must_use = "dropping a CgroupGroup removes its cgroups at once"]
#[derive(Debug)]
pub struct CgroupGroup<'m> {
    mgr: &'m CgroupManager,
    names: Vec<String>,
}

impl<'m> CgroupGroup<'m> {
    /// An empty group over `mgr`'s cgroups.
    pub fn new(mgr: &'m CgroupManager) -> CgroupGroup<'m> {
        CgroupGroup {
            mgr,
            names: Vec::new(),
        }
    }

    /// The manager the group uses.
    pub fn manager(&self) -> &'m CgroupManager {
        self.mgr
    }

    /// Create cgroup `name` restricted to `cpus`, and track it.
    ///
    /// On error (invalid or duplicate name, empty or unknown cpuset, a
    /// failed write) nothing this call created remains.
    pub fn add_cgroup(&mut self, name: &str, cpus: &CpuSet) -> Result<(), CgroupError> {
        let made = self.mgr.create_tracked(name)?;
        if let Err(e) = self.mgr.set_cpuset(name, cpus) {
            if let Some(top) = made.first() {
                if let Err(e2) = self.mgr.remove_cgroup(top) {
                    eprintln!("ktstr: warning: could not undo cgroup {top:?}: {e2}");
                }
            }
            return Err(e);
        }
        self.names.extend(made);
        Ok(())
    }

    /// Create cgroup `name` with its parent's CPUs, and track it.
    pub fn add_cgroup_no_cpuset(&mut self, name: &str) -> Result<(), CgroupError> {
        let made = self.mgr.create_tracked(name)?;
        self.names.extend(made);
        Ok(())
    }

    /// The tracked cgroups in creation order (implicitly created parent
    /// levels of nested names included).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the group tracks `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Remove every tracked cgroup now, in reverse order; the first error.
    /// Cgroups that are already gone are fine.
    pub fn remove_all(&mut self) -> Result<(), CgroupError> {
        let mut first = None;
        while let Some(name) = self.names.pop() {
            match self.mgr.remove_cgroup(&name) {
                Ok(()) | Err(CgroupError::NotFound { .. }) => {}
                Err(e) => {
                    eprintln!(
                        "ktstr: warning: could not remove cgroup {name:?}: {e}{}",
                        hint(&e)
                    );
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// A hint for the common reasons a cgroup cannot be removed.
fn hint(e: &CgroupError) -> &'static str {
    match e.errno() {
        Some(Errno::EBUSY) => {
            " (tasks are still arriving in it: stop the workload before dropping the group)"
        }
        Some(Errno::EACCES) | Some(Errno::EPERM) => {
            " (permission denied: run as root or delegate the cgroup)"
        }
        _ => "",
    }
}

impl Drop for CgroupGroup<'_> {
    fn drop(&mut self) {
        let _ = self.remove_all();
    }
}
