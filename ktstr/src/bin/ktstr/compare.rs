//! `ktstr compare A B`: two runs' JSON records, matched by test, metric by
//! metric, as a table or JSON; exit 1 when something got worse.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;
use ktstr::compare::{compare, load, Comparison, Verdict};

use crate::Failure;

/// Arguments of `ktstr compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The baseline: a record file or a directory of records (a run's
    /// `target/ktstr/`; several records of one test are repeats).
    a: PathBuf,
    /// The run to judge against the baseline, the same way.
    b: PathBuf,
    /// Smallest change, in percent, that counts as better or worse when
    /// repeats show less noise than that.
    #[arg(long, default_value_t = 10.0, value_name = "PCT")]
    threshold: f64,
    /// Print the comparison as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Show every metric, not only those that changed.
    #[arg(long, short)]
    verbose: bool,
}

/// Run `ktstr compare`.
pub fn main(args: CompareArgs) -> Result<(), Failure> {
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        return Err(Failure::Usage(format!(
            "--threshold must be a percentage >= 0, got {}",
            args.threshold
        )));
    }
    let a = load(&args.a).map_err(|e| Failure::Usage(e.to_string()))?;
    let b = load(&args.b).map_err(|e| Failure::Usage(e.to_string()))?;
    let c = compare(&a, &b, args.threshold);
    no_test_in_common(&c, &args)?;
    if args.json {
        let text = serde_json::to_string_pretty(&c).map_err(|e| Failure::Runtime(e.into()))?;
        crate::out::emit(&format!("{text}\n"))?;
    } else {
        crate::out::emit(&table(&c, args.verbose))?;
    }
    if c.regressed() {
        return Err(Failure::Runtime(anyhow!(
            "{} regressed against {} (threshold {} %)",
            args.b.display(),
            args.a.display(),
            args.threshold
        )));
    }
    Ok(())
}

/// Two runs without one test in common compare nothing: a usage error
/// (records of different suites, or the wrong directory), naming a few
/// tests of each side.
fn no_test_in_common(c: &Comparison, args: &CompareArgs) -> Result<(), Failure> {
    let only = |v: Verdict| -> Vec<&str> {
        let names: Vec<&str> = c
            .tests
            .iter()
            .filter(|t| t.result == v)
            .map(|t| t.test.as_str())
            .collect();
        names
    };
    let (in_a, in_b) = (only(Verdict::OnlyInA), only(Verdict::OnlyInB));
    if in_a.len() + in_b.len() < c.tests.len() {
        return Ok(());
    }
    let few = |names: &[&str]| {
        let mut s = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
        if names.len() > 3 {
            s.push_str(&format!(" and {} more", names.len() - 3));
        }
        s
    };
    Err(Failure::Usage(format!(
        "{} and {} have no test in common (A: {}; B: {}): compare two runs of the same tests",
        args.a.display(),
        args.b.display(),
        few(&in_a),
        few(&in_b)
    )))
}

fn word(v: Verdict) -> &'static str {
    match v {
        Verdict::Better => "better",
        Verdict::Worse => "WORSE",
        Verdict::WithinNoise => "within noise",
        Verdict::Changed => "changed",
        Verdict::OnlyInA => "only in A",
        Verdict::OnlyInB => "only in B",
    }
}

fn value(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-2) => format!("{x:.3e}"),
        Some(x) => format!("{x:.2}"),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |x| format!("{x:+.1}%"))
}

/// The human table: one line per test, then one per metric that moved
/// (every metric with `verbose`).
fn table(c: &Comparison, verbose: bool) -> String {
    let mut s = String::new();
    if let Some((a, b)) = &c.versions {
        let _ = writeln!(
            s,
            "note: the runs come from different ktstr versions (A: {}, B: {}); metrics may not be comparable",
            a.join(", "),
            b.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "{:<40} {:<18} {:>12} {:>12} {:>9} {:>7}  verdict",
        "test", "metric", "A", "B", "change", "noise"
    );
    let (mut worse, mut better, mut missing) = (0, 0, 0);
    for t in &c.tests {
        let runs = |p: usize, n: usize| {
            if n == 0 {
                "-".to_string()
            } else {
                format!("{p}/{n} passed")
            }
        };
        let _ = writeln!(
            s,
            "{:<40} {:<18} {:>12} {:>12} {:>9} {:>7}  {}",
            t.test,
            "result",
            runs(t.a_passed, t.a_runs),
            runs(t.b_passed, t.b_runs),
            "",
            "",
            match t.result {
                Verdict::WithinNoise => "same",
                v => word(v),
            }
        );
        if matches!(t.result, Verdict::OnlyInA | Verdict::OnlyInB) {
            missing += 1;
        }
        for m in &t.metrics {
            match m.verdict {
                Verdict::Worse => worse += 1,
                Verdict::Better => better += 1,
                _ => {}
            }
            if !verbose && m.verdict == Verdict::WithinNoise {
                continue;
            }
            let _ = writeln!(
                s,
                "{:<40} {:<18} {:>12} {:>12} {:>9} {:>7}  {}",
                "",
                format!("{} ({})", m.metric, m.unit),
                value(m.a),
                value(m.b),
                pct(m.change_pct),
                m.noise_pct
                    .map_or_else(|| "-".into(), |n| format!("{n:.1}%")),
                word(m.verdict)
            );
        }
    }
    let _ = writeln!(
        s,
        "\n{} test(s): {worse} metric(s) worse, {better} better, {missing} test(s) in one run only; threshold {} %{}",
        c.tests.len(),
        c.threshold_pct,
        if verbose { "" } else { " (-v shows the metrics within noise)" }
    );
    s
}
