//! The running layout of a scenario: its cgroups, the workloads in each,
//! and the ops that change them while the workers run.

use anyhow::{bail, ensure, Context as _};

use super::freeze::{freeze, Frozen};
use super::series::Point;
use super::Op;
use crate::cgroup::{
    moves_threads, CgroupDef, CgroupGroup, CgroupManager, CpusetSpec, Setup, CPU_WEIGHT_MAX,
    CPU_WEIGHT_MIN,
};
use crate::cpuset::CpuSet;
use crate::sys::{procfs, sched};
use crate::topology::TestTopology;
use crate::workload::{WorkerReport, WorkloadConfig, WorkloadHandle};

/// One started workload, numbered in spawn order across the scenario.
struct Workload {
    id: usize,
    handle: WorkloadHandle,
    threads: bool,
}

/// A cgroup of the scenario. Fields drop in order: thaw, then the
/// workers die, then the cgroup is removed.
struct Live<'m> {
    frozen: Option<Frozen>,
    workloads: Vec<Workload>,
    name: String,
    cpus: Option<CpuSet>,
    /// Its own group when an op added it (the layout's cgroups share
    /// `Layout::layout_group`).
    group: Option<CgroupGroup<'m>>,
}

/// Every cgroup of a running scenario, and the reports of the workloads
/// it has stopped.
pub(super) struct Layout<'m> {
    mgr: &'m CgroupManager,
    topo: &'m TestTopology,
    live: Vec<Live<'m>>,
    next_id: usize,
    /// (cgroup, reports) of every workload stopped so far.
    pub collected: Vec<(String, Vec<WorkerReport>)>,
    /// The layout's cgroups, created together (so their real-time budgets
    /// are split between them); removed after every `live` entry.
    layout_group: Option<CgroupGroup<'m>>,
}

fn alive(tid: i32) -> bool {
    procfs::stat(tid).is_some_and(|s| s.state != 'Z' && s.state != 'X')
}

