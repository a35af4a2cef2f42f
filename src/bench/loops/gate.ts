// A closed-loop slot under a concurrency schedule (src/load/levels.ts): before each call it asks whether its rank
// is within the level now; if not it sleeps until the computed instant it will be (no polling), or ends when
// that is past the phase. A sleep ends early when the run is stopped (Ctrl-C, server gone), so a slot that
// waits for a late stage does not hold the run open.
import { type LevelPlan, levelAt, nextActiveAt, rankOf } from "../../load/levels.ts";

/** The schedule as one phase of one thread runs it; offsets are from the phase's start. */
export interface SlotLevels {
  readonly plan: LevelPlan;
  /** This process's connections over all threads: a slot's rank is slot × connections + connection index (rankOf). */
  readonly connections: number;
  /** The global index of this process's first connection (a shard's follow the lower shards'). */
  readonly firstConnection: number;
  /** --shard I/N: shard I's ranks are the whole run's ≡ I (mod N), so level L gives shard I ⌊L/N⌋ slots, plus
   * one when I < L mod N (the remainder to the lowest shards): the shards together run exactly the level. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Resolves after `ms`, or sooner when the run is stopped. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** The rank the level is compared with, for slot `slot` of the connection with global index `index`. */
export function slotRank(l: SlotLevels, index: number, slot: number): number {
  const local = rankOf(index - l.firstConnection, slot, l.connections);
  return l.shard ? local * l.shard.count + l.shard.index : local;
}

/** Whether the slot may send at `nowMs` (its rank is within the level); cheap, allocation-free. */
export const activeNow = (l: SlotLevels, rank: number, phaseStartMs: number, nowMs: number): boolean =>
  levelAt(l.plan, nowMs - phaseStartMs) > rank;

/**
 * Waits until the slot of this rank may send: true then, false when it may not again before `endMs` (or
 * the run was stopped meanwhile).
 */
export async function waitActive(
  l: SlotLevels,
  rank: number,
  phaseStartMs: number,
  endMs: number | undefined,
  stopped: () => boolean,
): Promise<boolean> {
  for (;;) {
    if (stopped()) return false;
    const now = performance.now();
    const at = phaseStartMs + nextActiveAt(l.plan, rank, now - phaseStartMs);
    if (at <= now) return true;
    if (!Number.isFinite(at) || (endMs !== undefined && at >= endMs)) return false;
    // timers may fire a hair early: never spin on a wake-up just short of the instant
    await l.sleep(Math.max(1, at - now));
  }
}

/** A sleep that a store + Atomics.notify on `flags[index]` (the run's stop flag) ends early. */
export function stopAwareSleep(flags: Int32Array, index: number): (ms: number) => Promise<void> {
  return async (ms) => {
    if (Atomics.load(flags, index) !== 0) return;
    const w = Atomics.waitAsync(flags, index, 0, ms);
    if (w.async) await w.value;
  };
}
