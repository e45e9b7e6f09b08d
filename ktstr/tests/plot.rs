//! Plots as a browser would show them: each SVG `ktstr plot` and `ktstr
//! run --plot` write is rasterized with resvg and checked for its size
//! and for ink in every panel (lines, cells, bars; text needs fonts,
//! which the checks do not rely on). The SVGs and PNGs stay under
//! `target/ktstr-plots/` for a person to look at.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use resvg::tiny_skia::Pixmap;

const KTSTR: &str = env!("CARGO_BIN_EXE_ktstr");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plot");
const WIDTH: u32 = ktstr::plot::WIDTH;
const HEIGHT: u32 = ktstr::plot::HEIGHT;
/// The panels' rows of pixels: progress, per-CPU occupancy, wake latency.
const PROGRESS: (u32, u32) = (60, 480);
const OCCUPANCY: (u32, u32) = (480, 810);
const LATENCY: (u32, u32) = (810, 1150);

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("ktstr-plots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ktstr(args: &[&str]) -> Output {
    Command::new(KTSTR).args(args).output().expect("run ktstr")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `svg` rasterized (with the system's fonts, if any), saved as `png`.
fn raster(svg: &Path, png: &Path) -> Pixmap {
    let mut opt = resvg::usvg::Options::default();
    let fonts = opt.fontdb_mut();
    fonts.load_system_fonts();
    // fontdb maps `sans-serif` to Arial; a browser takes what it has.
    let family = fonts
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .min_by_key(|name| !name.starts_with("DejaVu Sans"));
    if let Some(family) = family {
        fonts.set_sans_serif_family(family);
    }
    let data = std::fs::read(svg).unwrap();
    let tree = resvg::usvg::Tree::from_data(&data, &opt).expect("a valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.save_png(png).unwrap();
    pixmap
}

/// What is drawn in rows `rows` of `p`: pixels that are not the white
/// background, and how many distinct colours there are.
#[derive(Debug)]
struct Ink {
    inked: usize,
    colours: usize,
}

fn ink(p: &Pixmap, rows: (u32, u32)) -> Ink {
    let mut colours = HashSet::new();
    let mut inked = 0;
    for y in rows.0..rows.1.min(p.height()) {
        for x in 0..p.width() {
            let c = p.pixel(x, y).unwrap();
            let rgb = (c.red(), c.green(), c.blue(), c.alpha());
            if rgb != (255, 255, 255, 255) {
                inked += 1;
            }
            colours.insert(rgb);
        }
    }
    Ink {
        inked,
        colours: colours.len(),
    }
}

/// Pixels in `rows` close to `rgb` (each channel within 40).
fn near(p: &Pixmap, rows: (u32, u32), rgb: (u8, u8, u8)) -> usize {
    let close = |a: u8, b: u8| a.abs_diff(b) <= 40;
    (rows.0..rows.1.min(p.height()))
        .flat_map(|y| (0..p.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let c = p.pixel(x, y).unwrap();
            close(c.red(), rgb.0) && close(c.green(), rgb.1) && close(c.blue(), rgb.2)
        })
        .count()
}

/// A panel with a chart in it: axes, ticks and data, not a blank area.
fn drawn(p: &Pixmap, rows: (u32, u32), what: &str) {
    let i = ink(p, rows);
    let area = ((rows.1 - rows.0) * p.width()) as usize;
    assert!(
        i.inked > area / 100 && i.colours >= 4,
        "the {what} panel looks blank: {i:?} of {area} pixels"
    );
}

#[test]
fn the_blank_check_fails_on_a_blank_picture() {
    let svg = out_dir().join("blank.svg");
    std::fs::write(
        &svg,
        format!(
            "<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}'>\
             <rect width='100%' height='100%' fill='white'/></svg>"
        ),
    )
    .unwrap();
    let p = raster(&svg, &svg.with_extension("png"));
    let blank = std::panic::catch_unwind(|| drawn(&p, PROGRESS, "progress"));
    assert!(blank.is_err(), "a white picture must not pass as drawn");
}

#[test]
fn a_run_is_plotted_with_progress_occupancy_and_wake_latency() {
    let svg = out_dir().join("run.svg");
    let _ = std::fs::remove_file(&svg);
    let svg_arg = svg.to_str().unwrap();
    let o = ktstr(&[
        "run",
        "-t",
        "FutexPingPong",
        "-w",
        "4",
        "-d",
        "1500ms",
        "-q",
        "--plot",
        svg_arg,
    ]);
    assert!(o.status.success(), "ktstr run failed: {}", stderr(&o));
    assert!(stderr(&o).contains("ktstr: wrote"), "{}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("Wake latency:") && text.contains("run #3"),
        "{text:.300}"
    );
    let p = raster(&svg, &svg.with_extension("png"));
    assert_eq!((p.width(), p.height()), (WIDTH, HEIGHT));
    drawn(&p, PROGRESS, "progress");
    drawn(&p, OCCUPANCY, "occupancy");
    drawn(&p, LATENCY, "wake latency");
    // The histogram's bars and some busy CPU cells are there.
    assert!(near(&p, LATENCY, (49, 130, 189)) > 500, "no latency bars");
    let busy = near(&p, OCCUPANCY, (60, 90, 150)) + near(&p, OCCUPANCY, (8, 48, 107));
    assert!(busy > 500, "no busy CPU cells");
}

#[test]
fn a_scenario_record_shows_its_steps_and_says_what_it_lacks() {
    let record = Path::new(FIXTURES).join("scenario.json");
    let svg = out_dir().join("scenario.svg");
    let o = ktstr(&[
        "plot",
        record.to_str().unwrap(),
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("step 1 &apos;shrink to CPU 1&apos;")
            || text.contains("step 1 'shrink to CPU 1'"),
        "step label missing"
    );
    assert!(
        text.contains("Wake latency: none measured"),
        "the note is missing"
    );
    let p = raster(&svg, &svg.with_extension("png"));
    assert_eq!((p.width(), p.height()), (WIDTH, HEIGHT));
    drawn(&p, PROGRESS, "progress");
    drawn(&p, OCCUPANCY, "occupancy");
    assert!(ink(&p, LATENCY).inked > 1000, "the note's frame is drawn");

    // The same record without its steps: the dashed step lines are gone
    // from the progress panel.
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    for row in v["outcome"]["samples"]["rows"].as_array_mut().unwrap() {
        row["step"] = 0.into();
    }
    let flat = out_dir().join("scenario-no-steps.json");
    std::fs::write(&flat, v.to_string()).unwrap();
    let flat_svg = flat.with_extension("svg");
    assert!(ktstr(&[
        "plot",
        flat.to_str().unwrap(),
        "-o",
        flat_svg.to_str().unwrap()
    ])
    .status
    .success());
    let q = raster(&flat_svg, &flat_svg.with_extension("png"));
    let grey = |p: &Pixmap| near(p, PROGRESS, (89, 89, 89));
    assert!(
        grey(&p) > grey(&q) + 300,
        "step lines: {} grey pixels with steps, {} without",
        grey(&p),
        grey(&q)
    );
}

#[test]
fn bad_input_is_a_usage_error_and_writes_nothing() {
    let dir = out_dir().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(Path::new(FIXTURES).join("scenario.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let truncated = write("truncated.json", &good[..good.len() / 3]);
    v["format"] = 7.into();
    let newer = write("format7.json", &v.to_string());
    v["format"] = 1.into();
    v["outcome"]["samples"] = serde_json::Value::Null;
    let no_samples = write("no-samples.json", &v.to_string());
    let cases = [
        (dir.join("missing.json"), "cannot read the record"),
        (truncated, "truncated"),
        (newer, "record format 7"),
        (no_samples, "has no samples over time to plot"),
    ];
    for (record, says) in cases {
        let out = dir.join("out.svg");
        let o = ktstr(&[
            "plot",
            record.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}",
            record.display(),
            stderr(&o)
        );
        assert!(
            stderr(&o).contains(says),
            "{}: {}",
            record.display(),
            stderr(&o)
        );
        assert!(!out.exists(), "{} left a plot behind", record.display());
    }
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
    let o = ktstr(&["run", "-d", "100ms", "--repeat", "2", "--plot", "x.svg"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--plot draws one run"),
        "{}",
        stderr(&o)
    );
}
