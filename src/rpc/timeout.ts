// grpc-timeout header: at most 8 digits and a unit (H, M, S, m, u, n).
const units: ReadonlyArray<[string, number]> = [
  ["m", 1],
  ["S", 1_000],
  ["M", 60_000],
  ["H", 3_600_000],
];

export function encodeGrpcTimeout(ms: number): string {
  const value = Math.max(0, ms);
  for (const [unit, scale] of units) {
    const amount = Math.ceil(value / scale);
    if (amount < 100_000_000) return `${amount}${unit}`;
  }
  return "99999999H";
}

const msPerUnit: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

export function parseGrpcTimeout(header: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(header);
  if (!match) return undefined;
  return Number(match[1]) * (msPerUnit[match[2] as string] as number);
}

/** setTimeout's range: a longer delay overflows and fires at once (Node and Bun alike). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The timer that ends a call at its deadline. A deadline beyond the timer's range (about 24.8 days;
 * grpc-timeout allows 99999999H) arms none, as grpc-go treats a timeout past its maximum as none:
 * the call keeps its deadline value for the checks that read it, and simply never expires by timer.
 */
export function deadlineTimer(ms: number, expire: () => void): ReturnType<typeof setTimeout> | undefined {
  return ms > MAX_TIMER_MS ? undefined : setTimeout(expire, ms);
}
