// The capacity search's next step, from the steps so far: grow the rate geometrically until a step breaks
// the SLO, then bisect between the highest passing and the lowest failing rate until they are within the
// precision. Pure; the driver (run.ts) runs the steps and bounds the total time.
//
// Noise can make a higher rate pass after a lower one failed: the bracket is the lowest failing rate and
// the highest passing rate below it, so a lucky step above a failure never becomes the answer.
//
// A step that failed while the loader may have been the limit (a stall of the loader's own machine, its
// JIT or GC, another process on its core) says nothing about the server, yet as a failure it would end the
// growth or pull the bisection down for good: on a busy 2-core VM such steps cut the answer to 62-78% of
// the server's capacity. So it is run once more at the same rate before it counts, up to MAX_RETRIES times
// in a search (each costs a step's time, within the search's bound); the retry's verdict replaces it.

import type { Phase } from "../../report/find-max/step.ts";

export interface SearchSettings {
  /** The first step's rate, calls/s. */
  readonly startRps: number;
  /** No step above this rate; undefined: no cap. */
  readonly maxRps: number | undefined;
  /** Bisection stops when (fail − pass) / pass ≤ this (0.05 = 5%). */
  readonly precision: number;
  /** Each growing step multiplies the rate by this. */
  readonly growth: number;
}

export interface StepOutcome {
  readonly rps: number;
  readonly pass: boolean;
  /** The loader may have been the limit in this step (report/find-max/step.ts: loader_limited). */
  readonly loaderLimited?: boolean;
}

type Next =
  | { readonly kind: "step"; readonly rps: number; readonly phase: Phase }
  | { readonly kind: "done"; readonly reason: "converged" | "max-rate" | "none-passed" };

export const DEFAULT_GROWTH = 2;
/** Loader-limited failures run again, in one search. */
export const MAX_RETRIES = 2;

/** A loader-limited failure that a later step at the same rate retried: its retry speaks for the rate. */
const retried = (steps: readonly StepOutcome[], i: number): boolean => {
  const s = steps[i] as StepOutcome;
  return !s.pass && s.loaderLimited === true && steps.some((t, j) => j > i && t.rps === s.rps);
};

/** The bracket: the highest passing rate below the lowest failing one (either may be missing). */
export function bracketOf(steps: readonly StepOutcome[]): { pass?: number; fail?: number } {
  const fails = steps.filter((s, i) => !s.pass && !retried(steps, i)).map((s) => s.rps);
  const fail = fails.length > 0 ? Math.min(...fails) : undefined;
  const passes = steps.filter((s) => s.pass && (fail === undefined || s.rps < fail)).map((s) => s.rps);
  return { pass: passes.length > 0 ? Math.max(...passes) : undefined, fail };
}

export function nextStep(s: SearchSettings, steps: readonly StepOutcome[]): Next {
  if (steps.length === 0) return { kind: "step", rps: capped(s, s.startRps), phase: "grow" };
  const last = steps[steps.length - 1] as StepOutcome;
  const retries = steps.filter((x, i) => steps.findIndex((y) => y.rps === x.rps) < i).length;
  const firstAtRate = steps.findIndex((x) => x.rps === last.rps) === steps.length - 1;
  if (!last.pass && last.loaderLimited === true && firstAtRate && retries < MAX_RETRIES)
    return { kind: "step", rps: last.rps, phase: "retry" };
  const { pass, fail } = bracketOf(steps);
  if (pass === undefined) return { kind: "done", reason: "none-passed" };
  if (fail === undefined) {
    if (s.maxRps !== undefined && pass >= s.maxRps) return { kind: "done", reason: "max-rate" };
    return { kind: "step", rps: capped(s, Math.max(pass + 1, Math.round(pass * s.growth))), phase: "grow" };
  }
  if ((fail - pass) / pass <= s.precision) return { kind: "done", reason: "converged" };
  const mid = Math.round((pass + fail) / 2);
  // Whole calls/s: once the bracket is one apart there is nothing left to split.
  if (mid <= pass || mid >= fail) return { kind: "done", reason: "converged" };
  return { kind: "step", rps: mid, phase: "bisect" };
}

const capped = (s: SearchSettings, rps: number) => (s.maxRps === undefined ? rps : Math.min(rps, s.maxRps));
