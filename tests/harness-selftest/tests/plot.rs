//! `KTSTR_PLOT=1`: the harness draws each test's record as `<test>.svg`
//! beside `<test>.json`; a test without samples gets a note and no SVG.

use std::path::PathBuf;
use std::process::Command;

const FIXTURE: &str = env!("CARGO_BIN_EXE_ktstr-fixture");

fn run(dir: &PathBuf, plot: &str, filter: &str) -> String {
    let out = Command::new(FIXTURE)
        .args([filter, "--exact"])
        .env("KTSTR_OUTPUT_DIR", dir)
        .env("KTSTR_PLOT", plot)
        .output()
        .expect("run the fixture");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn ktstr_plot_writes_an_svg_beside_each_record_with_samples() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("selftest-plot");
    let _ = std::fs::remove_dir_all(&dir);
    let records = dir.join("ktstr").join("ktstr-fixture");

    let stderr = run(&dir, "1", "passes");
    let svg = records.join("passes.svg");
    assert!(records.join("passes.json").is_file(), "{stderr}");
    let text = std::fs::read_to_string(&svg).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert!(
        text.starts_with("<svg") && text.contains("Progress: iterations"),
        "{text:.200}"
    );
    assert!(text.contains("passes"), "the title names the test");

    let stderr = run(&dir, "1", "fails");
    assert!(records.join("fails.json").is_file(), "{stderr}");
    assert!(
        !records.join("fails.svg").exists(),
        "a record without samples has no plot"
    );
    assert!(
        stderr.contains("ktstr: no plot:") && stderr.contains("has no samples"),
        "{stderr}"
    );

    // Without the variable (or with another value) nothing is drawn.
    std::fs::remove_file(&svg).unwrap();
    run(&dir, "0", "passes");
    assert!(!svg.exists(), "KTSTR_PLOT=0 drew a plot");
}
