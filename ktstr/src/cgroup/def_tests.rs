//! `CgroupDef`, `CpusetSpec`, `AffinityKind` and `Setup` validation.

use std::time::Duration;

use super::test_helpers::{FakeFs, Flavour};
use super::*;
use crate::cpuset::CpuSet;
use crate::topology::TestTopology;
use crate::workload::{Affinity, CloneMode, SchedPolicy, WorkType, WorkloadConfig};

fn s(t: &str) -> CpuSet {
    t.parse().unwrap()
}

#[test]
fn cgroup_cpuset_specs_resolve_against_the_topology() {
    let t = TestTopology::synthetic(16, 4, true, 2).unwrap(); // usable 0-14
    assert_eq!(CpusetSpec::exact([1, 2, 3]).resolve(&t).unwrap(), s("1-3"));
    assert_eq!(CpusetSpec::disjoint(0, 2).resolve(&t).unwrap(), s("0-6"));
    assert_eq!(CpusetSpec::disjoint(1, 2).resolve(&t).unwrap(), s("7-14"));
    assert_eq!(
        CpusetSpec::overlap(1, 2, 0.5).resolve(&t).unwrap(),
        s("3-14")
    );
    assert_eq!(CpusetSpec::llc(2).resolve(&t).unwrap(), s("8-11"));
    assert_eq!(CpusetSpec::numa(1).resolve(&t).unwrap(), s("8-15"));
    for (bad, want) in [
        (CpusetSpec::exact([]), "empty cpuset"),
        (CpusetSpec::exact([3, 16]), "CPU(s) 16 do not exist"),
        (CpusetSpec::disjoint(0, 0), "at least 1"),
        (CpusetSpec::disjoint(2, 2), "index 2"),
        (CpusetSpec::disjoint(0, 16), "16 shares need at least 16"),
        (CpusetSpec::overlap(0, 2, 2.0), "0.0..=1.0"),
        (CpusetSpec::llc(4), "4 LLC(s)"),
        (CpusetSpec::numa(2), "node(s) 0-1"),
    ] {
        let e = bad.resolve(&t).unwrap_err().to_string();
        assert!(e.contains(want), "{bad:?}: {e}");
    }
}

#[test]
fn cgroup_affinity_kinds_resolve_within_the_cpuset() {
    let t = TestTopology::synthetic(8, 2, false, 1).unwrap();
    let cg = s("2-5");
    let r = |k: AffinityKind, c: Option<&CpuSet>| k.resolve(c, &t);
    assert_eq!(
        r(AffinityKind::Inherit, Some(&cg)).unwrap(),
        Affinity::Inherit
    );
    assert_eq!(
        r(AffinityKind::SingleCpu, Some(&cg)).unwrap(),
        Affinity::Spread(cg.clone())
    );
    assert_eq!(
        r(AffinityKind::SingleCpu, None).unwrap(),
        Affinity::Spread(s("0-7"))
    );
    // LLC 0 holds 2-3, LLC 1 holds 4-5: a tie keeps the lower LLC.
    assert_eq!(
        r(AffinityKind::LlcAligned, Some(&cg)).unwrap(),
        Affinity::Fixed(s("2-3"))
    );
    assert_eq!(
        r(AffinityKind::LlcAligned, Some(&s("3-6"))).unwrap(),
        Affinity::Fixed(s("4-6"))
    );
    assert_eq!(
        r(AffinityKind::Exact(s("0-3")), Some(&cg)).unwrap(),
        Affinity::Fixed(s("2-3"))
    );
    assert_eq!(
        r(AffinityKind::Exact(s("0-3")), None).unwrap(),
        Affinity::Fixed(s("0-3"))
    );
    let e = r(AffinityKind::Exact(s("6-7")), Some(&cg)).unwrap_err();
    assert!(e.contains("shares no CPU"), "{e}");
}

