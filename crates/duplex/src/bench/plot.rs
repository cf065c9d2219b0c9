//! The latency percentile plot (`--plot FILE`, `duplex bench plot`): an SVG written by
//! hand, one curve per run. x is the percentile on the scale tails are read on (0, 90, 99,
//! 99.9, 99.99 evenly spaced: `log10(100 / (100 − p))`), y the latency in milliseconds.

use std::fmt::Write;
use std::path::PathBuf;

use super::axis::{LatencyAxis, PERCENTILE_TICKS, percentile_fraction};
use super::report::Report;

/// Options of `duplex bench plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// The SVG file to write.
    #[arg(long, short)]
    out: PathBuf,
    /// The title (default: the scenarios of the runs).
    #[arg(long)]
    title: Option<String>,
    /// A logarithmic latency axis: tails many times the median stay readable.
    #[arg(long)]
    log_y: bool,
    /// JSON results of `duplex bench ... --json` (a file may hold several, one per line);
    /// each run is one curve, named by its label.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Merges the runs of `args.files` into one plot.
pub fn run(args: PlotArgs) -> Result<(), Box<dyn std::error::Error>> {
    let mut runs = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let found = read_runs(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        runs.extend(found);
    }
    let runs: Vec<&Report> = runs.iter().collect();
    let title = args.title.unwrap_or_else(|| title(&runs));
    std::fs::write(&args.out, svg(&title, &runs, args.log_y))
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    Ok(())
}

/// The runs in a JSON file: one pretty-printed object, or lines of which those starting
/// with `{` are runs (a load generator's captured stdout).
fn read_runs(text: &str) -> Result<Vec<Report>, String> {
    if let Ok(report) = serde_json::from_str::<Report>(text) {
        return Ok(vec![report]);
    }
    let runs = text
        .lines()
        .filter(|line| line.trim_start().starts_with('{'))
        .map(serde_json::from_str::<Report>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a `duplex bench` JSON result: {e}"))?;
    if runs.is_empty() {
        return Err("no JSON result in it".to_owned());
    }
    Ok(runs)
}

/// The default title: the runs' scenarios.
pub fn title(runs: &[&Report]) -> String {
    let mut scenarios: Vec<&str> = runs.iter().map(|run| run.scenario.as_str()).collect();
    scenarios.dedup();
    format!("{}: latency by percentile", scenarios.join(" / "))
}

const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 500.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;
/// Curve colours, told apart also by people with the common colour blindnesses.
const COLOURS: [&str; 6] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
];
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT: f64 = HEIGHT - TOP - BOTTOM;

/// The x coordinate of `percentile`.
fn x(percentile: f64) -> f64 {
    LEFT + percentile_fraction(percentile) * PLOT_WIDTH
}

/// The y coordinate of `ms` on `axis`.
fn y(ms: f64, axis: &LatencyAxis) -> f64 {
    HEIGHT - BOTTOM - axis.fraction(ms) * PLOT_HEIGHT
}

