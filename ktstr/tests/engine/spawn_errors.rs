//! `spawn` failing part-way: a fork or thread creation refused by the
//! kernel (a v1 `pids` cgroup with a low `pids.max`), and workers that die
//! before they are ready (a seccomp filter that kills them at their first
//! step). Each must fail fast with an error, and leave nothing behind.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ktstr::prelude::*;
use ktstr::Error;

use crate::helpers::{config, lock, Footprint, SLACK};

const PIDS_ROOT: &str = "/sys/fs/cgroup/pids";

/// The calling thread, moved into a fresh v1 `pids` cgroup with a task
/// limit; moved back and the cgroup removed on drop.
struct PidsLimit {
    dir: PathBuf,
    home: PathBuf,
    tid: i32,
}

impl PidsLimit {
    /// None when the host has no writable v1 pids hierarchy (cgroup v2
    /// only, or not root): the caller skips.
    fn new(max: usize) -> Option<PidsLimit> {
        let own = std::fs::read_to_string("/proc/thread-self/cgroup").ok()?;
        let rel = own.lines().find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, ctrl, path) = (parts.next()?, parts.next()?, parts.next()?);
            ctrl.split(',')
                .any(|c| c == "pids")
                .then(|| path.trim_start_matches('/').to_string())
        })?;
        let home = PathBuf::from(PIDS_ROOT).join(rel);
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let dir = home.join(format!("ktstr-engine-test-{}-{tid}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let guard = PidsLimit { dir, home, tid };
        std::fs::write(guard.dir.join("pids.max"), max.to_string()).ok()?;
        std::fs::write(guard.dir.join("tasks"), tid.to_string()).ok()?;
        Some(guard)
    }
}

impl Drop for PidsLimit {
    fn drop(&mut self) {
        let _ = std::fs::write(self.home.join("tasks"), self.tid.to_string());
        for _ in 0..200 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("could not remove {}", self.dir.display());
    }
}

/// Run `f` with the calling thread's task limit at `max`; None to skip.
fn with_pids_limit<T>(max: usize, f: impl FnOnce() -> T) -> Option<T> {
    let Some(limit) = PidsLimit::new(max) else {
        eprintln!("skipped: no writable v1 pids cgroup hierarchy at {PIDS_ROOT}");
        return None;
    };
    let out = f();
    drop(limit);
    Some(out)
}

#[test]
fn a_refused_fork_fails_spawn_and_reaps_earlier_workers() {
    let _g = lock();
    let before = Footprint::take();
    // This thread plus one worker: the second fork is refused.
    let got = with_pids_limit(2, || {
        let t = Instant::now();
        let r = WorkloadHandle::spawn(&config(3, WorkType::SpinWait, CloneMode::Fork));
        (r.map(|_| ()), t.elapsed())
    });
    let Some((result, took)) = got else { return };
    let err = result.expect_err("spawn must fail when fork is refused");
    assert!(took < SLACK, "failing spawn took {took:?}");
    match &err {
        Error::Os { op, source } => {
            assert!(op.contains("fork worker 1 of 3"), "{err}");
            assert_eq!(source.raw_os_error(), Some(libc::EAGAIN), "{err:?}");
        }
        other => panic!("want Error::Os, got {other:?}"),
    }
    before.assert_nothing_left("a spawn whose second fork was refused");
}

#[test]
fn a_refused_thread_fails_spawn_and_ends_earlier_threads() {
    let _g = lock();
    let before = Footprint::take();
    let got = with_pids_limit(2, || {
        let t = Instant::now();
        let r = WorkloadHandle::spawn(&config(3, WorkType::SpinWait, CloneMode::Thread));
        (r.map(|_| ()), t.elapsed())
    });
    let Some((result, took)) = got else { return };
    let err = result.expect_err("spawn must fail when a thread is refused");
    assert!(took < SLACK, "failing spawn took {took:?}");
    match &err {
        Error::Os { op, source } => {
            assert!(op.contains("worker thread 1"), "{err}");
            assert_eq!(source.raw_os_error(), Some(libc::EAGAIN), "{err:?}");
        }
        other => panic!("want Error::Os, got {other:?}"),
    }
    before.assert_nothing_left("a spawn whose second thread was refused");
}

