//! The scales of the latency plot: where a percentile and a latency fall, as a fraction
//! of the axis (0 at the origin, 1 at the far end), and which ticks to label.

/// Decades of percentiles drawn: 0 → 90 → 99 → 99.9 → 99.99.
const DECADES: f64 = 4.0;

/// The labelled percentiles.
pub const PERCENTILE_TICKS: [(f64, &str); 6] = [
    (0.0, "0"),
    (50.0, "50"),
    (90.0, "90"),
    (99.0, "99"),
    (99.9, "99.9"),
    (99.99, "99.99"),
];

/// Where `percentile` falls: `log10(100 / (100 − p))` over 4 decades, so each added nine
/// takes the same width (99.99 and above at the end).
pub fn percentile_fraction(percentile: f64) -> f64 {
    (100.0 / (100.0 - percentile.clamp(0.0, 99.99))).log10() / DECADES
}

/// The latency axis, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LatencyAxis {
    /// From 0 to `top`, a tick every `step` (1, 2 or 5 × 10^k).
    Linear {
        /// Between ticks.
        step: f64,
        /// The axis' end, a multiple of `step`.
        top: f64,
    },
    /// From `10^low` to `10^high`, a tick at every 1, 2 and 5 × 10^k.
    Log {
        /// The decade at the origin.
        low: i32,
        /// The decade at the end.
        high: i32,
    },
}

impl LatencyAxis {
    /// A linear axis reaching past `max` with at most 8 round ticks.
    pub fn linear(max: f64) -> LatencyAxis {
        if max <= 0.0 || !max.is_finite() {
            return LatencyAxis::Linear {
                step: 0.2,
                top: 1.0,
            };
        }
        let mut step = 10f64.powf((max / 8.0).log10().floor());
        for factor in [1.0, 2.0, 5.0, 10.0] {
            if max / (step * factor) <= 8.0 {
                step *= factor;
                break;
            }
        }
        let top = (max / step).ceil().max(1.0) * step;
        LatencyAxis::Linear { step, top }
    }

    /// A logarithmic axis over whole decades from below `min` (> 0: latencies are at
    /// least 1 µs) to where `max` falls at most at `reach` (0..=1) of its length.
    pub fn log(min: f64, max: f64, reach: f64) -> LatencyAxis {
        let min = if min > 0.0 && min.is_finite() {
            min
        } else {
            0.001
        };
        let max = if max > min && max.is_finite() {
            max
        } else {
            min
        };
        let low = min.log10().floor() as i32;
        let mut high = (max.log10().ceil() as i32).max(low + 1);
        // Each added decade lowers max's place; 0 < reach keeps this finite.
        while (max.log10() - f64::from(low)) / f64::from(high - low) > reach.max(0.1) {
            high += 1;
        }
        LatencyAxis::Log { low, high }
    }

    /// Where `ms` falls; outside 0..=1 when off the axis.
    pub fn fraction(&self, ms: f64) -> f64 {
        match *self {
            LatencyAxis::Linear { top, .. } => ms / top,
            LatencyAxis::Log { low, high } => {
                (ms.max(1e-9).log10() - f64::from(low)) / f64::from(high - low)
            }
        }
    }

    /// The labelled values and their labels.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        match *self {
            LatencyAxis::Linear { step, top } => {
                let decimals = (-step.log10().floor()).max(0.0) as usize;
                let count = (top / step).round() as u32;
                (0..=count)
                    .map(|i| {
                        let value = f64::from(i) * step;
                        (value, format!("{value:.decimals$}"))
                    })
                    .collect()
            }
            LatencyAxis::Log { low, high } => {
                let mut ticks = Vec::new();
                for decade in low..=high {
                    for mantissa in [1.0, 2.0, 5.0] {
                        if decade == high && mantissa > 1.0 {
                            break;
                        }
                        let value = mantissa * 10f64.powi(decade);
                        let decimals = (-decade).max(0) as usize;
                        ticks.push((value, format!("{value:.decimals$}")));
                    }
                }
                ticks
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_spaced_by_their_nines() {
        let decade = percentile_fraction(90.0);
        assert!((decade - 0.25).abs() < 1e-9);
        assert!((percentile_fraction(99.0) - 2.0 * decade).abs() < 1e-9);
        assert!((percentile_fraction(99.99) - 1.0).abs() < 1e-9);
        assert_eq!(percentile_fraction(0.0), 0.0);
        assert_eq!(percentile_fraction(100.0), percentile_fraction(99.99));
    }

    #[test]
    fn linear_ticks_are_round_and_cover_the_maximum() {
        let linear = |max| match LatencyAxis::linear(max) {
            LatencyAxis::Linear { step, top } => (step, top),
            log => panic!("{log:?}"),
        };
        assert_eq!(linear(7.3), (1.0, 8.0));
        assert_eq!(linear(0.42), (0.1, 0.5));
        assert_eq!(linear(130.0), (20.0, 140.0));
        assert_eq!(linear(0.0), (0.2, 1.0));
        for max in [0.003, 0.9, 1.0, 17.0, 999.0, 12_345.0] {
            let (step, top) = linear(max);
            assert!(
                top >= max && top / step <= 8.0 + 1e-9,
                "{max}: {step} {top}"
            );
        }
        let ticks = LatencyAxis::linear(0.42).ticks();
        let labels: Vec<&str> = ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"]);
    }

    #[test]
    fn log_axes_span_whole_decades() {
        let axis = LatencyAxis::log(0.25, 80.0, 1.0);
        assert_eq!(axis, LatencyAxis::Log { low: -1, high: 2 });
        assert_eq!(axis.fraction(0.1), 0.0);
        assert!((axis.fraction(1.0) - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(axis.fraction(100.0), 1.0);
        let ticks = axis.ticks();
        let labels: Vec<&str> = ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(
            labels,
            ["0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50", "100"]
        );
        assert_eq!(
            LatencyAxis::log(5.0, 5.0, 1.0),
            LatencyAxis::Log { low: 0, high: 1 }
        );
        assert_eq!(
            LatencyAxis::log(0.0, 0.0, 1.0),
            LatencyAxis::Log { low: -3, high: -2 }
        );
        // 80 ms at 0.8 of -1..2 is too high for a reach of 0.75: one more decade.
        assert_eq!(
            LatencyAxis::log(0.25, 80.0, 0.75),
            LatencyAxis::Log { low: -1, high: 3 }
        );
    }
}