#[test]
fn cgroup_def_builder_sets_one_field_each() {
    let d = CgroupDef::named("web")
        .with_cpuset(CpusetSpec::disjoint(0, 2))
        .with_weight(300)
        .with_max(CpuMax::cpus(0.5))
        .with_workers(4)
        .with_work_type(WorkType::Mixed)
        .with_clone_mode(CloneMode::Thread)
        .with_affinity(AffinityKind::SingleCpu);
    assert_eq!(d.name(), "web");
    assert_eq!(d.cpuset(), Some(&CpusetSpec::disjoint(0, 2)));
    assert_eq!(
        (d.weight(), d.max(), d.workers()),
        (Some(300), Some(CpuMax::new(50_000, 100_000)), 4)
    );
    let [w] = d.workloads() else {
        panic!("the shorthands edit one workload: {:?}", d.workloads());
    };
    assert_eq!(w.work_type.name(), "Mixed");
    assert_eq!(w.clone_mode, CloneMode::Thread);
    assert_eq!(d.affinity(), &AffinityKind::SingleCpu);
    let plain = CgroupDef::named("x");
    assert_eq!(
        (
            plain.workers(),
            plain.workloads()[0].clone_mode,
            plain.cpuset()
        ),
        (1, CloneMode::Fork, None)
    );
    assert!(plain.has_own_cgroup() && !CgroupDef::in_test_cgroup("y").has_own_cgroup());
    assert!(Setup::from(vec![]).is_empty());
}

#[test]
fn cgroup_def_holds_whole_workloads() {
    let batch = WorkloadConfig {
        num_workers: 2,
        sched_policy: SchedPolicy::Batch,
        ..Default::default()
    };
    let pinned = WorkloadConfig {
        nice: 10,
        affinity: Affinity::Fixed(s("1")),
        ..Default::default()
    };
    // The first with_workload replaces the default; the shorthand then
    // edits the last one.
    let d = CgroupDef::named("mixed")
        .with_workload(batch)
        .with_workload(pinned)
        .with_workers(3)
        .with_affinity(AffinityKind::SingleCpu);
    let w = d.workloads();
    assert_eq!(w.len(), 2);
    assert_eq!(
        (w[0].num_workers, w[0].sched_policy),
        (2, SchedPolicy::Batch)
    );
    assert_eq!((w[1].num_workers, w[1].nice), (3, 10));
    assert_eq!(d.workers(), 5);
    // The definition's affinity fills in where a workload has none.
    let t = TestTopology::synthetic(4, 1, false, 1).unwrap();
    // (Validated against this host's online CPUs: 2 or more.)
    let cpus = s("0-1");
    let r = d.resolve_workloads(Some(&cpus), &t).unwrap();
    assert_eq!(r[0].affinity, Affinity::Spread(cpus));
    assert_eq!(r[1].affinity, Affinity::Fixed(s("1")));
    let bad = CgroupDef::named("b")
        .with_workload(WorkloadConfig::default())
        .with_workload(WorkloadConfig {
            nice: 40,
            ..Default::default()
        });
    let e = bad.resolve_workloads(None, &t).unwrap_err();
    assert!(
        e.starts_with("workload 1: ") && e.contains("nice 40"),
        "{e}"
    );
}

#[test]
fn cgroup_setup_with_a_bad_definition_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (fs, h) = FakeFs::new(tmp.path(), Flavour::V1, "0-3");
    let mgr = CgroupManager::open(fs.clone(), h, Duration::from_secs(2)).unwrap();
    let topo = TestTopology::synthetic(4, 1, false, 1).unwrap();
    let good = CgroupDef::named("good");
    for (bad, want) in [
        (CgroupDef::named("a/../b"), "leave the cgroup"),
        (CgroupDef::named("z").with_workers(0), "num_workers is 0"),
        (
            CgroupDef::in_test_cgroup("z").with_cpuset(CpusetSpec::exact([0])),
            "cpuset set on workloads in the test's own cgroup",
        ),
        (CgroupDef::in_test_cgroup(""), "label"),
        (CgroupDef::named("z").with_weight(0), "cpu weight 0"),
        (CgroupDef::named("z").with_max(CpuMax::new(1, 1)), "cpu max"),
        (
            CgroupDef::named("z").with_cpuset(CpusetSpec::llc(3)),
            "1 LLC(s)",
        ),
        (
            CgroupDef::named("z").with_cpuset(CpusetSpec::exact([9])),
            "CPU(s) 9",
        ),
        (CgroupDef::named("good"), "two definitions use this name"),
    ] {
        fs.clear_log();
        let setup = Setup::Defs(vec![good.clone(), bad]);
        let e = setup.apply(&mgr, &topo).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
        assert!(fs.log().is_empty(), "{want}: {:#?}", fs.log());
    }
}
