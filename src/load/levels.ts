// The closed loop's concurrency schedule (--concurrency-stages, ghz's --concurrency-schedule): how many
// slots may have a call in flight at each instant, and when a given slot may next send. Slots are planned
// for the schedule's peak; each has a global rank and sends only while rank < level(t), so the first k ranks
// are the ones in use at level k. Pure.

/** One stretch of the level: from `from` to `to` slots over `durationMs` (linear; rounded down). */
export interface ConcurrencyStage {
  readonly durationMs: number;
  readonly from: number;
  readonly to: number;
}

export interface LevelPlan {
  readonly stages: readonly ConcurrencyStage[];
  /** startsAt[i]: offset (ms) where stage i starts; startsAt[stages.length]: the schedule's length. */
  readonly startsAt: readonly number[];
}

/** A ramp's level is compared with this slack, so float noise at a step's instant does not delay it. */
const EPSILON = 1e-6;

export function levelPlanOf(stages: readonly ConcurrencyStage[]): LevelPlan {
  const startsAt = [0];
  for (const s of stages) startsAt.push((startsAt.at(-1) as number) + s.durationMs);
  return { stages, startsAt };
}

export const levelLengthOf = (p: LevelPlan): number => p.startsAt.at(-1) as number;

/** The schedule's peak: the slots to plan for. */
export const peakOf = (stages: readonly ConcurrencyStage[]): number =>
  Math.max(0, ...stages.map((s) => Math.max(s.from, s.to)));

/** The stage holding t (the last one past the end): a binary search, as it runs before every call. */
function stageAt(p: LevelPlan, tMs: number): number {
  let lo = 0;
  let hi = p.stages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((p.startsAt[mid] as number) <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Slots allowed at t ms after the start (whole: a ramp is rounded down); 0 outside the schedule. */
export function levelAt(p: LevelPlan, tMs: number): number {
  if (tMs < 0 || tMs >= levelLengthOf(p)) return 0;
  const i = stageAt(p, tMs);
  const s = p.stages[i] as ConcurrencyStage;
  const tau = (tMs - (p.startsAt[i] as number)) / s.durationMs;
  return Math.floor(s.from + (s.to - s.from) * tau + EPSILON);
}

/**
 * The first offset ≥ tMs at which the slot of this rank may send (levelAt > rank): tMs itself when it may
 * now, Infinity when it never may again before the schedule ends.
 */
export function nextActiveAt(p: LevelPlan, rank: number, tMs: number): number {
  const need = rank + 1;
  for (let i = stageAt(p, Math.max(0, tMs)); i < p.stages.length; i++) {
    const s = p.stages[i] as ConcurrencyStage;
    const start = p.startsAt[i] as number;
    const from = Math.max(tMs, start);
    if (from >= start + s.durationMs) continue;
    if (levelAt(p, from) >= need) return from;
    if (s.to <= s.from) continue; // flat or going down: not later in this stage either
    // from + (to − from)·τ/D reaches `need` at τ = (need − from)·D/(to − from)
    const at = start + ((need - EPSILON / 2 - s.from) * s.durationMs) / (s.to - s.from);
    if (at < start + s.durationMs) return Math.max(from, at);
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * A slot's global rank: slot `s` of connection `index` out of `connections`, counted row by row (every
 * connection's first slot, then every second one …), so the first k ranks are spread evenly over the
 * connections and, as connections are dealt to threads round-robin (plan.ts), over the threads.
 */
export const rankOf = (index: number, slot: number, connections: number): number => slot * connections + index;
