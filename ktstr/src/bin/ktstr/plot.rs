//! `ktstr plot RECORD.json -o out.svg`, and the plot of `ktstr run
//! --plot out.svg`: the run's samples and reports put in the shape of a
//! test record and drawn the same way.

use std::path::{Path, PathBuf};

use ktstr::prelude::*;
use ktstr::scenario::{Point, Sample};

use crate::Failure;

/// Arguments of `ktstr plot`.
#[derive(clap::Args, Debug)]
pub(crate) struct PlotArgs {
    /// A test's JSON record (`target/ktstr/<binary>/<test>.json`).
    record: PathBuf,
    /// Where to write the SVG (written whole or not at all).
    #[arg(long, short = 'o', value_name = "OUT.svg")]
    out: PathBuf,
}

pub(crate) fn main(args: PlotArgs) -> Result<(), Failure> {
    draw(&args.out, Source::File(&args.record))
}

/// One sample of every worker of `handle`, `at_ms` into the run.
pub(crate) fn sample(handle: &WorkloadHandle, at_ms: u64) -> Sample {
    Sample {
        at_ms,
        step: 0,
        points: handle
            .snapshot()
            .into_iter()
            .map(|worker| Point {
                cgroup: "run".into(),
                workload: 0,
                worker,
            })
            .collect(),
    }
}

/// Draw one `ktstr run`: its record (the one `ktstr run` keeps).
pub(crate) fn run(out: &Path, record: serde_json::Value) -> Result<(), Failure> {
    draw(out, Source::Value(record))
}

/// What to draw: a record file, or a record built here.
enum Source<'a> {
    File(&'a Path),
    Value(serde_json::Value),
}

#[cfg(feature = "plot")]
fn draw(out: &Path, source: Source<'_>) -> Result<(), Failure> {
    use ktstr::plot::{read, write_svg, PlotRecord};
    let began = std::time::Instant::now();
    let record = match source {
        Source::File(path) => read(path),
        Source::Value(v) => PlotRecord::from_value(&v, out),
    };
    let done = record
        .and_then(|r| r.to_svg())
        .and_then(|svg| write_svg(&svg, out).map(|()| svg.len()));
    match done {
        Ok(bytes) => {
            eprintln!(
                "ktstr: wrote {} ({} KiB, {} ms)",
                out.display(),
                bytes.div_ceil(1024),
                began.elapsed().as_millis()
            );
            Ok(())
        }
        Err(e) if e.is_bad_input() => Err(Failure::Usage(e.to_string())),
        Err(e) => Err(Failure::Runtime(e.into())),
    }
}

#[cfg(not(feature = "plot"))]
fn draw(out: &Path, source: Source<'_>) -> Result<(), Failure> {
    let what = match source {
        Source::File(path) => path.display().to_string(),
        Source::Value(v) => v["test"].as_str().unwrap_or("the run").to_string(),
    };
    Err(Failure::Usage(format!(
        "cannot draw {what} to {}: this ktstr was built without its `plot` feature (build it \
         with --features plot)",
        out.display()
    )))
}
