// gRPC's connection backoff (grpc/doc/connection-backoff.md): after a failed attempt wait `base`, then each
// wait 1.6 times the last, capped at `max`, each jittered by ±20% so many clients that lost the same server
// do not all knock at the same instant. A connection that came up resets it.

export interface BackoffSettings {
  /** The first wait after a failed attempt (gRPC's INITIAL_BACKOFF). */
  readonly minMs: number;
  /** No wait is longer (MAX_BACKOFF), jitter aside. */
  readonly maxMs: number;
  readonly multiplier?: number;
  readonly jitter?: number;
}

const MULTIPLIER = 1.6;
const JITTER = 0.2;

export class Backoff {
  private current: number;

  constructor(
    private readonly s: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {
    this.current = s.minMs;
  }

  /** How long to wait before the next attempt; each call grows the next. */
  next(): number {
    const base = this.current;
    this.current = Math.min(base * (this.s.multiplier ?? MULTIPLIER), this.s.maxMs);
    const jitter = this.s.jitter ?? JITTER;
    return Math.max(0, base + (this.random() * 2 - 1) * jitter * base);
  }

  reset(): void {
    this.current = this.s.minMs;
  }
}
