//! Latency recording for the load generators: an HDR histogram in microseconds (0.1 %
//! relative error, fixed memory whatever the number of samples, mergeable across tasks),
//! summarised as the percentiles the report prints, stores as JSON and plots.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Longest latency told apart from longer ones: a sample above it counts as this.
const HIGHEST_MICROS: u64 = 3_600_000_000;

/// Significant decimal digits kept per sample.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Percentiles on the plotted curve: `100 · (1 − 10^−x)` for x from 0 to 4 in steps of
/// [`CURVE_STEP`] (0 %, 90 %, 99 %, 99.9 %, 99.99 % evenly spaced, as tails are read), plus
/// the ones the report names.
const CURVE_STEP: f64 = 0.05;

/// Latencies of one run (or one task's share of it), in microseconds.
#[derive(Clone, Debug)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new()
    }
}

impl Latencies {
    /// An empty record.
    pub fn new() -> Latencies {
        // The bounds are constants the crate accepts (1 ≤ low, high ≥ 2·low, digits ≤ 5).
        let histogram = Histogram::new_with_bounds(1, HIGHEST_MICROS, SIGNIFICANT_DIGITS)
            .unwrap_or_else(|_| unreachable!("constant histogram bounds are valid"));
        Latencies(histogram)
    }

    /// Records one sample.
    pub fn record(&mut self, latency: Duration) {
        self.record_micros(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records one sample given in microseconds (0 counts as 1: below the resolution).
    pub fn record_micros(&mut self, micros: u64) {
        self.0.saturating_record(micros.clamp(1, HIGHEST_MICROS));
    }

    /// Adds another task's samples.
    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides, so the addition cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The latency at `percentile` (0..=100), µs; 0 with no samples.
    pub fn at(&self, percentile: f64) -> u64 {
        if self.0.is_empty() {
            return 0;
        }
        // 99.9 / 100 · 1000 comes out a hair above 999 in binary floating point, which the
        // histogram would round up to the 1000th sample; a nudge far below one sample's
        // share (for up to 10^9 samples) keeps exact ranks exact.
        let quantile = (percentile / 100.0 - 1e-12).clamp(0.0, 1.0);
        self.0.value_at_quantile(quantile)
    }

    /// The figures of the report; `None` with no samples.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        Some(LatencySummary {
            count: self.count(),
            min: self.0.min(),
            mean: self.0.mean().round() as u64,
            p50: self.at(50.0),
            p90: self.at(90.0),
            p99: self.at(99.0),
            p999: self.at(99.9),
            max: self.0.max(),
            curve: curve_percentiles()
                .into_iter()
                .map(|p| (p, self.at(p)))
                .collect(),
        })
    }
}

/// Latencies recorded by many tasks at a modest rate (connections opened, say) behind one
/// lock; a busy load keeps one [`Latencies`] per task and merges them at the end instead.
#[derive(Clone, Debug, Default)]
pub struct SharedLatencies(Arc<Mutex<Latencies>>);

impl SharedLatencies {
    /// Records one sample.
    pub fn record(&self, latency: Duration) {
        self.lock().record(latency);
    }

