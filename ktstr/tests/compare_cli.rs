//! `ktstr compare` on recorded runs with known differences: the fixture
//! under `tests/fixtures/compare/run-a` is a real run of the wake suite
//! (sample lists trimmed); the other runs are made from it here.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const KTSTR: &str = env!("CARGO_BIN_EXE_ktstr");

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare/run-a")
}

fn ktstr(args: &[&Path]) -> (i32, String, String) {
    let out = Command::new(KTSTR)
        .arg("compare")
        .args(args)
        .output()
        .expect("run ktstr compare");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the fixture run under `dir`, each record passed through `edit`
/// (None drops the record).
fn derived(dir: &Path, edit: impl Fn(&str, Value) -> Option<Value>) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for e in std::fs::read_dir(fixture()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        if let Some(v) = edit(&name, v) {
            std::fs::write(dir.join(&name), serde_json::to_vec(&v).unwrap()).unwrap();
        }
    }
    dir.to_path_buf()
}

/// Every worker does half the work and waits three times longer to wake.
fn slowed(mut v: Value) -> Value {
    for g in v["outcome"]["groups"].as_array_mut().unwrap() {
        for r in g["reports"].as_array_mut().unwrap() {
            let units = r["work_units"].as_u64().unwrap();
            r["work_units"] = (units / 2).into();
            for s in r["wake_latency"]["samples"].as_array_mut().unwrap() {
                *s = (s.as_u64().unwrap() * 3).into();
            }
        }
    }
    v
}

#[test]
fn a_run_against_itself_is_within_noise() {
    let (code, out, err) = ktstr(&[&fixture(), &fixture()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 test(s): 0 metric(s) worse, 0 better"),
        "{out}"
    );
    assert!(!out.contains("WORSE"), "{out}");
}

#[test]
fn a_slowed_run_is_flagged_worse_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let b = derived(&tmp.path().join("b"), |_, v| Some(slowed(v)));
    let (code, out, err) = ktstr(&[&fixture(), &b]);
    assert_eq!(code, 1, "{out}{err}");
    for metric in ["work_rate", "wake_p50", "wake_p99"] {
        assert!(
            out.lines()
                .any(|l| l.contains(metric) && l.trim_end().ends_with("WORSE")),
            "{metric} not flagged:\n{out}"
        );
    }
    assert!(err.contains("regressed against"), "{err}");
    // The other way round it is better, and passes the gate.
    let (code, out, _) = ktstr(&[&b, &fixture()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" better"), "{out}");
}