/// `text` made safe for XML character data and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // XML 1.0 §2.2: other control characters may not appear at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The plot of `runs` under `title`, a complete SVG document; `log_y`: a logarithmic
/// latency axis.
pub fn svg(title: &str, runs: &[&Report], log_y: bool) -> String {
    let points = || {
        runs.iter()
            .filter_map(|run| run.latency_us.as_ref())
            .flat_map(|latency| latency.curve.iter().map(|&(_, us)| us as f64 / 1000.0))
    };
    let max_ms = points().fold(0.0, f64::max);
    let min_ms = points().fold(f64::INFINITY, f64::min);
    // Headroom above the highest point for the legend, so no curve runs under it.
    let reach = ((PLOT_HEIGHT - legend_height(runs.len())) / PLOT_HEIGHT).max(0.5);
    let axis = if log_y {
        LatencyAxis::log(min_ms, max_ms, reach)
    } else {
        LatencyAxis::linear(max_ms / reach)
    };
    let (plot_left, plot_right) = (LEFT, WIDTH - RIGHT);
    let (plot_top, plot_bottom) = (TOP, HEIGHT - BOTTOM);
    // `write!` to a String cannot fail.
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="28" text-anchor="middle" font-size="16">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    // Grid and tick labels.
    for (value, label) in axis.ticks() {
        let at = y(value, &axis);
        let _ = writeln!(
            out,
            r##"<line x1="{plot_left}" y1="{at:.1}" x2="{plot_right}" y2="{at:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{label}</text>"##,
            plot_left - 6.0,
            at + 4.0
        );
    }
    for (percentile, label) in PERCENTILE_TICKS {
        let at = x(percentile);
        let _ = writeln!(
            out,
            r##"<line x1="{at:.1}" y1="{plot_top}" x2="{at:.1}" y2="{plot_bottom}" stroke="#ddd"/><text x="{at:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            plot_bottom + 18.0
        );
    }
    let _ = writeln!(
        out,
        r#"<rect x="{plot_left}" y="{plot_top}" width="{}" height="{}" fill="none" stroke="black"/>"#,
        plot_right - plot_left,
        plot_bottom - plot_top
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">percentile (%)</text>"#,
        (plot_left + plot_right) / 2.0,
        HEIGHT - 16.0
    );
    let _ = writeln!(
        out,
        r#"<text transform="translate(22 {}) rotate(-90)" text-anchor="middle">latency (ms)</text>"#,
        (plot_top + plot_bottom) / 2.0
    );
    // Curves, then the legend over them.
    for (index, run) in runs.iter().enumerate() {
        let Some(latency) = &run.latency_us else {
            continue;
        };
        let points: Vec<String> = latency
            .curve
            .iter()
            .map(|&(p, us)| format!("{:.1},{:.1}", x(p), y(us as f64 / 1000.0, &axis)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            COLOURS[index % COLOURS.len()],
            points.join(" ")
        );
    }
    legend(&mut out, runs);
    out.push_str("</svg>\n");
    out
}

/// Pixels between the legend's rows.
const ROW: f64 = 18.0;

/// The height from the plot's top to the legend box's bottom, with a margin under it.
fn legend_height(runs: usize) -> f64 {
    ROW * runs as f64 + 18.0
}

/// One line per run at the top left, over a pale box so curves under it stay readable:
/// the colour, the label, p50, p99 and the rate.
fn legend(out: &mut String, runs: &[&Report]) {
    // Sans-serif at 12 px averages under 7 px a character: the box is sized from that.
    const CHAR_WIDTH: f64 = 6.6;
    let entries: Vec<String> = runs
        .iter()
        .map(|run| {
            let figures = match &run.latency_us {
                Some(l) => format!(
                    "p50 {:.3} ms, p99 {:.3} ms, {:.0} {}/s",
                    l.p50 as f64 / 1000.0,
                    l.p99 as f64 / 1000.0,
                    run.throughput.per_sec,
                    run.throughput.unit
                ),
                None => "no latencies".to_owned(),
            };
            format!("{}: {figures}", run.label)
        })
        .collect();
    let longest = entries.iter().map(|e| e.chars().count()).max().unwrap_or(0);
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{:.0}" height="{}" fill="white" fill-opacity="0.85" stroke="#ccc"/>"##,
        LEFT + 6.0,
        TOP + 6.0,
        42.0 + longest as f64 * CHAR_WIDTH,
        legend_height(entries.len()) - 6.0
    );
    for (index, entry) in entries.iter().enumerate() {
        let row = TOP + ROW + ROW * index as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{}" y1="{row:.1}" x2="{}" y2="{row:.1}" stroke="{}" stroke-width="3"/><text x="{}" y="{:.1}">{}</text>"#,
            LEFT + 12.0,
            LEFT + 36.0,
            COLOURS[index % COLOURS.len()],
            LEFT + 42.0,
            row + 4.0,
            escape(entry)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::latency::Latencies;
    use super::super::report::{ReportArgs, Throughput};
    use super::*;

    fn run(label: &str, scale: u64) -> Report {
        let mut latencies = Latencies::new();
        (1..=10_000).for_each(|i| latencies.record_micros(i * scale));
        let args = ReportArgs {
            label: Some(label.to_owned()),
            ..ReportArgs::default()
        };
        Report::new(
            "sio-echo",
            "http://h/",
            &args,
            Throughput::new("acks", 10, 1.0),
        )
        .latencies(&latencies)
    }

    #[test]
    fn the_plot_is_well_formed_xml_with_a_curve_per_run() {
        let (a, b) = (run("duplex <ours>", 1), run("Node & co", 3));
        let svg = svg("sio-echo: \"latency\"", &[&a, &b], false);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("duplex &lt;ours&gt;: p50"), "{svg}");
        assert!(svg.contains("Node &amp; co"));
        assert!(svg.contains("&quot;latency&quot;"));
        // Every element opened is closed (none nests here but the root).
        let opened = svg.matches('<').count();
        let self_closed = svg.matches("/>").count();
        let closing = svg.matches("</").count();
        assert_eq!(opened - closing, self_closed + closing);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // 1 µs to 30 ms: log ticks from 0.001 ms, every curve point inside the plot.
        let log = super::svg("t", &[&a, &b], true);
        assert!(
            log.contains(">0.001</text>") && log.contains(">10</text>"),
            "{log}"
        );
        let inside = |v: f64, lo: f64, hi: f64| (lo - 0.05..=hi + 0.05).contains(&v);
        for points in log.split("points=\"").skip(1) {
            for point in points.split('"').next().unwrap_or("").split(' ') {
                let (px, py) = point.split_once(',').expect("x,y");
                let (px, py): (f64, f64) = (px.parse().unwrap(), py.parse().unwrap());
                assert!(inside(px, LEFT, WIDTH - RIGHT), "{point}");
                assert!(inside(py, TOP, HEIGHT - BOTTOM), "{point}");
            }
        }
    }

    #[test]
    fn results_are_read_whole_or_line_by_line() {
        let a = run("a", 1);
        let pretty = serde_json::to_string_pretty(&a).expect("json");
        assert_eq!(read_runs(&pretty).map(|r| r.len()), Ok(1));
        let lines = format!(
            "READY\nDONE\n{}\n{}\n",
            serde_json::to_string(&a).expect("json"),
            serde_json::to_string(&run("b", 2)).expect("json")
        );
        let runs = read_runs(&lines).expect("two runs");
        assert_eq!(runs[1].label, "b");
        assert!(read_runs("READY\n").is_err());
        assert!(read_runs("{\"x\": 1}").is_err());
        assert_eq!(title(&[&a, &a]), "sio-echo: latency by percentile");
    }
}