    /// The samples so far.
    pub fn snapshot(&self) -> Latencies {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Latencies> {
        // A task that panicked holding the lock left whole samples: keep them.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The percentiles of the plotted curve, ascending.
pub fn curve_percentiles() -> Vec<f64> {
    let steps = (4.0 / CURVE_STEP).round() as u32;
    let mut percentiles: Vec<f64> = (0..=steps)
        .map(|i| round4(100.0 * (1.0 - 10f64.powf(-f64::from(i) * CURVE_STEP))))
        .chain([50.0, 75.0])
        .collect();
    percentiles.sort_by(f64::total_cmp);
    percentiles.dedup();
    percentiles
}

/// Rounds to 4 decimals, so the percentiles read as people write them (99.9, not 99.90000001).
fn round4(value: f64) -> f64 {
    (value * 1e4).round() / 1e4
}

/// A run's latencies as reported: microseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Samples.
    pub count: u64,
    /// Fastest.
    pub min: u64,
    /// Arithmetic mean.
    pub mean: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
    /// `[percentile, µs]` pairs from 0 to 99.99, what `--plot` draws.
    pub curve: Vec<(f64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The naive percentile, `thousandths` of a percent: sort, take the first sample at
    /// or above that share of the samples (integer arithmetic, so exactly).
    fn oracle(samples: &[u64], thousandths: u64) -> u64 {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = (thousandths * sorted.len() as u64).div_ceil(100_000) as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    proptest! {
        #[test]
        fn percentiles_match_sorting_within_the_resolution(
            samples in proptest::collection::vec(1u64..50_000_000, 1..400),
            thousandths in 0u64..=100_000,
        ) {
            let mut latencies = Latencies::new();
            for &sample in &samples {
                latencies.record_micros(sample);
            }
            let percentile = thousandths as f64 / 1000.0;
            let (got, want) = (latencies.at(percentile), oracle(&samples, thousandths));
            // Same bucket: within 0.1 % (3 significant digits), never below the sample.
            prop_assert!(got >= want, "{got} < {want}");
            prop_assert!(got - want <= want / 1000 + 1, "{got} vs {want}");
        }

        #[test]
        fn merging_is_recording_everything_in_one(
            a in proptest::collection::vec(1u64..1_000_000, 0..100),
            b in proptest::collection::vec(1u64..1_000_000, 0..100),
        ) {
            let record = |samples: &[u64]| {
                let mut latencies = Latencies::new();
                samples.iter().for_each(|&s| latencies.record_micros(s));
                latencies
            };
            let mut merged = record(&a);
            merged.merge(&record(&b));
            let all = record(&[a, b].concat());
            prop_assert_eq!(merged.summary(), all.summary());
        }
    }

    #[test]
    fn the_summary_names_the_usual_percentiles() {
        let mut latencies = Latencies::new();
        for micros in 1..=1000 {
            latencies.record(Duration::from_micros(micros));
        }
        let summary = latencies.summary().expect("samples");
        assert_eq!(
            (summary.count, summary.min, summary.p50, summary.p90),
            (1000, 1, 500, 900)
        );
        assert_eq!((summary.p99, summary.p999, summary.max), (990, 999, 1000));
        assert_eq!(summary.mean, 501);
        let first = summary.curve.first().copied();
        let last = summary.curve.last().copied();
        assert_eq!(first, Some((0.0, 1)));
        assert_eq!(last, Some((99.99, 1000)));
        assert!(
            summary
                .curve
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
        );
        assert_eq!(Latencies::new().summary(), None);
    }

    #[test]
    fn shared_latencies_collect_every_task() {
        let shared = SharedLatencies::default();
        let clones: Vec<_> = (0..4).map(|_| shared.clone()).collect();
        for (i, clone) in clones.iter().enumerate() {
            clone.record(Duration::from_micros(10 * (i as u64 + 1)));
        }
        let all = shared.snapshot();
        assert_eq!((all.count(), all.at(0.0), all.at(100.0)), (4, 10, 40));
    }

    #[test]
    fn out_of_range_samples_are_clamped_not_lost() {
        let mut latencies = Latencies::new();
        latencies.record(Duration::ZERO);
        latencies.record(Duration::from_secs(100_000));
        assert_eq!(latencies.count(), 2);
        assert_eq!(latencies.at(0.0), 1);
        assert!(latencies.at(100.0) >= HIGHEST_MICROS);
    }

    #[test]
    fn the_curve_spans_zero_to_four_nines() {
        let percentiles = curve_percentiles();
        for p in [0.0, 50.0, 90.0, 99.0, 99.9, 99.99] {
            assert!(percentiles.contains(&p), "{p} in {percentiles:?}");
        }
        assert_eq!(percentiles.last(), Some(&99.99));
    }
}
