//! The SVG: a title, then the progress, per-CPU occupancy and
//! wake-latency panels, drawn with plotters' SVG backend.

use std::collections::BTreeSet;
use std::fmt::Display;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{self, Latency, Occupancy, StepMark, WorkerLine};
use super::{PlotError, PlotRecord, HEIGHT, WIDTH};

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Workers named in the progress legend; more get a count.
const LEGEND_MAX: usize = 12;
const FONT: &str = "sans-serif";
/// The panels' heights, top to bottom (the latency panel takes the rest).
const TITLE_H: u32 = 60;
const PROGRESS_H: u32 = 420;
const OCCUPANCY_H: u32 = 330;

fn draw_err<E: Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// The whole picture of `rec`.
pub(super) fn svg(rec: &PlotRecord) -> Result<String, PlotError> {
    let rows = rec
        .outcome
        .samples
        .as_ref()
        .map_or(&[][..], |s| &s.rows[..]);
    let every_ms = rec.outcome.samples.as_ref().map_or(0, |s| s.every_ms);
    let lines = data::worker_lines(rows);
    let marks = data::step_marks(rows, &rec.outcome.verdicts);
    let online: Vec<u32> = rec
        .online_cpus
        .as_deref()
        .and_then(|s| s.parse::<crate::cpuset::CpuSet>().ok())
        .map(|c| c.iter().map(|c| c as u32).collect())
        .unwrap_or_default();
    let occ = data::occupancy(rows, &online);
    let lat = data::latency(&rec.outcome.groups);
    let x_max = (rows.last().map_or(0, |s| s.at_ms) as f64 / 1e3).max(0.001);

    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (title, rest) = root.split_vertically(TITLE_H);
        let (top, rest) = rest.split_vertically(PROGRESS_H);
        let (middle, bottom) = rest.split_vertically(OCCUPANCY_H);
        let sub = format!(
            "{} · {} · kernel {} · CPUs {} · {} samples every {} ms",
            rec.binary,
            rec.result,
            rec.kernel.as_deref().unwrap_or("?"),
            rec.online_cpus.as_deref().unwrap_or("?"),
            rows.len(),
            every_ms
        );
        title
            .draw(&Text::new(rec.test.clone(), (15, 10), (FONT, 28)))
            .map_err(draw_err)?;
        title
            .draw(&Text::new(
                sub,
                (15, 38),
                (FONT, 18).into_font().color(&BLACK.mix(0.7)),
            ))
            .map_err(draw_err)?;
        progress(&top, &lines, &marks, x_max)?;
        match &occ {
            Some(o) => occupancy(&middle, o, &marks, x_max)?,
            None => note(
                &middle,
                "Per-CPU occupancy: not known. The record's samples carry no CPU or no CPU \
                 time (schedstats off, or the workers were gone).",
            )?,
        }
        match &lat {
            Some(l) => latency(&bottom, l)?,
            None => note(&bottom, &no_latency(rec))?,
        }
        root.present().map_err(draw_err)?;
    }
    Ok(buf)
}

/// Why the latency panel is empty: the work types that ran measure none.
fn no_latency(rec: &PlotRecord) -> String {
    let types: BTreeSet<&str> = rec
        .outcome
        .groups
        .iter()
        .flat_map(|g| &g.reports)
        .map(|r| r.work_type.as_str())
        .collect();
    let types = match types.is_empty() {
        true => "none reported".to_string(),
        false => types.into_iter().collect::<Vec<_>>().join(", "),
    };
    format!(
        "Wake latency: none measured. The work types of this run ({types}) do not measure \
         wake latency."
    )
}

/// A framed panel that says why it has nothing to draw.
fn note(area: &Area, text: &str) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let frame = Rectangle::new([(10, 10), (w as i32 - 20, h as i32 - 10)], BLACK.mix(0.3));
    area.draw(&frame).map_err(draw_err)?;
    area.draw(&Text::new(
        text.to_string(),
        (30, h as i32 / 2 - 8),
        (FONT, 19),
    ))
    .map_err(draw_err)
}

