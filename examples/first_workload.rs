//! A first ktstr program: spawn four Mixed workers, let them run for a
//! second, and print what each measured.
//!
//! Run it with `cargo run -p ktstr-examples --example first_workload`.

use std::time::Duration;

use ktstr::prelude::*;
use ktstr::stats::Percentiles;

fn main() -> ktstr::Result<()> {
    let config = WorkloadConfig {
        num_workers: 4,
        work_type: WorkType::Mixed,
        ..Default::default()
    };
    let mut handle = WorkloadHandle::spawn(&config)?;
    // Workers are blocked here: this is where a test moves them into cgroups.
    handle.start();
    std::thread::sleep(Duration::from_secs(1));
    for r in handle.stop_and_collect() {
        let lat = Percentiles::of(&r.wake_latency.samples).unwrap_or_default();
        println!(
            "worker {} (tid {}): {} units, {:.0}% CPU, {} migrations, p99 resume {} ns",
            r.index,
            r.tid,
            r.work_units,
            100.0 * r.cpu_time_ns as f64 / r.wall_time_ns.max(1) as f64,
            r.migrations,
            lat.p99
        );
    }
    Ok(())
}