impl<'m> Layout<'m> {
    pub(super) fn new(mgr: &'m CgroupManager, topo: &'m TestTopology) -> Layout<'m> {
        Layout {
            mgr,
            topo,
            live: Vec::new(),
            next_id: 0,
            collected: Vec::new(),
            layout_group: None,
        }
    }

    /// The cgroups now, in creation order.
    pub(super) fn names(&self) -> Vec<String> {
        self.live.iter().map(|l| l.name.clone()).collect()
    }

    /// A cgroup's cpuset as the scenario set it.
    pub(super) fn cpus(&self, name: &str) -> Option<CpuSet> {
        self.live.iter().find(|l| l.name == name)?.cpus.clone()
    }

    /// The cgroups frozen now.
    pub(super) fn frozen(&self) -> Vec<String> {
        let f = self.live.iter().filter(|l| l.frozen.is_some());
        f.map(|l| l.name.clone()).collect()
    }

    fn get(&mut self, name: &str) -> anyhow::Result<&mut Live<'m>> {
        let names = self.names();
        self.live
            .iter_mut()
            .find(|l| l.name == name)
            .with_context(|| format!("no cgroup {name:?} in the scenario (it has {names:?})"))
    }

    fn resolve(&self, spec: &CpusetSpec) -> anyhow::Result<CpuSet> {
        super::validate::resolve_cpuset(spec, self.topo)
    }

    /// Create the scenario's layout: every cgroup of `defs` with its
    /// workers, in one [`Setup`], started.
    pub(super) fn add_layout(&mut self, defs: &[CgroupDef]) -> anyhow::Result<()> {
        let group = self.add_defs(defs)?;
        self.layout_group = Some(group);
        Ok(())
    }

    /// Create cgroup `def` with its workers, started ([`Op::AddCgroup`]).
    pub(super) fn add(&mut self, def: &CgroupDef) -> anyhow::Result<()> {
        let group = self.add_defs(std::slice::from_ref(def))?;
        self.live.last_mut().expect("just added").group = Some(group);
        Ok(())
    }

    fn add_defs(&mut self, defs: &[CgroupDef]) -> anyhow::Result<CgroupGroup<'m>> {
        for def in defs {
            ensure!(
                !self.live.iter().any(|l| l.name == def.name()),
                "cgroup {:?} already exists in the scenario",
                def.name()
            );
        }
        let applied = Setup::Defs(defs.to_vec()).apply(self.mgr, self.topo)?;
        for (def, cg) in defs.iter().zip(applied.cgroups) {
            let mut workloads = Vec::new();
            for (config, handle) in def.workloads().iter().zip(cg.handles) {
                workloads.push(Workload {
                    id: self.next_id,
                    threads: moves_threads(config.clone_mode, &handle),
                    handle,
                });
                self.next_id += 1;
            }
            self.live.push(Live {
                frozen: None,
                workloads,
                name: cg.name,
                cpus: cg.cpuset,
                group: None,
            });
        }
        Ok(applied.group)
    }

    /// Every live worker now.
    pub(super) fn sample(&self) -> Vec<Point> {
        let mut out = Vec::new();
        for l in &self.live {
            for w in &l.workloads {
                out.extend(w.handle.snapshot().into_iter().map(|s| Point {
                    cgroup: l.name.clone(),
                    workload: w.id,
                    worker: s,
                }));
            }
        }
        out
    }

    fn stop(&mut self, name: &str) -> anyhow::Result<()> {
        let l = self.get(name)?;
        if let Some(f) = l.frozen.take() {
            f.thaw()?;
        }
        let done: Vec<Workload> = std::mem::take(&mut l.workloads);
        for w in done {
            self.collected
                .push((name.to_string(), w.handle.stop_and_collect()));
        }
        Ok(())
    }

    /// Apply one op.
    pub(super) fn apply(&mut self, op: &Op) -> anyhow::Result<()> {
        let mgr = self.mgr;
        match op {
            Op::AddCgroup(def) => self.add(def)?,
            Op::RemoveCgroup(name) => {
                let prefix = format!("{name}/");
                if let Some(c) = self.live.iter().find(|l| l.name.starts_with(&prefix)) {
                    bail!("remove its child cgroup {:?} first", c.name);
                }
                self.stop(name)?;
                let i = self.live.iter().position(|l| &l.name == name);
                let l = self.live.remove(i.expect("stop found it"));
                if l.group.is_none() {
                    // A layout cgroup: its group would remove it only at the end.
                    mgr.remove_cgroup(name)?;
                }
            }
            Op::SetCpuset(name, spec) => {
                let cpus = self.resolve(spec)?;
                self.get(name)?;
                mgr.set_cpuset(name, &cpus)?;
                self.get(name)?.cpus = Some(cpus);
            }
            Op::ClearCpuset(name) => {
                self.get(name)?;
                mgr.clear_cpuset(name)?;
                self.get(name)?.cpus = None;
            }
            Op::SetWeight(name, w) => {
                ensure!(
                    (CPU_WEIGHT_MIN..=CPU_WEIGHT_MAX).contains(w),
                    "cpu weight {w} is outside {CPU_WEIGHT_MIN}..={CPU_WEIGHT_MAX}"
                );
                self.get(name)?;
                mgr.set_cpu_weight(name, *w)?;
            }
            Op::SetMax(name, max) => {
                max.check()
                    .map_err(|e| anyhow::anyhow!("cpu max {max}: {e}"))?;
                self.get(name)?;
                mgr.set_cpu_max(name, *max)?;
            }
            Op::MoveWorkers { from, to } => self.move_workers(from, to)?,
            Op::SetAffinity(name, spec) => {
                let cpus = self.resolve(spec)?;
                let l = self.get(name)?;
                if let Some(own) = l.cpus.as_ref().filter(|own| !cpus.is_subset(own)) {
                    bail!("affinity {cpus} is not within the cgroup's cpuset {own}");
                }
                for w in &l.workloads {
                    for i in 0..w.handle.num_workers() {
                        w.handle.set_affinity(i, &cpus)?;
                    }
                }
            }
            Op::SetPolicy(name, policy) => {
                let (p, prio) = policy.raw().unwrap_or((libc::SCHED_OTHER, 0));
                if matches!(p, libc::SCHED_FIFO | libc::SCHED_RR) {
                    ensure!(
                        (1..=99).contains(&prio),
                        "{policy:?}: priority must be 1..=99"
                    );
                }
                self.each_tid(
                    name,
                    |t| sched::set_scheduler(t, p, prio),
                    "sched_setscheduler",
                )?;
            }
            Op::SetNice(name, nice) => {
                ensure!((-20..=19).contains(nice), "nice {nice} is outside -20..=19");
                self.each_tid(name, |t| sched::set_nice(t, *nice), "setpriority")?;
            }
            Op::Spawn(name, config) => self.spawn(name, config)?,
            Op::Stop(name) => self.stop(name)?,
            Op::Freeze(name) => {
                let l = self.get(name)?;
                ensure!(l.frozen.is_none(), "cgroup {name:?} is already frozen");
                let threads = l.workloads.iter().any(|w| w.threads);
                let mut tids = Vec::new();
                for w in &l.workloads {
                    tids.extend(match w.threads {
                        true => w.handle.worker_pids(),
                        false => w.handle.worker_pids_for_cgroup_procs()?,
                    });
                }
                l.frozen = Some(freeze(mgr, name, &tids, threads)?);
            }
            Op::Thaw(name) => match self.get(name)?.frozen.take() {
                Some(f) => f.thaw()?,
                None => bail!("cgroup {name:?} is not frozen"),
            },
        }
        Ok(())
    }

    fn each_tid(
        &mut self,
        name: &str,
        call: impl Fn(crate::sys::Tid) -> Result<(), nix::errno::Errno>,
        what: &str,
    ) -> anyhow::Result<()> {
        for w in &self.get(name)?.workloads {
            for t in w.handle.worker_pids() {
                call(crate::sys::Tid::from_raw(t))
                    .with_context(|| format!("{what} on worker tid {t} of {name:?}"))?;
            }
        }
        Ok(())
    }

    fn spawn(&mut self, name: &str, config: &WorkloadConfig) -> anyhow::Result<()> {
        let mgr = self.mgr;
        let id = self.next_id;
        let l = self.get(name)?;
        ensure!(
            l.frozen.is_none(),
            "cgroup {name:?} is frozen: thaw it first"
        );
        let mut handle = WorkloadHandle::spawn(config)?;
        let threads = moves_threads(config.clone_mode, &handle);
        match threads {
            true => mgr.move_threads(name, &handle.worker_pids())?,
            false => mgr.move_tasks(name, &handle.worker_pids_for_cgroup_procs()?)?,
        }
        handle.start();
        l.workloads.push(Workload {
            id,
            handle,
            threads,
        });
        self.next_id += 1;
        Ok(())
    }

    fn move_workers(&mut self, from: &str, to: &str) -> anyhow::Result<()> {
        ensure!(from != to, "moving workers from {from:?} into itself");
        let mgr = self.mgr;
        for name in [from, to] {
            let l = self.get(name)?;
            ensure!(
                l.frozen.is_none(),
                "cgroup {name:?} is frozen: thaw it first"
            );
        }
        let src = self.get(from)?;
        ensure!(
            !src.workloads.is_empty(),
            "cgroup {from:?} has no workers to move"
        );
        for w in &src.workloads {
            if let Some(t) = w.handle.worker_pids().into_iter().find(|t| !alive(*t)) {
                bail!("worker tid {t} of {from:?} already exited: nothing to move");
            }
        }
        for w in &src.workloads {
            match w.threads {
                true => mgr.move_threads(to, &w.handle.worker_pids())?,
                false => mgr.move_tasks(to, &w.handle.worker_pids_for_cgroup_procs()?)?,
            }
        }
        let moved = std::mem::take(&mut src.workloads);
        self.get(to)?.workloads.extend(moved);
        Ok(())
    }

    /// Stop every workload (reports kept), thaw and remove every cgroup,
    /// newest first; the reports by cgroup.
    pub(super) fn finish(mut self) -> Vec<(String, Vec<WorkerReport>)> {
        for name in self.names().into_iter().rev() {
            if let Err(e) = self.stop(&name) {
                eprintln!("ktstr: scenario teardown of {name:?}: {e:#}");
            }
        }
        std::mem::take(&mut self.collected)
    }
}

impl Drop for Layout<'_> {
    /// Newest first, so a child cgroup goes before its parent.
    fn drop(&mut self) {
        while let Some(l) = self.live.pop() {
            drop(l);
        }
    }
}
