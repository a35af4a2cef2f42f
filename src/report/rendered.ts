// Saved reports as `grpcperf report` renders them: version 1 (no time series) and version 2 (the top-level
// `timeline`, one point per interval). saved.ts checks the fields every reader needs; this adds the timeline
// points' fields the renderers read, so csv/html can trust them.
import { type Loaded, parseSavedReport, readSavedReport } from "./saved.ts";
import type { BenchReport, TimelineReport } from "./types.ts";

export type { TimelinePoint } from "./types.ts";

export interface NamedRendered {
  /** The file as given on the command line: the legend's and section's name. */
  readonly file: string;
  /** 1 or 2 (the `schema`'s number). */
  readonly version: number;
  readonly report: BenchReport;
  /** Null in a version 1 report. */
  readonly timeline: TimelineReport | null;
}

type LoadedRendered = { ok: true; named: NamedRendered } | { ok: false; error: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The first timeline point field that is missing or wrong, as a path; undefined if all are there. */
function pointProblem(points: readonly unknown[]): string | undefined {
  for (const [i, p] of points.entries()) {
    const at = `timeline.points[${i}]`;
    if (!isObject(p)) return at;
    for (const k of ["start_s", "end_s", "ok", "failed", "achieved_rps"]) if (!isNum(p[k])) return `${at}.${k}`;
    if (typeof p.warmup !== "boolean") return `${at}.warmup`;
    if (p.target_rps !== null && !isNum(p.target_rps)) return `${at}.target_rps`;
    if (!Array.isArray(p.errors)) return `${at}.errors`;
    const l = p.latency_us;
    if (l !== null && !(isObject(l) && ["p50", "p90", "p99", "p99_9", "max"].every((k) => isNum(l[k]))))
      return `${at}.latency_us`;
  }
  return undefined;
}

function withTimeline(loaded: Loaded, file: string): LoadedRendered {
  if (!loaded.ok) return loaded;
  const report = loaded.report;
  const version = Number(report.schema.replace(/^.*\//, ""));
  const timeline = report.timeline ?? null;
  const bad = timeline === null ? undefined : pointProblem(timeline.points);
  if (bad !== undefined)
    return { ok: false, error: `${file}: not a complete bench report: ${bad} is missing or wrong` };
  return { ok: true, named: { file, version, report, timeline } };
}

/** A report in memory (a run that just ended) as the renderers take it, named `file`. */
export const renderedOf = (report: BenchReport, file: string): LoadedRendered =>
  withTimeline({ ok: true, report }, file);

export const parseRendered = (text: string, file: string): LoadedRendered =>
  withTimeline(parseSavedReport(text, file), file);

export const readRendered = (path: string): LoadedRendered => withTimeline(readSavedReport(path), path);

/** The line every renderer prints for a report without a time series. */
export const NO_TIMELINE = "no time series in this report (version 1)";
