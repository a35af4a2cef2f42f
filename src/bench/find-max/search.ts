// The capacity search's next step, from the steps so far: grow the rate geometrically until a step breaks
// the SLO, then bisect between the highest passing and the lowest failing rate until they are within the
// precision. Pure; the driver (run.ts) runs the steps and bounds the total time.
//
// Noise can make a higher rate pass after a lower one failed: the bracket is the lowest failing rate and
// the highest passing rate below it, so a lucky step above a failure never becomes the answer.

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
}

type Next =
  | { readonly kind: "step"; readonly rps: number; readonly phase: Phase }
  | { readonly kind: "done"; readonly reason: "converged" | "max-rate" | "none-passed" };

export const DEFAULT_GROWTH = 2;

/** The bracket: the highest passing rate below the lowest failing one (either may be missing). */
export function bracketOf(steps: readonly StepOutcome[]): { pass?: number; fail?: number } {
  const fails = steps.filter((s) => !s.pass).map((s) => s.rps);
  const fail = fails.length > 0 ? Math.min(...fails) : undefined;
  const passes = steps.filter((s) => s.pass && (fail === undefined || s.rps < fail)).map((s) => s.rps);
  return { pass: passes.length > 0 ? Math.max(...passes) : undefined, fail };
}

export function nextStep(s: SearchSettings, steps: readonly StepOutcome[]): Next {
  if (steps.length === 0) return { kind: "step", rps: capped(s, s.startRps), phase: "grow" };
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
