// The open loop's staged target rate from the command line: k6-like `--stages 10s:1000,30s:5000` and ghz's
// `--load-schedule step|line` flags, both turned into the same list of stages (schedule.ts). Pure.
import { parseDuration } from "../units.ts";
import type { Stage } from "./schedule.ts";

export type StagesResult = { ok: true; stages: Stage[] } | { ok: false; error: string };

/** ghz's load flags, as given (strings; undefined when absent). */
export interface GhzLoad {
  schedule: string;
  start?: string;
  step?: string;
  stepDuration?: string;
  end?: string;
  maxDuration?: string;
}

const rateOf = (text: string): number | undefined => {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t);
};

/** One `DUR:TO` or `DUR:FROM-TO` part of a stage list: a linear move from `from` to `to` over `durationMs`. */
interface StagePart {
  readonly durationMs: number;
  readonly from: number;
  readonly to: number;
}

/** How a stage list's numbers read: `value` parses one (undefined: not one), `example` and `what` name it. */
interface StageGrammar {
  readonly flag: string;
  readonly value: (text: string) => number | undefined;
  /** e.g. "DURATION:RATE (e.g. 10s:1000)". */
  readonly form: string;
  /** e.g. "rate ≥ 0 (calls/s)". */
  readonly what: string;
}

/**
 * The grammar --stages and --concurrency-stages share: comma-separated `DUR:TO` parts, each moving from the
 * previous part's end (the first from `start`) to TO over DUR, or `DUR:FROM-TO` from FROM instead.
 */
export function parseStageList(
  text: string,
  start: number,
  g: StageGrammar,
): { ok: true; parts: StagePart[] } | { ok: false; error: string } {
  const parts: StagePart[] = [];
  let previous = start;
  for (const part of text.split(",")) {
    const m = /^([^:]+):([^:]+)$/.exec(part.trim());
    const bad = (why: string) => ({ ok: false as const, error: `${g.flag}: "${part.trim()}" ${why}` });
    if (!m) return bad(`is not ${g.form} or DURATION:FROM-TO`);
    const durationMs = parseDuration(m[1] as string);
    if (durationMs === undefined) return bad("does not start with a duration (e.g. 500ms, 10s, 2m)");
    if (durationMs <= 0) return bad("lasts no time: a stage needs a length > 0");
    const values = (m[2] as string).split("-").map(g.value);
    if (values.length > 2 || values.some((v) => v === undefined)) return bad(`has no ${g.what} after the ':'`);
    const from = values.length === 2 ? (values[0] as number) : previous;
    const to = values.at(-1) as number;
    parts.push({ durationMs, from, to });
    previous = to;
  }
  return { ok: true, parts };
}

/**
 * `DUR:RATE` ramps linearly from the previous stage's target (the first from `startRps`) to RATE over DUR;
 * `DUR:FROM-TO` ramps from FROM instead (`5s:50-50` is a flat step at 50).
 */
export function parseStages(text: string, startRps: number): StagesResult {
  const r = parseStageList(text, startRps, {
    flag: "--stages",
    value: rateOf,
    form: "DURATION:RATE (e.g. 10s:1000)",
    what: "rate ≥ 0 (calls/s)",
  });
  if (!r.ok) return r;
  return checked(
    r.parts.map((p) => ({ durationMs: p.durationMs, fromRps: p.from, toRps: p.to })),
    "--stages",
  );
}

/**
 * ghz's step schedule: the rate starts at --load-start and changes by --load-step every --load-step-duration
 * (line: every second, --load-step being the slope, as ghz's LinearPacer) until it reaches --load-end, or
 * until --load-max-duration has passed (then it is --load-end, if given); the run lasts `totalMs` (ghz's -z).
 * The rate never goes below 0.
 */
export function ghzStages(g: GhzLoad, totalMs: number): StagesResult {
  const kind = g.schedule.trim().toLowerCase();
  if (kind !== "step" && kind !== "line")
    return { ok: false, error: `--load-schedule: "${g.schedule}" is not step or line` };
  const num = (v: string | undefined, flag: string, signed: boolean): number | string => {
    if (v === undefined || v.trim() === "") return 0;
    const n = Number(v.trim());
    if (!Number.isFinite(n) || (!signed && n < 0)) return `${flag}: "${v}" is not a number${signed ? "" : " ≥ 0"}`;
    return n;
  };
  const dur = (v: string | undefined, flag: string): number | string => {
    if (v === undefined || v.trim() === "") return 0;
    const ms = parseDuration(v);
    return ms === undefined ? `${flag}: "${v}" is not a duration (e.g. 5s)` : ms;
  };
  const start = num(g.start, "--load-start", false);
  const step = num(g.step, "--load-step", true);
  const end = num(g.end, "--load-end", false);
  const maxMs = dur(g.maxDuration, "--load-max-duration");
  const stepMs = kind === "line" ? 1000 : dur(g.stepDuration, "--load-step-duration");
  for (const v of [start, step, end, maxMs, stepMs]) if (typeof v === "string") return { ok: false, error: v };
  const [s0, d, e, max, every] = [start, step, end, maxMs, stepMs] as [number, number, number, number, number];
  if (d === 0) return { ok: false, error: `--load-schedule ${kind} needs --load-step (the rate's change per step)` };
  if (every <= 0) return { ok: false, error: "--load-schedule step needs --load-step-duration > 0" };

  const stages: Stage[] = [];
  const levelAt = (i: number) => Math.max(0, s0 + d * i);
  // As ghz's StepPacer: with --load-max-duration the steps are not clamped, and from that instant the rate is
  // --load-end (or, without one, the level reached then); otherwise it holds at --load-end once a step passes it.
  const held = max > 0 ? (e > 0 ? e : levelAt(Math.floor(max / every))) : undefined;
  let at = 0;
  for (let i = 0; at < totalMs; i++) {
    if (held !== undefined && at >= max) {
      stages.push({ durationMs: totalMs - at, fromRps: held, toRps: held });
      break;
    }
    let level = levelAt(i);
    if (held === undefined && e > 0) level = d > 0 ? Math.min(level, e) : Math.max(level, e);
    // without a max duration the last step is the one at --load-end, or at 0 going down
    const holds = held === undefined && ((e > 0 && level === e) || (d < 0 && level === 0));
    const stepEnd = held !== undefined ? Math.min(at + every, max) : at + every;
    const length = holds ? totalMs - at : Math.min(stepEnd, totalMs) - at;
    stages.push({ durationMs: length, fromRps: level, toRps: level });
    at += length;
  }
  return checked(stages, "--load-schedule");
}

/** A schedule that sends nothing at all is a mistake, not a run. */
function checked(stages: Stage[], source: string): StagesResult {
  const calls = stages.reduce((n, s) => n + ((s.fromRps + s.toRps) / 2) * (s.durationMs / 1000), 0);
  if (!(calls >= 1)) return { ok: false, error: `${source}: the schedule sends no call (its rates are all 0)` };
  return { ok: true, stages };
}
