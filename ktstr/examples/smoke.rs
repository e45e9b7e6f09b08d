use ktstr::prelude::*;
fn main() {
    for mode in [CloneMode::Fork, CloneMode::Thread] {
        for name in WorkType::ALL_NAMES {
            let Some(wt) = WorkType::from_name(name) else {
                continue;
            };
            let cfg = WorkloadConfig {
                num_workers: 2,
                work_type: wt,
                clone_mode: mode,
                ..Default::default()
            };
            let t = std::time::Instant::now();
            let mut h = WorkloadHandle::spawn(&cfg).unwrap();
            let sp = t.elapsed();
            h.start();
            std::thread::sleep(std::time::Duration::from_millis(300));
            let t2 = std::time::Instant::now();
            let r = h.stop_and_collect();
            println!("{mode:?} {name}: spawn {:?} collect {:?} units {:?} iters {:?} lat {:?} exit {:?} err {:?} notes {:?}", sp, t2.elapsed(),
              r.iter().map(|r| r.work_units).collect::<Vec<_>>(), r.iter().map(|r| r.iterations).collect::<Vec<_>>(),
              r.iter().map(|r| r.wake_latency.count).collect::<Vec<_>>(),
              r.iter().map(|r| r.exit_info.clone()).collect::<Vec<_>>(), r.iter().map(|r| r.error.clone()).collect::<Vec<_>>(), r[0].notes);
        }
    }
}