/// Dashed vertical lines where the steps began, each with its label.
fn step_lines<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    marks: &[StepMark],
    y: (f64, f64),
) -> Result<(), PlotError> {
    for m in marks {
        let style = BLACK.mix(0.65).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(m.at_s, y.0), (m.at_s, y.1)],
                7,
                4,
                style,
            ))
            .map_err(draw_err)?;
        let label =
            EmptyElement::at((m.at_s, y.1)) + Text::new(m.label.clone(), (4, 2), (FONT, 15));
        chart
            .draw_series(std::iter::once(label))
            .map_err(draw_err)?;
    }
    Ok(())
}

fn progress(
    area: &Area,
    lines: &[WorkerLine],
    marks: &[StepMark],
    x_max: f64,
) -> Result<(), PlotError> {
    let y_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(1.0, f64::max)
        * 1.08;
    let more = match lines.len() {
        n if n > LEGEND_MAX => format!(" (legend: first {LEGEND_MAX} of {n})"),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("Progress: iterations of every worker over time{more}"),
            (FONT, 21),
        )
        .margin(10)
        .margin_right(25)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_desc("time since the start (s)")
        .y_desc("iterations")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(draw_err)?;
    for (i, l) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let drawn = chart
            .draw_series(LineSeries::new(l.points.clone(), color.stroke_width(2)))
            .map_err(draw_err)?;
        if i < LEGEND_MAX {
            drawn.label(l.label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
        }
    }
    step_lines(&mut chart, marks, (0.0, y_max))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 15))
        .draw()
        .map_err(draw_err)
}

/// White (idle) to dark blue (a whole CPU's time).
fn busy_color(busy: f64) -> RGBColor {
    let f = busy.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
}

fn occupancy(
    area: &Area,
    occ: &Occupancy,
    marks: &[StepMark],
    x_max: f64,
) -> Result<(), PlotError> {
    let n = occ.cpus.len().max(1);
    let cpus = occ.cpus.clone();
    let row = |cpu: u32| cpus.iter().position(|&c| c == cpu).unwrap_or(0) as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Per-CPU occupancy: share of each CPU the workers used per interval \
             (white 0%, dark blue 100%)",
            (FONT, 21),
        )
        .margin(10)
        .margin_right(25)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max, -0.5..n as f64 - 0.5)
        .map_err(draw_err)?;
    let names = occ.cpus.clone();
    let label = move |y: &f64| {
        let i = y.round();
        match names.get(i as usize) {
            Some(c) if (y - i).abs() < 1e-6 && i >= 0.0 => format!("CPU {c}"),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_desc("time since the start (s)")
        .y_labels(n.min(32) + 1)
        .y_label_formatter(&label)
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(draw_err)?;
    chart
        .draw_series(occ.cells.iter().filter(|c| c.busy > 0.005).map(|c| {
            let y = row(c.cpu);
            Rectangle::new(
                [(c.from_s, y - 0.45), (c.to_s, y + 0.45)],
                busy_color(c.busy).filled(),
            )
        }))
        .map_err(draw_err)?;
    step_lines(&mut chart, marks, (-0.5, n as f64 - 0.5))
}

fn latency(area: &Area, lat: &Latency) -> Result<(), PlotError> {
    let lo = lat.bins[0].0;
    let hi = lat.bins[lat.bins.len() - 1].1;
    let top = lat.bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64 * 1.15;
    let us = |ns: u64| ns as f64 / 1e3;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "Wake latency: {} samples kept of {} measured; p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                lat.pct.count,
                lat.measured,
                us(lat.pct.p50),
                us(lat.pct.p99),
                us(lat.pct.max)
            ),
            (FONT, 21),
        )
        .margin(10)
        .margin_right(25)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..top)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_desc("wake latency (µs, log scale)")
        .y_desc("samples")
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(draw_err)?;
    let bar = RGBColor(49, 130, 189);
    chart
        .draw_series(
            lat.bins.iter().filter(|b| b.2 > 0).map(|&(a, b, n)| {
                Rectangle::new([(a, 0.0), (b, n as f64)], bar.mix(0.85).filled())
            }),
        )
        .map_err(draw_err)?;
    for (name, ns) in [("p50", lat.pct.p50), ("p99", lat.pct.p99)] {
        let x = us(ns).clamp(lo, hi);
        let style = RED.mix(0.8).stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(vec![(x, 0.0), (x, top)], 7, 4, style))
            .map_err(draw_err)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((x, top)) + Text::new(name, (4, 2), (FONT, 15)),
            ))
            .map_err(draw_err)?;
    }
    Ok(())
}
