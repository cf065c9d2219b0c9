//! The delay before each reconnection attempt, as socket.io-client computes it.

use std::time::Duration;

/// Exponential backoff with jitter: attempt `n` (from 0) waits `min × 2ⁿ`, moved up or down
/// by up to `jitter` of itself, and never more than `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first delay (socket.io-client's `reconnectionDelay`, default 1 s).
    pub min: Duration,
    /// The longest delay (`reconnectionDelayMax`, default 5 s).
    pub max: Duration,
    /// How far a delay may be moved, as a fraction of itself, 0 to 1
    /// (`randomizationFactor`, default 0.5).
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min: Duration::from_secs(1),
            max: Duration::from_secs(5),
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (0 for the first), given `random` in `[0, 1)`:
    /// its value sizes the deviation and its first decimal's parity picks the direction,
    /// as socket.io-client's backoff does with one `Math.random()`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let jitter = self.jitter.clamp(0.0, 1.0);
        let max = self.max.as_secs_f64();
        let base = self.min.as_secs_f64() * 2f64.powi(attempt.min(2000) as i32);
        if !base.is_finite() {
            // 2^attempt overflowed: any deviation of at most the whole delay stays above the cap.
            return self.max;
        }
        let deviation = random * jitter * base;
        let moved = if (random * 10.0).floor() as u64 % 2 == 0 {
            base - deviation
        } else {
            base + deviation
        };
        Duration::from_secs_f64(moved.clamp(0.0, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn without_jitter_the_delay_doubles_up_to_the_cap() {
        let backoff = Backoff {
            jitter: 0.0,
            ..Backoff::default()
        };
        let delays: Vec<u128> = (0..6).map(|n| ms(backoff.delay(n, 0.7))).collect();
        assert_eq!(delays, [1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(ms(backoff.delay(u32::MAX, 0.3)), 5000);
    }

    #[test]
    fn the_random_value_picks_direction_and_size() {
        let backoff = Backoff::default();
        // 0.2: even first decimal, down by 0.2 × 0.5 × 1000.
        assert_eq!(ms(backoff.delay(0, 0.2)), 900);
        // 0.3: odd, up by 150.
        assert_eq!(ms(backoff.delay(0, 0.3)), 1150);
        // Above the cap the deviation still applies before capping.
        assert_eq!(ms(backoff.delay(3, 0.2)), 5000);
        // A full jitter may bring a capped delay down, as in socket.io-client: 8 s × 0.1.
        let full = Backoff {
            jitter: 1.0,
            ..backoff
        };
        assert_eq!(ms(full.delay(3, 0.9 - 1e-9)), 800);
    }

    #[test]
    fn every_delay_stays_within_bounds() {
        let backoff = Backoff::default();
        for attempt in 0..40 {
            for step in 0..100 {
                let delay = backoff.delay(attempt, f64::from(step) / 100.0);
                assert!(delay <= backoff.max, "{attempt} {step}: {delay:?}");
            }
        }
        assert_eq!(backoff.delay(0, f64::NAN), Duration::from_secs(1));
    }
}
