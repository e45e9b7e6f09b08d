//! Harness overhead: 200 trivial ktstr tests (each in its own supervised
//! child process) against the same 200 tests under plain libtest (threads
//! of one process), both with `--test-threads 1`, run side by side in one
//! run. Prints per-test time, the ratio, and the time from process start
//! to the first test result.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const TESTS: f64 = 200.0;

/// Build the `plain200` libtest binary with the same profile and return its
/// path (cargo builds only the bench and the package's bins for a bench).
fn plain200() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args([
            "test",
            "--release",
            "--no-run",
            "--message-format=json",
            "-p",
            "ktstr-harness-selftest",
            "--test",
            "plain200",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo to build plain200");
    assert!(out.status.success(), "building plain200 failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"]["name"] == "plain200")
        .find_map(|v| v["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported no plain200 executable")
}

/// (total wall time, time to the first `test ... ok` line, tests passed).
fn measure(bin: &Path) -> (Duration, Duration, usize) {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .args(["--test-threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = None;
    let mut passed = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("test ") && line.ends_with(" ok") {
            first.get_or_insert_with(|| t.elapsed());
            passed += 1;
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{} failed", bin.display());
    (t.elapsed(), first.unwrap_or_default(), passed)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs benches with no
    // argument only when asked (`--benches`), and then one round will do.
    let rounds = if std::env::args().any(|a| a == "--bench") {
        ROUNDS
    } else {
        1
    };
    let ktstr = PathBuf::from(env!("CARGO_BIN_EXE_ktstr-200"));
    let plain = plain200();
    let mut k_total = Vec::new();
    let mut k_first = Vec::new();
    let mut p_total = Vec::new();
    let mut p_first = Vec::new();
    for _ in 0..rounds {
        let (t, f, n) = measure(&ktstr);
        assert_eq!(n, 200, "ktstr-200 must pass 200 tests");
        k_total.push(t);
        k_first.push(f);
        let (t, f, n) = measure(&plain);
        assert_eq!(n, 200, "plain200 must pass 200 tests");
        p_total.push(t);
        p_first.push(f);
    }
    let (kt, pt) = (median(k_total), median(p_total));
    let k_per = kt.as_secs_f64() / TESTS;
    let p_per = pt.as_secs_f64() / TESTS;
    println!("harness overhead, 200 trivial tests, --test-threads 1, median of {rounds}");
    println!("  ktstr  (child process per test): {:>8.3} s total, {:>8.1} µs per test, first result after {:>7.1} ms",
        kt.as_secs_f64(), k_per * 1e6, median(k_first).as_secs_f64() * 1e3);
    println!("  libtest (threads, in process)  : {:>8.3} s total, {:>8.1} µs per test, first result after {:>7.1} ms",
        pt.as_secs_f64(), p_per * 1e6, median(p_first).as_secs_f64() * 1e3);
    println!(
        "  per-test ratio ktstr/libtest: {:.1}x (added {:.2} ms per test)",
        k_per / p_per.max(1e-9),
        (k_per - p_per) * 1e3
    );
}
