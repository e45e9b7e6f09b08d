//! `ktstr run --repeat N`: N runs of the workload, a pass rate and each
//! metric's spread; `--repeat 0` is a usage error.

use std::process::Command;

fn ktstr_run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ktstr"))
        .arg("run")
        .args(args)
        .output()
        .expect("run ktstr run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn repeat_reports_a_pass_rate_and_spreads() {
    let (code, out, err) = ktstr_run(&["-d", "200ms", "-w", "2", "-q", "--repeat", "3"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("\nran 0.").count(), 3, "three tables: {out}");
    assert!(
        out.contains("passed 3/3 (a run passes when every worker ended cleanly)\n  work_rate "),
        "{out}"
    );
    let rate = out.lines().find(|l| l.starts_with("  work_rate ")).unwrap();
    assert!(rate.ends_with(", n=3)") && rate.contains(" ±"), "{rate}");
}

#[test]
fn repeat_as_json_is_one_document() {
    let (code, out, err) = ktstr_run(&["-d", "200ms", "-q", "--json", "--repeat", "2"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!((&v["repeat"], &v["passed"]), (&2.into(), &2.into()));
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert_eq!(v["spread"][0]["metric"], "work_rate");
}

#[test]
fn repeat_zero_or_not_a_number_is_a_usage_error() {
    for bad in ["0", "x", "2.5"] {
        let (code, out, err) = ktstr_run(&["--repeat", bad, "-d", "100ms"]);
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(
            err.contains("invalid value") && err.contains("--repeat"),
            "{err}"
        );
        assert!(out.is_empty(), "nothing ran: {out}");
    }
    let (_, _, err) = ktstr_run(&["--repeat", "0"]);
    assert!(
        err.contains("--repeat 0 would run nothing and pass"),
        "{err}"
    );
}

#[test]
fn every_repeat_keeps_its_record_for_compare() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-repeat-records");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let (code, out, err) = ktstr_run(&["-d", "200ms", "-q", "--repeat", "3", "--record", d]);
    assert_eq!(code, 0, "{out}{err}");
    let read = |rel: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        serde_json::from_str(&text).unwrap()
    };
    let sum = read("run__SpinWait.json");
    assert_eq!(
        (&sum["test"], &sum["result"]),
        (&"run::SpinWait".into(), &"passed".into())
    );
    assert_eq!(
        (&sum["repeats"]["count"], &sum["repeats"]["passed"]),
        (&3.into(), &3.into())
    );
    for i in 1..=3 {
        let rel = format!("repeats/run__SpinWait/{i}.json");
        assert_eq!(sum["repeats"]["runs"][i - 1]["record"], rel.as_str());
        let rep = read(&rel);
        assert_eq!(rep["repeat"]["index"], i);
        let reports = rep["outcome"]["groups"][0]["reports"].as_array().unwrap();
        assert_eq!(reports.len(), 2, "two workers' reports in repeat {i}");
    }
    // `ktstr compare` reads the three repeats as one test's runs.
    let cmp = Command::new(env!("CARGO_BIN_EXE_ktstr"))
        .args(["compare", "--json", d, d])
        .output()
        .unwrap();
    assert_eq!(
        cmp.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cmp.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&cmp.stdout).unwrap();
    let t = &c["tests"][0];
    assert_eq!(t["test"], "ktstr/run::SpinWait", "{c}");
    assert_eq!((&t["a_runs"], &t["b_runs"]), (&3.into(), &3.into()), "{c}");
    // A single run later replaces the summary and drops the old repeats.
    let (code, _, err) = ktstr_run(&["-d", "100ms", "-q", "--record", d]);
    assert_eq!(code, 0, "{err}");
    assert!(read("run__SpinWait.json").get("repeats").is_none());
    assert!(!dir.join("repeats/run__SpinWait/1.json").exists());
}

#[test]
fn record_is_refused_with_vm() {
    let (code, out, err) = ktstr_run(&["--vm", "--record", "/tmp/x", "-d", "100ms"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--record") && err.contains("--vm"), "{err}");
}

/// A plain `ktstr run`'s record carries its samples and host, so `ktstr
/// plot` draws it afterwards exactly as `--plot` drew it during the run.
#[cfg(feature = "plot")]
#[test]
fn a_run_record_is_plotted_like_run_plot() {
    let dir = std::env::temp_dir().join(format!("ktstr-run-plot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let during = dir.join("during.svg");
    let (code, out, err) = ktstr_run(&[
        "-d",
        "500ms",
        "-w",
        "2",
        "-q",
        "--record",
        dir.to_str().unwrap(),
        "--plot",
        during.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let record = dir.join("run__SpinWait.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    let rows = v["outcome"]["samples"]["rows"].as_array().unwrap().len();
    assert!(
        rows >= 3,
        "a 500 ms run sampled every 100 ms kept {rows} rows"
    );
    assert_eq!(v["outcome"]["passed"], true);
    let after = dir.join("after.svg");
    let plot = Command::new(env!("CARGO_BIN_EXE_ktstr"))
        .args([
            "plot",
            record.to_str().unwrap(),
            "-o",
            after.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        plot.status.success(),
        "{}",
        String::from_utf8_lossy(&plot.stderr)
    );
    let (a, b) = (
        std::fs::read(&during).unwrap(),
        std::fs::read(&after).unwrap(),
    );
    std::fs::remove_dir_all(&dir).ok();
    assert!(a.starts_with(b"<svg"), "not an SVG");
    assert_eq!(
        a, b,
        "ktstr plot of the record differs from ktstr run --plot"
    );
}
