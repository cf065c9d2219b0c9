//! The progress bar of a running load generator: one line on stderr, redrawn a few times a
//! second, shown when stderr is a terminal or with `--progress`. Written here rather than
//! taken from a crate: one line of `\r`-redrawn text is all it needs.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the line is redrawn.
const REDRAW: Duration = Duration::from_millis(250);
/// Cells of the bar.
const BAR_WIDTH: usize = 30;

/// When a phase is over: after a time, or after a count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// Seconds of load.
    Seconds(f64),
    /// Operations (connections opened, say).
    Count(u64),
}

/// A progress line being drawn; [`finish`](Progress::finish) (or dropping it) clears it.
pub struct Progress {
    drawer: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `what` towards `goal`, `done` counting the `unit`s done so far, if
    /// `forced` or stderr is a terminal.
    pub fn start(
        forced: bool,
        what: &str,
        goal: Goal,
        done: Arc<AtomicU64>,
        unit: &'static str,
    ) -> Progress {
        if !forced && !std::io::stderr().is_terminal() {
            return Progress { drawer: None };
        }
        let what = what.to_owned();
        let drawer = tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(REDRAW);
            loop {
                tick.tick().await;
                let line = render(
                    &what,
                    goal,
                    started.elapsed(),
                    done.load(Ordering::Relaxed),
                    unit,
                );
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r{line}\x1b[K");
                let _ = stderr.flush();
            }
        });
        Progress {
            drawer: Some(drawer),
        }
    }

    /// Stops drawing and clears the line.
    pub fn finish(mut self) {
        self.clear();
    }

    fn clear(&mut self) {
        if let Some(drawer) = self.drawer.take() {
            drawer.abort();
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[K");
            let _ = stderr.flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The line: `what [=====>    ] 42% 2.1/5.0 s  12345 acks  5880/s`.
fn render(what: &str, goal: Goal, elapsed: Duration, done: u64, unit: &str) -> String {
    let seconds = elapsed.as_secs_f64();
    let (fraction, position) = match goal {
        Goal::Seconds(total) => (
            if total > 0.0 { seconds / total } else { 1.0 },
            format!("{seconds:.1}/{total:.1} s"),
        ),
        Goal::Count(total) => (
            if total > 0 {
                done as f64 / total as f64
            } else {
                1.0
            },
            format!("{done}/{total}, {seconds:.1} s"),
        ),
    };
    let fraction = fraction.clamp(0.0, 1.0);
    let filled = (fraction * BAR_WIDTH as f64).round() as usize;
    let bar: String = (0..BAR_WIDTH)
        .map(|cell| match cell.cmp(&filled) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal => '>',
            std::cmp::Ordering::Greater => ' ',
        })
        .collect();
    let rate = if seconds > 0.0 {
        done as f64 / seconds
    } else {
        0.0
    };
    format!(
        "{what} [{bar}] {:>3.0}% {position}  {done} {unit}  {rate:.0}/s",
        fraction * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_share_done_and_the_rate() {
        let line = render(
            "sio-echo",
            Goal::Seconds(4.0),
            Duration::from_secs(1),
            500,
            "acks",
        );
        assert_eq!(
            line,
            format!(
                "sio-echo [{}>{}]  25% 1.0/4.0 s  500 acks  500/s",
                "=".repeat(8),
                " ".repeat(21)
            )
        );
        let line = render(
            "sio-idle",
            Goal::Count(10),
            Duration::from_secs(2),
            10,
            "sockets",
        );
        assert!(
            line.contains(&format!("[{}] 100% 10/10, 2.0 s", "=".repeat(30))),
            "{line}"
        );
        let line = render("x", Goal::Count(0), Duration::ZERO, 0, "u");
        assert!(line.contains("100%") && line.ends_with(" 0/s"), "{line}");
    }
}
