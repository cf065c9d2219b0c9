//! What every load generator reports, the same way: a summary table, the same figures as
//! JSON (`--json FILE|-`), and an SVG latency percentile curve (`--plot FILE`).

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::latency::{Latencies, LatencySummary};

/// The reporting options every load generator takes.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ReportArgs {
    /// Write the figures as JSON to FILE; `-` (or no value) prints them as the last stdout
    /// line, the summary table then going to stderr.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<PathBuf>,
    /// Write an SVG plot of the latency percentiles to FILE.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Show a progress bar on stderr even when it is not a terminal (it is shown on a
    /// terminal anyway).
    #[arg(long)]
    pub progress: bool,
    /// The run's name in the JSON and plot legends (default: the URL).
    #[arg(long)]
    pub label: Option<String>,
}

/// Operations completed over a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// What was counted: `messages`, `acks`, `deliveries`, `connections`.
    pub unit: String,
    /// How many.
    pub count: u64,
    /// Over how long.
    pub seconds: f64,
    /// `count / seconds`.
    pub per_sec: f64,
}

impl Throughput {
    /// `count` `unit` in `seconds`.
    pub fn new(unit: &str, count: u64, seconds: f64) -> Throughput {
        let per_sec = if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        };
        Throughput {
            unit: unit.to_owned(),
            count,
            seconds,
            per_sec,
        }
    }
}

/// CPU time this process used, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuTime {
    /// In user mode.
    pub user: f64,
    /// In the kernel on its behalf.
    pub system: f64,
}

impl CpuTime {
    /// This process's CPU time so far (all threads), from `/proc/self/stat` (Linux; the
    /// figure `getrusage` gives, without the `unsafe` a libc call needs); `None` elsewhere.
    pub fn now() -> Option<CpuTime> {
        parse_proc_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
    }

    /// The time used since `start` (a [`CpuTime::now`] taken then), if both are known.
    pub fn used_since(start: Option<CpuTime>) -> Option<CpuTime> {
        start
            .zip(CpuTime::now())
            .map(|(start, end)| end.since(start))
    }

    /// The time used since `earlier`.
    fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: (self.user - earlier.user).max(0.0),
            system: (self.system - earlier.system).max(0.0),
        }
    }
}

/// `utime` and `stime` of a `/proc/PID/stat` line (fields 14 and 15, after the
/// parenthesised command name, which may hold spaces), in seconds.
fn parse_proc_stat(stat: &str) -> Option<CpuTime> {
    // proc(5): the times are in clock ticks, sysconf(_SC_CLK_TCK), which is 100 (USER_HZ)
    // in Linux's user ABI.
    const TICKS_PER_SECOND: f64 = 100.0;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(CpuTime {
        user: user as f64 / TICKS_PER_SECOND,
        system: system as f64 / TICKS_PER_SECOND,
    })
}

/// One run's figures: what the table shows and the JSON holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The load generator's own figures (those the benches/ scripts have always read),
    /// flattened into the JSON object.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The command: `ws-echo`, `sio-fanout`, ...
    pub scenario: String,
    /// The run's name (`--label`, or the URL).
    pub label: String,
    /// The measured rate.
    pub throughput: Throughput,
    /// Latency percentiles, µs; `None` when nothing was timed.
    pub latency_us: Option<LatencySummary>,
    /// Failed operations or clients.
    pub errors: u64,
    /// The load generator's own CPU time over the run (`None` where unknown).
    pub cpu_seconds: Option<CpuTime>,
}

impl Report {
    /// A report of `scenario` against `url` with no figures of its own yet.
    pub fn new(scenario: &str, url: &str, args: &ReportArgs, throughput: Throughput) -> Report {
        let mut fields = serde_json::Map::new();
        fields.insert("url".to_owned(), url.into());
        Report {
            fields,
            scenario: scenario.to_owned(),
            label: args.label.clone().unwrap_or_else(|| url.to_owned()),
            throughput,
            latency_us: None,
            errors: 0,
            cpu_seconds: None,
        }
    }