#[test]
fn a_pcomm_container_that_cannot_start_its_threads_fails_spawn_fast() {
    let _g = lock();
    // 2: the container starts but none of its threads; 3: one thread starts.
    for max in [2, 3] {
        let what = format!("pcomm spawn under pids.max {max}");
        let before = Footprint::take();
        let cfg = WorkloadConfig {
            spec: WorkSpec::pcomm("ktstr-nothreads"),
            ..config(3, WorkType::SpinWait, CloneMode::Fork)
        };
        let got = with_pids_limit(max, || {
            let t = Instant::now();
            let r = WorkloadHandle::spawn(&cfg);
            (r.map(|_| ()), t.elapsed())
        });
        let Some((result, took)) = got else { return };
        let err = result.expect_err("spawn must fail when the container cannot start its workers");
        // Not the 20 s READY_DEADLINE: the container's failure is seen.
        assert!(took < SLACK, "{what}: failing spawn took {took:?}");
        assert!(
            matches!(err, Error::NotReady { count: 3, .. }),
            "{what}: {err:?}"
        );
        before.assert_nothing_left(&what);
    }
}

/// Install, on the calling thread only, a seccomp filter that kills any
/// process calling `prctl(PR_SET_PDEATHSIG, ..)`: a forked worker's first
/// step. The spawner never makes that call. Inherited by children.
fn kill_children_at_their_first_step() {
    const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;
    const RET_KILL_PROCESS: u32 = 0x8000_0000;
    const RET_ALLOW: u32 = 0x7fff_0000;
    let ld = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jeq = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    let stmt = |code, k| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |k, jt, jf| libc::sock_filter {
        code: jeq,
        jt,
        jf,
        k,
    };
    // struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }
    let mut prog = [
        stmt(ld, 4),                        // arch
        jump(AUDIT_ARCH_X86_64, 0, 5),      // other arch: allow
        stmt(ld, 0),                        // nr
        jump(libc::SYS_prctl as u32, 0, 3), // not prctl: allow
        stmt(ld, 16),                       // args[0], low word
        jump(libc::PR_SET_PDEATHSIG as u32, 0, 1),
        stmt(ret, RET_KILL_PROCESS),
        stmt(ret, RET_ALLOW),
    ];
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: `fprog` points at `prog`, which lives across the call; the
    // kernel copies the program.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &fprog as *const libc::sock_fprog,
        )
    };
    assert_eq!(
        r,
        0,
        "install seccomp filter: {}",
        std::io::Error::last_os_error()
    );
}

#[test]
fn workers_that_die_before_ready_fail_spawn_fast() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the seccomp filter is written for x86_64");
        return;
    }
    let _g = lock();
    for pcomm in [None, Some("ktstr-diesoon")] {
        let what = format!("spawn whose workers die before ready (pcomm {pcomm:?})");
        let before = Footprint::take();
        let cfg = WorkloadConfig {
            spec: WorkSpec {
                pcomm: pcomm.map(str::to_string),
                comm: None,
            },
            ..config(3, WorkType::SpinWait, CloneMode::Fork)
        };
        // A scratch thread carries the filter and dies with it.
        let (result, took) = std::thread::spawn(move || {
            kill_children_at_their_first_step();
            let t = Instant::now();
            let r = WorkloadHandle::spawn(&cfg).map(|_| ());
            (r, t.elapsed())
        })
        .join()
        .unwrap();
        let err = result.expect_err("spawn must fail when its workers die");
        assert!(took < SLACK, "{what}: took {took:?}, not failing fast");
        assert!(
            matches!(
                err,
                Error::NotReady {
                    ready: 0,
                    count: 3,
                    ..
                }
            ),
            "{what}: {err:?}"
        );
        before.assert_nothing_left(&what);
    }
}
