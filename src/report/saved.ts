// A bench report read back from a file (`bench --json` / `-o FILE`): checked for the fields readers use, so
// a file that is not one gets one clear line instead of a TypeError deep in a table.
import { readFileSync } from "node:fs";
import type { BenchReport } from "./types.ts";
import { READABLE_SCHEMA_IDS, REPORT_SCHEMA_ID } from "./types.ts";

export type Loaded = { ok: true; report: BenchReport } | { ok: false; error: string };

const SCHEMA_FAMILY = REPORT_SCHEMA_ID.replace(/\/\d+$/, "/");

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The first field readers need that is missing or of the wrong type, as `path`; undefined if all are there. */
function missing(doc: Json): string | undefined {
  const num = (o: unknown, k: string) => isObject(o) && typeof o[k] === "number";
  for (const k of ["options", "machine", "total", "loader"]) if (!isObject(doc[k])) return k;
  for (const k of ["requests", "failed", "requests_per_second"]) if (!num(doc.total, k)) return `total.${k}`;
  if (!num(doc.loader, "process_cpu_s")) return "loader.process_cpu_s";
  if (!Array.isArray(doc.services)) return "services";
  for (const [i, s] of doc.services.entries()) {
    const at = `services[${i}]`;
    if (!isObject(s) || typeof s.service !== "string") return `${at}.service`;
    for (const k of ["total", "failed", "requests_per_second"]) if (!num(s, k)) return `${at}.${k}`;
    if (s.latency_us !== null && !num(s.latency_us, "p50")) return `${at}.latency_us`;
  }
  // Outages (issue 30) are optional; when present, the renderers trust their windows' fields.
  if (doc.outages !== undefined) {
    const o = doc.outages;
    for (const k of ["count", "total_ms", "longest_ms", "failed"]) if (!num(o, k)) return `outages.${k}`;
    if (!isObject(o) || !Array.isArray(o.windows)) return "outages.windows";
    for (const [i, w] of o.windows.entries()) {
      const at = `outages.windows[${i}]`;
      if (!isObject(w) || typeof w.start !== "string" || Number.isNaN(Date.parse(w.start))) return `${at}.start`;
      if (w.end !== null && (typeof w.end !== "string" || Number.isNaN(Date.parse(w.end)))) return `${at}.end`;
      for (const k of ["duration_ms", "failed"]) if (!num(w, k)) return `${at}.${k}`;
      if (typeof w.first_error !== "string") return `${at}.first_error`;
      if (w.reconnect_to_ok_ms !== null && !num(w, "reconnect_to_ok_ms")) return `${at}.reconnect_to_ok_ms`;
    }
  }
  // Schema /1 files have no timeline; from /2 on it is there.
  if (doc.schema !== "grpcperf-bench-report/1") {
    if (!isObject(doc.timeline) || !num(doc.timeline, "interval_s")) return "timeline";
    if (!Array.isArray(doc.timeline.points)) return "timeline.points";
  }
  return undefined;
}

/** `name` is how the file is named in errors (the path as given). */
export function parseSavedReport(text: string, name: string): Loaded {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${name}: not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const schema = isObject(doc) ? doc.schema : undefined;
  if (!isObject(doc) || typeof schema !== "string" || !schema.startsWith(SCHEMA_FAMILY)) {
    return { ok: false, error: `${name}: not a grpcperf bench report (no "schema": "${REPORT_SCHEMA_ID}")` };
  }
  if (!(READABLE_SCHEMA_IDS as readonly string[]).includes(schema)) {
    return {
      ok: false,
      error: `${name}: report schema ${schema} is not one this grpcperf reads (${READABLE_SCHEMA_IDS.join(", ")})`,
    };
  }
  const bad = missing(doc);
  if (bad !== undefined)
    return { ok: false, error: `${name}: not a complete bench report: ${bad} is missing or wrong` };
  return { ok: true, report: doc as unknown as BenchReport };
}

export function readSavedReport(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : (code ?? String(err));
    return { ok: false, error: `${path}: cannot read it (${why})` };
  }
  return parseSavedReport(text, path);
}