    /// Adds one of the scenario's own figures.
    pub fn field(mut self, name: &str, value: impl Into<serde_json::Value>) -> Report {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    /// Sets the latencies.
    pub fn latencies(mut self, latencies: &Latencies) -> Report {
        self.latency_us = latencies.summary();
        self
    }

    /// Sets the error count.
    pub fn errors(mut self, errors: u64) -> Report {
        self.errors = errors;
        self
    }

    /// Sets the CPU time used over the run (see [`CpuTime::used_since`]).
    pub fn cpu(mut self, used: Option<CpuTime>) -> Report {
        self.cpu_seconds = used;
        self
    }

    /// The summary table, one line per figure.
    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String)> = Vec::new();
        let t = &self.throughput;
        rows.push((
            "throughput".into(),
            format!(
                "{:.0} {}/s ({} in {:.2} s)",
                t.per_sec, t.unit, t.count, t.seconds
            ),
        ));
        match &self.latency_us {
            Some(l) => {
                let ms = |us: u64| format!("{:.3}", us as f64 / 1000.0);
                rows.push((
                    "latency ms".into(),
                    format!(
                        "{:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                        "min", "p50", "p90", "p99", "p99.9", "max"
                    ),
                ));
                rows.push((
                    String::new(),
                    format!(
                        "{:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  ({} samples, mean {})",
                        ms(l.min),
                        ms(l.p50),
                        ms(l.p90),
                        ms(l.p99),
                        ms(l.p999),
                        ms(l.max),
                        l.count,
                        ms(l.mean)
                    ),
                ));
            }
            None => rows.push(("latency ms".into(), "none timed".into())),
        }
        rows.push(("errors".into(), self.errors.to_string()));
        if let Some(cpu) = self.cpu_seconds {
            let share = if t.seconds > 0.0 {
                format!(
                    ", {:.0} % of one core",
                    100.0 * (cpu.user + cpu.system) / t.seconds
                )
            } else {
                String::new()
            };
            rows.push((
                "client CPU".into(),
                format!("user {:.2} s, system {:.2} s{share}", cpu.user, cpu.system),
            ));
        }
        for (name, value) in &self.fields {
            let value = match value {
                serde_json::Value::String(text) => text.clone(),
                // Rates and times to the millisecond or the unit; the JSON keeps them whole.
                serde_json::Value::Number(n) if n.is_f64() => {
                    format!("{:.3}", n.as_f64().unwrap_or_default())
                }
                other => other.to_string(),
            };
            rows.push((name.clone(), value));
        }
        let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        let mut table = format!("{} — {}\n", self.scenario, self.label);
        for (name, value) in rows {
            table.push_str(&format!("  {name:<width$}  {value}\n"));
        }
        table
    }

    /// Prints the table and writes the JSON and the plot as `args` asks.
    pub fn emit(&self, args: &ReportArgs) -> Result<(), Box<dyn std::error::Error>> {
        let json_to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
        if json_to_stdout {
            eprint!("{}", self.table());
        } else {
            print!("{}", self.table());
        }
        if let Some(path) = &args.json {
            if json_to_stdout {
                // One line, the last on stdout: what the benches/ scripts read.
                println!("{}", serde_json::to_string(self)?);
            } else {
                std::fs::write(path, serde_json::to_string_pretty(self)? + "\n")
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        std::io::stdout().flush()?;
        if let Some(path) = &args.plot {
            let runs = [self];
            let svg = super::plot::svg(&super::plot::title(&runs), &runs, false);
            std::fs::write(path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut latencies = Latencies::new();
        (1..=100).for_each(|ms| latencies.record_micros(ms * 1000));
        Report::new(
            "sio-echo",
            "http://h/",
            &ReportArgs::default(),
            Throughput::new("acks", 500, 2.0),
        )
        .field("clients", 4)
        .latencies(&latencies)
        .errors(1)
    }

    #[test]
    fn the_json_keeps_the_scripts_fields_at_the_top() {
        let json = serde_json::to_value(report()).expect("serializes");
        assert_eq!(json["url"], "http://h/");
        assert_eq!(json["clients"], 4);
        assert_eq!(json["scenario"], "sio-echo");
        assert_eq!(json["label"], "http://h/");
        assert_eq!(json["throughput"]["per_sec"], 250.0);
        let p99 = json["latency_us"]["p99"].as_u64().expect("p99");
        assert!((99_000..=99_099).contains(&p99), "{p99}");
        assert_eq!(json["errors"], 1);
        let back: Report = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, report());
    }

    #[test]
    fn the_table_names_every_figure() {
        let table = report().table();
        assert!(table.starts_with("sio-echo — http://h/\n"), "{table}");
        assert!(table.contains("250 acks/s (500 in 2.00 s)"), "{table}");
        assert!(table.contains("p99.9"), "{table}");
        assert!(table.contains("  clients     4\n"), "{table}");
        assert!(table.contains("errors      1"), "{table}");
    }

    #[test]
    fn cpu_time_comes_from_proc_stat() {
        let stat = "1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 4 0";
        let cpu = parse_proc_stat(stat).expect("parses");
        assert_eq!(
            cpu,
            CpuTime {
                user: 2.5,
                system: 0.75
            }
        );
        assert_eq!(parse_proc_stat("garbage"), None);
        if cfg!(target_os = "linux") {
            assert!(CpuTime::now().is_some());
        }
    }

    #[test]
    fn throughput_of_no_time_is_zero() {
        assert_eq!(Throughput::new("acks", 5, 0.0).per_sec, 0.0);
    }
}
