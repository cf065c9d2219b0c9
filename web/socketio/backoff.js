/**
 * Reconnection delays: exponential backoff with jitter, as socket.io-client's options describe
 * them (`reconnectionDelay`, `reconnectionDelayMax`, `randomizationFactor`).
 *
 * Why jitter: after a server restart every client would otherwise retry at the same instants
 * and hit the new process in synchronized waves.
 */
export class Backoff {
  /**
   * @param {{min?: number, max?: number, jitter?: number, factor?: number}} [opts]
   *   `min` first delay (ms), `max` cap (ms), `jitter` in [0, 1], `factor` growth per attempt.
   */
  constructor({ min = 1000, max = 5000, jitter = 0.5, factor = 2 } = {}) {
    this.min = min;
    this.max = max;
    this.jitter = Math.min(Math.max(jitter, 0), 1);
    this.factor = factor;
    /** Attempts made since the last `reset`. */
    this.attempts = 0;
  }

  /**
   * The delay before the next attempt (and counts the attempt): `min * factor^attempts`,
   * moved up or down by at most `jitter` of itself, never above `max`. The growth is capped
   * before the jitter so that many attempts cannot overflow to `Infinity - Infinity`.
   * @returns {number} milliseconds
   */
  duration() {
    const base = Math.min(this.min * Math.pow(this.factor, this.attempts++), this.max);
    const spread = base * this.jitter * (2 * Math.random() - 1);
    return Math.max(0, Math.min(base + spread, this.max));
  }

  /** Starts the sequence again (after a successful connection). */
  reset() {
    this.attempts = 0;
  }
}
