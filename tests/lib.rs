//! Scheduler test suites that use ktstr as a user would. The suites are the
//! `[[test]]` targets under `suites/`; this library only holds what they
//! share.

use ktstr::prelude::*;

/// Hold this while a test runs workers: tests of one binary run on
/// parallel threads, and two tests' workers on the same CPUs would distort
/// each other's measurements.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether the current process runs as root (many scheduler settings and
/// all cgroup work need it).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Spread of work rates across `reports`: (max - min) / max, in percent.
/// 0 for fewer than two reports.
pub fn rate_spread_pct(reports: &[WorkerReport]) -> f64 {
    let rates: Vec<f64> = reports.iter().map(|r| r.work_rate()).collect();
    let hi = rates.iter().cloned().fold(0.0, f64::max);
    let lo = rates.iter().cloned().fold(f64::INFINITY, f64::min);
    if rates.len() < 2 || hi == 0.0 {
        0.0
    } else {
        100.0 * (hi - lo) / hi
    }
}