#[test]
fn a_missing_test_is_named_and_a_new_failure_regresses() {
    let tmp = tempfile::tempdir().unwrap();
    let b = derived(&tmp.path().join("b"), |name, v| {
        (!name.starts_with("fan_out")).then_some(v)
    });
    let (code, out, _) = ktstr(&[&fixture(), &b]);
    assert_eq!(code, 0, "a missing test is shown, not a regression:\n{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("fan_out_wakes_every_receiver") && l.contains("only in A")),
        "{out}"
    );
    let c = derived(&tmp.path().join("c"), |_, mut v| {
        v["result"] = "failed".into();
        Some(v)
    });
    let (code, out, _) = ktstr(&[&fixture(), &c]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1/1 passed   0/1 passed"), "{out}");
}

#[test]
fn repeats_give_a_noise_estimate_and_json_for_tools() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    derived(&a.join("1"), |_, v| Some(v));
    // A second repeat 8 % slower: noise, not a change.
    derived(&a.join("2"), |_, mut v| {
        for g in v["outcome"]["groups"].as_array_mut().unwrap() {
            for r in g["reports"].as_array_mut().unwrap() {
                let u = r["work_units"].as_u64().unwrap();
                r["work_units"] = (u * 92 / 100).into();
            }
        }
        Some(v)
    });
    let out = Command::new(KTSTR)
        .args(["compare", "--json", "--threshold", "1"])
        .arg(&a)
        .arg(fixture())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    let t = &v["tests"][0];
    assert_eq!(t["a_runs"], 2);
    let rate = t["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "work_rate")
        .unwrap();
    let noise = rate["noise_pct"].as_f64().unwrap();
    assert!((3.0..5.0).contains(&noise), "noise {noise}");
    assert_eq!(rate["verdict"], "within_noise", "{rate}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = ktstr(&[&fixture(), &tmp.path().join("nope")]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
    let (code, _, err) = ktstr(&[&fixture(), tmp.path()]);
    assert_eq!(code, 2);
    assert!(err.contains("no ktstr records"), "{err}");
    let cut = tmp.path().join("cut.json");
    let whole = std::fs::read(fixture().join("pipe_round_trips_wake_promptly.json")).unwrap();
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let (code, _, err) = ktstr(&[&fixture(), &cut]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cut.json") && err.contains("truncated"),
        "{err}"
    );
    let out = Command::new(KTSTR)
        .args(["compare", "--threshold", "-5"])
        .arg(fixture())
        .arg(fixture())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn records_of_different_tests_are_a_usage_error() {
    let dir = fixture();
    let a = dir.join("fan_out_wakes_every_receiver.json");
    let b = dir.join("pipe_round_trips_wake_promptly.json");
    let (code, out, err) = ktstr(&[&a, &b]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "no half table: {out}");
    assert!(
        err.contains("have no test in common (A: wake/fan_out_wakes_every_receiver; B: wake/pipe_round_trips_wake_promptly)"),
        "{err}"
    );
}

#[test]
fn other_ktstr_versions_are_noted_and_newer_formats_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let old = derived(&tmp.path().join("old"), |_, mut v| {
        v["ktstr_version"] = "0.0.9".into();
        Some(v)
    });
    let (code, out, err) = ktstr(&[&fixture(), &old]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("note: the runs come from different ktstr versions (A: 0.1.0, B: 0.0.9)"),
        "{out}"
    );
    let newer = derived(&tmp.path().join("newer"), |_, mut v| {
        v["format"] = 99.into();
        Some(v)
    });
    let (code, out, err) = ktstr(&[&fixture(), &newer]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("record format 99 is newer than this ktstr reads (1): use a newer ktstr"),
        "{err}"
    );
}

#[test]
fn a_metric_on_one_side_only_is_shown_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let quiet = derived(&tmp.path().join("b"), |_, mut v| {
        for g in v["outcome"]["groups"].as_array_mut().unwrap() {
            for r in g["reports"].as_array_mut().unwrap() {
                r["wake_latency"]["samples"] = Value::Array(vec![]);
            }
        }
        Some(v)
    });
    let (code, out, err) = ktstr(&[&fixture(), &quiet]);
    assert_eq!(code, 0, "a metric B lacks is not a regression: {out}{err}");
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("wake_p99 (us)"))
        .collect();
    assert_eq!(lines.len(), 2, "one per test, without -v: {out}");
    assert!(lines.iter().all(|l| l.ends_with("only in A")), "{out}");
}

/// `ktstr compare A B | head -1`: the reader leaving early ends the output
/// quietly, with the comparison's own exit code and no panic.
#[test]
fn a_reader_that_leaves_early_is_not_a_crash() {
    use std::io::Read;
    use std::process::Stdio;
    let slow = derived(
        &std::env::temp_dir().join(format!("ktstr-compare-pipe-{}", std::process::id())),
        |_, v| Some(slowed(v)),
    );
    let mut child = Command::new(KTSTR)
        .arg("compare")
        .args([fixture(), slow.clone()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ktstr compare");
    // Close the read end before ktstr writes its table.
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    std::fs::remove_dir_all(&slow).ok();
    assert!(!err.contains("panicked"), "ktstr compare panicked: {err}");
    assert_eq!(
        status.code(),
        Some(1),
        "the slowed run still regresses: {err}"
    );
}
