// Saved bench reports side by side (`grpcperf compare A.json B.json …`): the headline figures per run, each
// later run as a ratio to the first, and every option or machine fact in which the runs differ — so a
// difference in set-up is never read as a difference in the server. Pure: reports in, data or text out.

import { outageMs } from "./outages.ts";
import { LATENCY_FIGURES, type Section, sectionsOf } from "./sections.ts";
import { formatMicros } from "./threshold.ts";
import type { BenchReport } from "./types.ts";

const COMPARE_SCHEMA_ID = "grpcperf-compare/1";

export interface NamedReport {
  /** The file as given on the command line: the column's header. */
  readonly file: string;
  readonly report: BenchReport;
}

type Unit = "calls/s" | "fraction" | "us" | "cpu-s" | "calls/cpu-s" | "calls" | "windows";

interface Row {
  /** The report section the figures are from (a service label); null: the run as a whole. */
  readonly section: string | null;
  readonly metric: string;
  readonly unit: Unit;
  /** One per run, in the order given; null where that run has no such figure. */
  readonly values: readonly (number | null)[];
  /** values[i] / values[0]; null where either is missing or the first is 0. */
  readonly ratios: readonly (number | null)[];
}

interface Difference {
  /** `options.connections`, `machine.cpus`. */
  readonly key: string;
  readonly values: readonly unknown[];
}

export interface Comparison {
  readonly schema: typeof COMPARE_SCHEMA_ID;
  readonly runs: readonly {
    readonly file: string;
    /** --name of the run, when it had one: the column's header instead of the file. */
    readonly name?: string;
    readonly started_at: string;
    readonly mode: string;
    readonly duration_s: number;
    readonly services: readonly string[];
  }[];
  readonly rows: readonly Row[];
  readonly differences: readonly Difference[];
}

function row(section: string | null, metric: string, unit: Unit, values: (number | null)[]): Row {
  const first = values[0];
  const ratios = values.map((v) =>
    v === null || first === null || first === undefined || first === 0 ? null : v / first,
  );
  return { section, metric, unit, values, ratios };
}

const errorRate = (failed: number, total: number) => (total === 0 ? null : failed / total);

function sectionRows(section: string | null, sections: readonly (Section | undefined)[]): Row[] {
  return [
    row(
      section,
      "calls/s",
      "calls/s",
      sections.map((s) => s?.perSecond ?? null),
    ),
    row(
      section,
      "error rate",
      "fraction",
      sections.map((s) => (s ? errorRate(s.failed, s.total) : null)),
    ),
    ...LATENCY_FIGURES.map(([metric, key]) =>
      row(
        section,
        metric,
        "us",
        sections.map((s) => (s?.latency ? (s.latency[key] ?? null) : null)),
      ),
    ),
  ];
}

/** Keys of `pick(report)` whose values are not the same in every run, in the first run's key order. */
function differing(prefix: string, pick: (r: BenchReport) => object, runs: readonly BenchReport[]): Difference[] {
  const objects = runs.map((r) => pick(r) as Record<string, unknown>);
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  const out: Difference[] = [];
  for (const k of keys) {
    const values = objects.map((o) => (k in o ? o[k] : null));
    const first = JSON.stringify(values[0]);
    if (values.some((v) => JSON.stringify(v) !== first)) out.push({ key: `${prefix}.${k}`, values });
  }
  return out;
}

/** The per-section rows: one column set when every run has one section, else one block per section. */
function sectionBlocks(runs: readonly BenchReport[]): Row[] {
  const sections = runs.map(sectionsOf);
  // One section per run (the usual case, e.g. --service echo against --call grpcperf.v1.Echo/Echo): one column
  // set, whatever each is called. Otherwise one block per section any run has. A streaming run's section
  // counts streams (calls/s is streams/s), its latency per message (bidi) or per stream.
  if (sections.every((s) => s.length === 1)) {
    const labels = [...new Set(sections.map((s) => s[0]?.label))];
    return sectionRows(
      labels.length === 1 ? (labels[0] as string) : null,
      sections.map((s) => s[0]),
    );
  }
  const rows: Row[] = [];
  const labels = [...new Set(sections.flatMap((s) => s.map((x) => x.label)))];
  for (const label of labels)
    rows.push(
      ...sectionRows(
        label,
        sections.map((s) => s.find((x) => x.label === label)),
      ),
    );
  rows.push(
    row(
      null,
      "calls/s",
      "calls/s",
      runs.map((r) => r.total.requests_per_second),
    ),
    row(
      null,
      "error rate",
      "fraction",
      runs.map((r) => errorRate(r.total.failed, r.total.requests)),
    ),
  );
  return rows;
}

