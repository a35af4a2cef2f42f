// Open-loop schedule math. The target rate is a list of stages, each moving linearly from one rate to
// another over its length (--rate is one flat stage). N(t), the calls due by t, is the integral of the rate;
// call k (0-based, over all threads) is due at the t where N(t) = k, so with a flat rate call k is due at
// start + k / rate. Thread j of T sends the calls k ≡ j (mod T), so the threads together keep one schedule
// without talking to each other. Shards (shard.ts) extend this over processes: shard I of N keeps the whole
// schedule and sends the calls k ≡ I (mod N), its thread j of T those with ⌊k/N⌋ ≡ j (mod T), so the union
// of every shard's threads is exactly one run's schedule, whatever each shard's thread count. Pure.

/** One stretch of the target rate: from `fromRps` to `toRps` (calls/s) over `durationMs`. */
export interface Stage {
  readonly durationMs: number;
  readonly fromRps: number;
  readonly toRps: number;
}

export interface Schedule {
  /** Calls per second, all threads together (a flat schedule; ignored when `plan` is given). */
  readonly rate: number;
  readonly threads: number;
  readonly thread: number;
  /** Time the schedule starts, in the caller's clock (ms). */
  readonly startMs: number;
  /** Staged rates (planOf); absent for one flat rate, which keeps the plain formulas. */
  readonly plan?: RatePlan;
  /** A sharded run: `rate` and `plan` are the whole run's, this process sends the calls k ≡ shard (mod shards). */
  readonly shards?: number;
  readonly shard?: number;
}

/** Stages with the calls due before each one starts, for finding a call's stage by binary search. */
export interface RatePlan {
  readonly stages: readonly Stage[];
  /** callsAt[i]: N at the start of stage i; callsAt[stages.length]: N at the end of the schedule. */
  readonly callsAt: readonly number[];
  readonly startsAt: readonly number[];
}

export function planOf(stages: readonly Stage[]): RatePlan {
  const callsAt = [0];
  const startsAt = [0];
  for (const s of stages) {
    callsAt.push((callsAt.at(-1) as number) + ((s.fromRps + s.toRps) / 2) * (s.durationMs / 1000));
    startsAt.push((startsAt.at(-1) as number) + s.durationMs);
  }
  return { stages, callsAt, startsAt };
}

/** The schedule's length (ms). */
export const lengthOf = (p: RatePlan): number => p.startsAt.at(-1) as number;

/** N(t): calls due by t ms after the start (a fraction: the integral of the rate). */
export function callsDueBy(p: RatePlan, tMs: number): number {
  if (tMs <= 0) return 0;
  if (tMs >= lengthOf(p)) return p.callsAt.at(-1) as number;
  const i = lastAtMost(p.startsAt, tMs);
  const s = p.stages[i] as Stage;
  const tau = (tMs - (p.startsAt[i] as number)) / 1000;
  const slope = (s.toRps - s.fromRps) / (s.durationMs / 1000);
  return (p.callsAt[i] as number) + s.fromRps * tau + (slope * tau * tau) / 2;
}

/** When call k is due (ms after the start): N(t) = k solved in its stage; Infinity past the schedule's end. */
export function dueOffset(p: RatePlan, k: number): number {
  const total = p.callsAt.at(-1) as number;
  if (k >= total) return Number.POSITIVE_INFINITY;
  let i = lastAtMost(p.callsAt, k);
  // a stage with no calls (rate 0 throughout) shares its start count with the next: skip to the one that has k
  while ((p.callsAt[i + 1] as number) <= k) i++;
  const s = p.stages[i] as Stage;
  const r = k - (p.callsAt[i] as number);
  const a = s.fromRps;
  const slope = (s.toRps - a) / (s.durationMs / 1000);
  // flat: τ = r/a, written as the flat formula (k·1000/rate) so one flat stage gives exactly its due times
  if (slope === 0) return (p.startsAt[i] as number) + Math.min((r * 1000) / a, s.durationMs);
  // slope/2 τ² + a τ = r; this root form stays exact for a ramp from 0 (τ = √(2r/slope)) and has no cancellation
  const tau = r === 0 ? 0 : (2 * r) / (a + Math.sqrt(Math.max(0, a * a + 2 * slope * r)));
  return (p.startsAt[i] as number) + Math.min(tau * 1000, s.durationMs);
}

/** Index of the last entry ≤ x in an ascending list whose first entry is ≤ x. */
function lastAtMost(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((xs[mid] as number) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Due time (ms, caller's clock) of this thread's i-th call. */
export function dueAt(s: Schedule, i: number): number {
  const k = (i * s.threads + s.thread) * (s.shards ?? 1) + (s.shard ?? 0);
  if (s.plan) return s.startMs + dueOffset(s.plan, k);
  return s.startMs + (k * 1000) / s.rate;
}

/** How many of the `total` calls belong to this thread (total calls split k mod threads). */
export function callsOfThread(total: number, threads: number, thread: number): number {
  return Math.floor(total / threads) + (thread < total % threads ? 1 : 0);
}

/** How many of this thread's calls are due before endMs (exclusive): its share of a timed run. */
export function callsBefore(s: Schedule, endMs: number): number {
  // global calls due in [start, end) are the k < N(end); the epsilon absorbs float noise in end - start
  // (2000.0000000002 ms)
  const due = s.plan ? callsDueBy(s.plan, endMs - s.startMs) : ((endMs - s.startMs) * s.rate) / 1000;
  const k = Math.max(0, Math.ceil(due - 1e-6));
  const mine = callsOfThread(k, s.shards ?? 1, s.shard ?? 0);
  return callsOfThread(mine, s.threads, s.thread);
}

/** The schedule's mean target rate (calls/s) between two offsets from its start (ms). */
export function meanRate(p: RatePlan, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  return ((callsDueBy(p, toMs) - callsDueBy(p, fromMs)) * 1000) / (toMs - fromMs);
}
