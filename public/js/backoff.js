/**
 * Delays between reconnect attempts: exponential growth with jitter.
 *
 * Each delay is drawn between half and all of `baseMs * factor^attempt` (capped at `maxMs`),
 * so a crowd of tabs that lost the same server spreads out instead of returning in one
 * burst, while no single tab ever waits less than half the nominal delay.
 */
export class Backoff {
  /**
   * @param {object} [options]
   * @param {number} [options.baseMs=500] first nominal delay; short, because most drops
   *   (a server restart, a flaky Wi-Fi hop) heal within a second or two
   * @param {number} [options.maxMs=10000] longest nominal delay; 10 s keeps a tab that waited
   *   out a long outage no more than ten seconds behind
   * @param {number} [options.factor=2] growth per failed attempt
   * @param {() => number} [options.random=Math.random] source of jitter in [0, 1)
   */
  constructor({ baseMs = 500, maxMs = 10000, factor = 2, random = Math.random } = {}) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.random = random;
    this.attempt = 0;
  }

  /** Returns the delay in milliseconds before the next attempt and counts the attempt. */
  next() {
    // Stop growing the exponent once the cap is reached, so it never overflows to Infinity.
    const nominal = Math.min(this.maxMs, this.baseMs * this.factor ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(nominal / 2 + this.random() * (nominal / 2));
  }

  /** Starts again from the first delay (after a connection proved stable). */
  reset() {
    this.attempt = 0;
  }
}