/** The loader's cost per run, and (open loops) how closely it kept the schedule. */
function loaderRows(runs: readonly BenchReport[]): Row[] {
  const rows = [
    row(
      null,
      "loader CPU-s",
      "cpu-s",
      runs.map((r) => r.loader.process_cpu_s),
    ),
    row(
      null,
      "calls per CPU-s",
      "calls/cpu-s",
      runs.map((r) => (r.loader.process_cpu_s > 0 ? r.total.requests / r.loader.process_cpu_s : null)),
    ),
  ];
  // send lag: how closely each open-loop run kept its schedule (null for a closed loop or an older report)
  if (runs.some((r) => r.rate.send_lag_us !== undefined)) {
    const lag = (key: "p50" | "p99" | "p99_9" | "max") => runs.map((r) => r.rate.send_lag_us?.[key] ?? null);
    rows.push(
      row(null, "send lag p50", "us", lag("p50")),
      row(null, "send lag p99", "us", lag("p99")),
      row(null, "send lag p99.9", "us", lag("p99_9")),
      row(null, "send lag max", "us", lag("max")),
      row(
        null,
        "calls due in loader stalls",
        "calls",
        runs.map((r) => r.rate.stalls?.calls_due ?? null),
      ),
    );
  }
  return rows;
}

/** Outages side by side (issue 30), when any run had one: a run without any had none, so 0, not "–". */
function outageRows(runs: readonly BenchReport[]): Row[] {
  if (!runs.some((r) => r.outages !== undefined)) return [];
  return [
    row(
      null,
      "outages",
      "windows",
      runs.map((r) => r.outages?.count ?? 0),
    ),
    row(
      null,
      "outage total",
      "us",
      runs.map((r) => outageMs(r, "total") * 1000),
    ),
    row(
      null,
      "outage longest",
      "us",
      runs.map((r) => outageMs(r, "longest") * 1000),
    ),
  ];
}

export function compareRuns(named: readonly NamedReport[]): Comparison {
  const runs = named.map((n) => n.report);
  return {
    schema: COMPARE_SCHEMA_ID,
    runs: named.map(({ file, report: r }) => ({
      file,
      ...(r.name === undefined ? {} : { name: r.name }),
      started_at: r.started_at,
      mode: r.mode,
      duration_s: r.duration_s,
      services: sectionsOf(r).map((s) => s.label),
    })),
    rows: [...sectionBlocks(runs), ...outageRows(runs), ...loaderRows(runs)],
    differences: [...differing("options", (r) => r.options, runs), ...differing("machine", (r) => r.machine, runs)],
  };
}

function formatValue(v: number | null, unit: Unit): string {
  if (v === null) return "–";
  switch (unit) {
    case "us":
      return formatMicros(v);
    case "fraction":
      return `${Number((v * 100).toPrecision(3))}%`;
    case "cpu-s":
      return v.toFixed(2);
    default:
      return v.toFixed(0);
  }
}

const shown = (v: unknown) => (v === null ? "none" : Array.isArray(v) ? v.join(",") : String(v));

/** `runs differ in: connections (10 vs 50), machine.cpus (2 vs 8)`; undefined when they do not. */
export function differenceLine(c: Comparison): string | undefined {
  if (c.differences.length === 0) return undefined;
  const parts = c.differences.map((d) => `${d.key.replace(/^options\./, "")} (${d.values.map(shown).join(" vs ")})`);
  return `runs differ in: ${parts.join(", ")}`;
}

/** The table: a column per run (its file), and after each later run its ratio to the first. */
export function formatComparison(c: Comparison): string {
  const header = ["", ...c.runs.flatMap((r, i) => (i === 0 ? [r.name ?? r.file] : [r.name ?? r.file, "vs 1st"]))];
  const lines: string[][] = [header];
  const single = c.rows.every((r) => r.section === null || r.section === c.rows[0]?.section);
  if (single)
    lines.push([
      "service",
      ...c.runs.flatMap((r, i) => (i === 0 ? [r.services.join(",")] : [r.services.join(","), ""])),
    ]);
  let section: string | null | undefined;
  for (const r of c.rows) {
    if (!single && r.section !== section) {
      section = r.section;
      lines.push([section ?? "run"]);
    }
    lines.push([
      single ? r.metric : `  ${r.metric}`,
      ...r.values.flatMap((v, i) => {
        const value = formatValue(v, r.unit);
        if (i === 0) return [value];
        const ratio = r.ratios[i];
        return [value, ratio === null || ratio === undefined ? "" : `${ratio.toFixed(2)}x`];
      }),
    ]);
  }
  const widths = header.map((_, col) => Math.max(...lines.map((l) => (l.length > 1 ? (l[col] ?? "").length : 0))));
  const text = lines.map((l) =>
    l.length === 1
      ? (l[0] as string)
      : l
          .map((cell, col) => (col === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[col] as number)))
          .join("  ")
          .trimEnd(),
  );
  const warning = differenceLine(c);
  return `${warning === undefined ? "" : `WARNING: ${warning}\n\n`}${text.join("\n")}\n`;
}

export function formatComparisonJson(c: Comparison): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
