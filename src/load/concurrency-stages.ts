// The closed loop's concurrency schedule from the command line: `--concurrency-stages 10s:10,30s:100` (the
// grammar of --stages, with slots instead of calls/s) and ghz's `--concurrency-schedule step|line` flags,
// both turned into the same list of stages (levels.ts). Pure.
import { parseDuration } from "../units.ts";
import type { ConcurrencyStage } from "./levels.ts";
import { type GhzLoad, parseStageList } from "./stages.ts";

export type ConcurrencyStagesResult = { ok: true; stages: ConcurrencyStage[] } | { ok: false; error: string };

/** ghz's concurrency flags, as given: the same fields as its load flags. */
type GhzConcurrency = GhzLoad;

const wholeOf = (text: string): number | undefined => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);

/**
 * `DUR:N` ramps linearly from the previous stage's level (the first from 0) to N slots over DUR, the level
 * rounded down; `DUR:FROM-TO` ramps from FROM instead (`5s:8-8` is a flat step at 8).
 */
export function parseConcurrencyStages(text: string): ConcurrencyStagesResult {
  const r = parseStageList(text, 0, {
    flag: "--concurrency-stages",
    value: wholeOf,
    form: "DURATION:N (e.g. 10s:50)",
    what: "whole number ≥ 0 of calls in flight",
  });
  if (!r.ok) return r;
  return checked(r.parts, "--concurrency-stages");
}

/**
 * ghz's StepWorkerTicker: --concurrency-start slots at once, then every --concurrency-step-duration (line:
 * every second) --concurrency-step more (or fewer). Without --concurrency-max-duration it stops changing at
 * the first level at or past --concurrency-end (ghz does not clamp: start 5, step 10, end 20 holds at 25);
 * with it, the first step instant at or after that duration sets --concurrency-end (when the steps have not
 * passed it) and holds. The run lasts `totalMs` (ghz's -z). The level never goes below 0.
 */
export function ghzConcurrencyStages(g: GhzConcurrency, totalMs: number): ConcurrencyStagesResult {
  const kind = g.schedule.trim().toLowerCase();
  if (kind !== "step" && kind !== "line")
    return { ok: false, error: `--concurrency-schedule: "${g.schedule}" is not const, step or line` };
  const num = (v: string | undefined, flag: string, fallback: number, signed: boolean): number | string => {
    if (v === undefined || v.trim() === "") return fallback;
    const t = v.trim();
    if (!(signed ? /^-?\d+$/ : /^\d+$/).test(t)) return `${flag}: "${v}" is not a whole number${signed ? "" : " ≥ 0"}`;
    return Number(t);
  };
  const dur = (v: string | undefined, flag: string): number | string => {
    if (v === undefined || v.trim() === "") return 0;
    const ms = parseDuration(v);
    return ms === undefined ? `${flag}: "${v}" is not a duration (e.g. 5s)` : ms;
  };
  // ghz's defaults: start 0, step 1, end 0 (none going up)
  const values = [
    num(g.start, "--concurrency-start", 0, false),
    num(g.step, "--concurrency-step", 1, true),
    num(g.end, "--concurrency-end", 0, false),
    dur(g.maxDuration, "--concurrency-max-duration"),
    kind === "line" ? 1000 : dur(g.stepDuration, "--concurrency-step-duration"),
  ];
  for (const v of values) if (typeof v === "string") return { ok: false, error: v };
  const [start, step, end, maxMs, every] = values as [number, number, number, number, number];
  if (step === 0) return { ok: false, error: "--concurrency-step: 0 never changes the level (use --concurrency)" };
  if (every <= 0) return { ok: false, error: "--concurrency-schedule step needs --concurrency-step-duration > 0" };

  const stages: ConcurrencyStage[] = [];
  const hold = (at: number, level: number) =>
    stages.push({ durationMs: totalMs - at, from: Math.max(0, level), to: Math.max(0, level) });
  let level = start; // ghz's own count, which may pass 0 going down; the slots in use are max(0, level)
  for (let k = 0; ; k++) {
    const at = k * every;
    if (at >= totalMs) break;
    if (k > 0) {
      // ghz's tick k, in its order: the max duration first, then the end, else one more step
      if (maxMs > 0 && at >= maxMs) {
        if (end > 0 && (step > 0 ? end >= level : end <= level)) level = end;
        hold(at, level);
        break;
      }
      if (maxMs === 0 && (step > 0 ? end > 0 && level >= end : level <= end)) {
        hold(at, level);
        break;
      }
      level += step;
    }
    stages.push({ durationMs: Math.min(every, totalMs - at), from: Math.max(0, level), to: Math.max(0, level) });
  }
  return checked(merged(stages), "--concurrency-schedule");
}

/** Neighbouring flat stages at one level become one, so a held level is one stage of the report. */
function merged(stages: readonly ConcurrencyStage[]): ConcurrencyStage[] {
  const out: ConcurrencyStage[] = [];
  for (const s of stages) {
    const last = out.at(-1);
    if (last && last.from === last.to && s.from === s.to && last.to === s.from)
      out[out.length - 1] = { ...last, durationMs: last.durationMs + s.durationMs };
    else out.push(s);
  }
  return out;
}

/** A schedule that never lets a call out (all 0, or only ramps 0→1, which reach 1 as they end) is a mistake. */
function checked(stages: ConcurrencyStage[], source: string): ConcurrencyStagesResult {
  if (!stages.some((s) => s.from >= 1 || s.to >= 2))
    return { ok: false, error: `${source}: the schedule sends no call (its level never reaches 1)` };
  return { ok: true, stages };
}
