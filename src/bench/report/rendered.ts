// Saved reports as `grpcperf report` renders them: version 1 (no time series) and version 2 (a top-level
// `timeline`, one point per interval), checked once here so the renderers (text, json, csv, markdown, html)
// can trust every field they read. The field checks of the rest are saved.ts's.
import { readFileSync } from "node:fs";
import { parseSavedReport } from "./saved.ts";
import type { BenchReport } from "./types.ts";
import { REPORT_SCHEMA_ID } from "./types.ts";

/** The report versions this renderer reads; 2 adds `timeline`. */
export const RENDERED_VERSIONS = ["grpcperf-bench-report/1", "grpcperf-bench-report/2"] as const;

export interface TimelineLatency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
}

export interface TimelinePoint {
  readonly start_s: number;
  readonly end_s: number;
  readonly warmup: boolean;
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly { readonly code: number; readonly count: number }[];
  readonly target_rps: number | null;
  readonly achieved_rps: number;
  readonly latency_us: TimelineLatency | null;
  readonly histogram: string | null;
}

export interface Timeline {
  readonly interval_s: number;
  readonly points: readonly TimelinePoint[];
}

export interface NamedRendered {
  /** The file as given on the command line: the legend's and section's name. */
  readonly file: string;
  readonly version: number;
  /** As loaded; its `schema` may be any of RENDERED_VERSIONS (typed as saved.ts's). */
  readonly report: BenchReport;
  /** Null in a version 1 report. */
  readonly timeline: Timeline | null;
}

export type LoadedRendered = { ok: true; named: NamedRendered } | { ok: false; error: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The first timeline field that is missing or wrong, as a path; undefined if all are there. */
function timelineProblem(t: unknown): string | undefined {
  if (!isObject(t)) return "timeline";
  if (!isNum(t.interval_s)) return "timeline.interval_s";
  if (!Array.isArray(t.points)) return "timeline.points";
  for (const [i, p] of t.points.entries()) {
    const at = `timeline.points[${i}]`;
    if (!isObject(p)) return at;
    for (const k of ["start_s", "end_s", "ok", "failed", "achieved_rps"]) if (!isNum(p[k])) return `${at}.${k}`;
    if (typeof p.warmup !== "boolean") return `${at}.warmup`;
    if (p.target_rps !== null && !isNum(p.target_rps)) return `${at}.target_rps`;
    if (!Array.isArray(p.errors)) return `${at}.errors`;
    const l = p.latency_us;
    if (l !== null && !(isObject(l) && ["p50", "p90", "p99", "p99_9", "max"].every((k) => isNum(l[k]))))
      return `${at}.latency_us`;
    if (p.histogram !== null && p.histogram !== undefined && typeof p.histogram !== "string") return `${at}.histogram`;
  }
  return undefined;
}

export function parseRendered(text: string, file: string): LoadedRendered {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${file}: not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const schema = isObject(doc) ? doc.schema : undefined;
  const version = RENDERED_VERSIONS.indexOf(schema as (typeof RENDERED_VERSIONS)[number]) + 1;
  if (isObject(doc) && version === 0 && typeof schema === "string" && schema.startsWith("grpcperf-bench-report/"))
    return {
      ok: false,
      error: `${file}: report schema ${schema} is not one this grpcperf renders (${RENDERED_VERSIONS.join(", ")})`,
    };
  if (!isObject(doc) || version === 0) {
    // saved.ts words the refusal (not a report, or a version this grpcperf does not read)
    const refused = parseSavedReport(text, file);
    return {
      ok: false,
      error: refused.ok ? `${file}: report schema ${String(schema)} is not one report reads` : refused.error,
    };
  }
  // The fields both versions share are checked by saved.ts, whichever version it is built for.
  const checked = parseSavedReport(JSON.stringify({ ...doc, schema: REPORT_SCHEMA_ID }), file);
  if (!checked.ok) return checked;
  let timeline: Timeline | null = null;
  if (doc.timeline !== undefined && doc.timeline !== null) {
    const bad = timelineProblem(doc.timeline);
    if (bad !== undefined)
      return { ok: false, error: `${file}: not a complete bench report: ${bad} is missing or wrong` };
    timeline = doc.timeline as unknown as Timeline;
  } else if (version >= 2) return { ok: false, error: `${file}: a version ${version} report without its timeline` };
  return { ok: true, named: { file, version, report: doc as unknown as BenchReport, timeline } };
}

export function readRendered(path: string): LoadedRendered {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : (code ?? String(err));
    return { ok: false, error: `${path}: cannot read it (${why})` };
  }
  return parseRendered(text, path);
}

/** The line every renderer prints for a report without a time series. */
export const NO_TIMELINE = "no time series in this report (version 1)";
