// Wall-clock time in Unix nanoseconds with the resolution of the monotonic clock. Date.now() alone has
// millisecond resolution, too coarse for a loopback round trip. Apart from src/clock.ts (the server's Long
// form) so that `call echo` stamps its requests without loading the `long` package (docs/performance.md,
// "Start-up").

// The Unix time (ns) at which performance.now() reads 0. One origin for both forms, so a client and a server
// in one process stamp consistent times.
export const ORIGIN_UNIX_NANOS = BigInt(Date.now()) * 1_000_000n - BigInt(Math.round(performance.now() * 1e6));

/** Nanoseconds since the origin; exact in a double for 104 days of uptime (2^53 ns). */
export function elapsedNanos(): number {
  return Math.floor(performance.now() * 1e6);
}

export function unixNanos(): bigint {
  return ORIGIN_UNIX_NANOS + BigInt(elapsedNanos());
}
