// --find-max and its flags, turned into the search's settings; the flags it cannot go with are refused.
// Pure, as options.ts: errors are returned, for options.ts to raise as its own.

import { parseThresholds, type Threshold } from "../../report/threshold.ts";
import { parseDuration } from "../../units.ts";
import { DEFAULT_GROWTH, type SearchSettings } from "./search.ts";

export interface FindMaxFlags {
  "find-max"?: boolean;
  /** Every --slo (repeatable: the CLI reads them from the raw arguments). */
  slos?: readonly string[];
  precision?: string;
  "step-duration"?: string;
  "max-rate"?: string;
  "start-rate"?: string;
  duration?: string;
  rate?: string;
  requests?: string;
  stages?: string;
  "load-schedule"?: string;
}

export interface FindMaxSettings extends SearchSettings {
  /** Every step must meet all of them (the --threshold grammar). */
  readonly slos: readonly Threshold[];
  /** Each step's measured length (its warm-up comes before it). */
  readonly stepMs: number;
  /** No step starts that could not end within this time from the search's start (-z). */
  readonly boundMs: number;
}

export const DEFAULT_STEP_MS = 5000;
export const DEFAULT_PRECISION = 0.05;
export const DEFAULT_START_RPS = 100;
export const DEFAULT_BOUND_MS = 5 * 60_000;
/**
 * Each step's warm-up unless --warmup says otherwise. Every step is a fresh run, so its load threads' code is
 * cold: with 1 s the first measured second still carried their JIT's stalls into p99, and the answer against
 * a server of known speed wandered from 86% to 95% of its closed-loop maximum; with 2 s, 97–99%
 * (scripts/bench-load-shapes.sh, docs/performance.md).
 */
export const DEFAULT_STEP_WARMUP_MS = 2000;
/** In-flight slots per connection unless --concurrency is given: enough that only an overloaded server fills them. */
export const SLOTS_PER_CONNECTION = 100;

type Parsed = { ok: true; value: FindMaxSettings | undefined } | { ok: false; error: string };

const given = (v: string | undefined) => v !== undefined && v.trim() !== "";

export function findMaxOf(flags: FindMaxFlags): Parsed {
  const slos = flags.slos ?? [];
  if (flags["find-max"] !== true) {
    const stray = [
      slos.length > 0 && "--slo",
      given(flags.precision) && "--precision",
      given(flags["step-duration"]) && "--step-duration",
    ].find((x): x is string => typeof x === "string");
    return stray ? { ok: false, error: `${stray} needs --find-max` } : { ok: true, value: undefined };
  }
  const clash = [
    given(flags.rate) && "--rate",
    given(flags.requests) && "-n/--requests",
    given(flags.stages) && "--stages",
    given(flags["load-schedule"]) && "--load-schedule",
  ].filter((x): x is string => typeof x === "string");
  if (clash.length > 0) {
    return {
      ok: false,
      error: `--find-max and ${clash.join(", ")} exclude each other: the search chooses each step's rate`,
    };
  }
  if (slos.length === 0) return { ok: false, error: "--find-max needs at least one --slo, e.g. --slo 'p99<2ms'" };
  const parsed = parseThresholds(slos);
  if (!parsed.ok) return { ok: false, error: parsed.error.replace(/^--threshold/, "--slo") };
  const bad = parsed.value.find((t) => t.metric === "rps");
  if (bad) return { ok: false, error: `--slo "${bad.expr}": rps is what the search finds; give latency or error_rate` };

  const precision = given(flags.precision) ? percent(flags.precision as string) : DEFAULT_PRECISION;
  if (typeof precision === "string") return { ok: false, error: precision };
  const stepMs = given(flags["step-duration"]) ? parseDuration(flags["step-duration"] as string) : DEFAULT_STEP_MS;
  if (stepMs === undefined || stepMs <= 0)
    return { ok: false, error: `--step-duration: "${flags["step-duration"]}" is not a duration > 0 (e.g. 5s)` };
  const boundMs = given(flags.duration) ? parseDuration(flags.duration as string) : DEFAULT_BOUND_MS;
  if (boundMs === undefined || boundMs <= 0)
    return { ok: false, error: `-z/--duration: "${flags.duration}" is not a duration > 0 (e.g. 2m)` };
  const startRps = given(flags["start-rate"]) ? rps(flags["start-rate"] as string, "--start-rate") : DEFAULT_START_RPS;
  if (typeof startRps === "string") return { ok: false, error: startRps };
  const maxRps = given(flags["max-rate"]) ? rps(flags["max-rate"] as string, "--max-rate") : undefined;
  if (typeof maxRps === "string") return { ok: false, error: maxRps };
  if (maxRps !== undefined && maxRps < startRps)
    return { ok: false, error: `--max-rate ${maxRps} is below the first step's rate ${startRps} (--start-rate)` };
  return {
    ok: true,
    value: { slos: parsed.value, precision, stepMs, boundMs, startRps, maxRps, growth: DEFAULT_GROWTH },
  };
}

/** "5%" or "5" → 0.05: a precision is a percentage either way. */
function percent(text: string): number | string {
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text.trim());
  const n = m ? Number(m[1]) / 100 : Number.NaN;
  if (!(n > 0 && n < 1)) return `--precision: "${text}" is not a percentage between 0 and 100 (e.g. 5%)`;
  return n;
}

/** Whole calls/s ≥ 1: the search's steps are whole rates. */
function rps(text: string, flag: string): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1) return `${flag}: "${text}" is not a whole number of calls/s ≥ 1`;
  return Number(t);
}
