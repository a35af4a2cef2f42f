// Pass/fail bars on a run (`bench --threshold p99<2ms`), as k6's thresholds: parsed before any call is sent,
// judged on the JSON report document afterwards, so a saved report can be judged the same way later.
import { decode } from "./histogram.ts";
import { outageMs } from "./outages.ts";
import { type Section, sectionsOf } from "./sections.ts";
import type { BenchReport, LatencyMetric, Metric, Op, OutageMetric, ThresholdResult } from "./types.ts";

/** As k6: the exit code of a run (or a saved report) that missed a --threshold. */
export const THRESHOLD_FAILED = 99;

export interface Threshold {
  /** As typed, for the verdict line. */
  readonly expr: string;
  /** A services[].service label (echo, crypto, pkg.Service/Method); null: the run as a whole. */
  readonly scope: string | null;
  readonly metric: Metric;
  readonly op: Op;
  /** In the report's units: µs for latencies and outages, a fraction 0..1 for error_rate, calls/s for rps. */
  readonly limit: number;
}

type Parsed = { ok: true; value: Threshold } | { ok: false; error: string };

const LATENCY: readonly LatencyMetric[] = ["p50", "p90", "p95", "p99", "p99.9", "p99.99", "max", "mean", "min"];
/** k6's spellings, so a k6 user's bar means the same here. */
const ALIASES: Readonly<Record<string, Metric>> = { avg: "mean", med: "p50" };
/** outage: the outages' total length; outage_max: the longest one (issue 30). */
const OUTAGE: readonly OutageMetric[] = ["outage", "outage_max"];
const METRICS = `${LATENCY.join(", ")}, error_rate, rps, ${OUTAGE.join(", ")}`;

const US_PER: Readonly<Record<string, number>> = { ns: 0.001, us: 1, µs: 1, μs: 1, ms: 1000, s: 1_000_000 };
const NUMBER = /^\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;

function metricOf(name: string): Metric | undefined {
  const n = name.toLowerCase();
  const k6 = /^p\((\d+(?:\.\d+)?)\)$/.exec(n);
  const m = ALIASES[n] ?? (k6 ? `p${k6[1]}` : n);
  return (LATENCY as readonly string[]).includes(m) || m === "error_rate" || m === "rps" || isOutage(m as Metric)
    ? (m as Metric)
    : undefined;
}

/** "2ms", "500us", "500µs", "1.5s", "800ns" → µs. A bare number is refused: ms (k6) or µs (the report) would be a guess. */
function parseLatency(text: string): number | string {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|μs|ms|s)$/i.exec(text);
  if (m) return Number(m[1]) * (US_PER[(m[2] as string).toLowerCase()] ?? 1);
  if (NUMBER.test(text)) return `"${text}" needs a unit: 2ms, 500us, 1s`;
  return `"${text}" is not a duration (e.g. 2ms, 500us, 1s)`;
}

/** "0.1%" or the fraction "0.001" → a fraction. */
function parseRate(text: string): number | string {
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  const n = pct ? Number(pct[1]) / 100 : NUMBER.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(n)) return `"${text}" is not a rate (e.g. 0.1% or 0.001)`;
  return n > 1 ? `"${text}" is more than 100%` : n;
}

/** `[label:]metric op value`, e.g. `p99<2ms`, `crypto:p99.9<=5ms`, `error_rate<0.1%`, `rps>=5000`, `outage<500ms`. */
export function parseThreshold(text: string): Parsed {
  const bad = (why: string): Parsed => ({ ok: false, error: `--threshold "${text}": ${why}` });
  const t = text.trim();
  const colon = t.lastIndexOf(":");
  const scope = colon < 0 ? null : t.slice(0, colon).trim();
  if (scope === "") return bad("nothing before the colon (give a service, e.g. crypto:p99<5ms)");
  const m = /^([a-z_().0-9]+?)\s*(<=|>=|<|>|==?|!=)\s*(.+)$/i.exec(t.slice(colon + 1).trim());
  if (!m) return bad("expected METRIC<VALUE, e.g. p99<2ms, error_rate<1%, rps>=5000");
  const [, name, op, value] = m as unknown as [string, string, string, string];
  const metric = metricOf(name);
  if (metric === undefined) return bad(`unknown metric "${name}" (one of ${METRICS})`);
  if (op === "=" || op === "==" || op === "!=") return bad(`"${op}" is not a bar: use <, <=, > or >=`);
  // the server is down for every section at once: an outage is the run's, never one service's
  if (scope !== null && isOutage(metric))
    return bad(`${metric} is the whole run's, not one section's (drop "${scope}:", e.g. ${metric}<500ms)`);
  const limit =
    metric === "error_rate"
      ? parseRate(value.trim())
      : metric === "rps"
        ? rpsOf(value.trim())
        : parseLatency(value.trim());
  if (typeof limit === "string") return bad(limit);
  return { ok: true, value: { expr: t, scope, metric, op: op as Op, limit } };
}

function rpsOf(text: string): number | string {
  return NUMBER.test(text) ? Number(text) : `"${text}" is not a number of calls/s (e.g. 5000 or 1e4)`;
}

/** Every value of --threshold, parsed; the first bad one is the error. */
export function parseThresholds(
  texts: readonly string[],
): { ok: true; value: Threshold[] } | { ok: false; error: string } {
  const out: Threshold[] = [];
  for (const text of texts) {
    const p = parseThreshold(text);
    if (!p.ok) return p;
    out.push(p.value);
  }
  return { ok: true, value: out };
}

/** "pkg.Service.Method" and "pkg.Service/Method" name the same method, as --call takes both. */
function sameLabel(a: string, b: string): boolean {
  const slash = (s: string) => (s.includes("/") ? s : s.replace(/\.([^.]*)$/, "/$1"));
  return a === b || (a !== "echo" && a !== "crypto" && slash(a) === slash(b));
}

/**
 * Before the run: a bar that cannot be judged on the sections the run will have (`labels`: echo, crypto,
 * or --call's method as given) — a label the run has not, or a latency bar without a label on a run of two.
 */
export function checkScopes(thresholds: readonly Threshold[], labels: readonly string[]): string | undefined {
  for (const t of thresholds) {
    if (t.scope === null) {
      if (isLatency(t.metric) && labels.length > 1) {
        return `--threshold "${t.expr}": this run has ${labels.join(" and ")}: name one (e.g. ${labels[0]}:${t.expr})`;
      }
    } else if (!labels.some((l) => sameLabel(t.scope as string, l))) {
      return `--threshold "${t.expr}": this run has no "${t.scope}" (it has ${labels.join(", ")})`;
    }
  }
  return undefined;
}

const isLatency = (m: Metric): m is LatencyMetric => (LATENCY as readonly string[]).includes(m);
const isOutage = (m: Metric): m is OutageMetric => (OUTAGE as readonly string[]).includes(m);

const LATENCY_KEY: Readonly<Record<Exclude<LatencyMetric, "p95">, string>> = {
  p50: "p50",
  p90: "p90",
  p99: "p99",
  "p99.9": "p999",
  "p99.99": "p9999",
  max: "max",
  mean: "mean",
  min: "min",
};

type Measure = { value: number } | { note: string };

function latencyOf(s: Section, metric: LatencyMetric): Measure {
  const l = s.latency;
  if (l === null || l.count === 0) return { note: `no ${s.label} call completed` };
  // p95 is in the summary since it was added; a report saved before has it in the histogram.
  if (metric === "p95") {
    if (l.p95 !== undefined) return { value: l.p95 };
    return s.histogram === null ? { note: "no histogram" } : { value: decode(s.histogram).getValueAtPercentile(95) };
  }
  return { value: (l as unknown as Record<string, number>)[LATENCY_KEY[metric]] as number };
}

function measure(t: Threshold, r: BenchReport): Measure {
  // µs, as the bar's limit; a run without outages (or a report saved before them) had none: 0
  if (isOutage(t.metric)) return { value: outageMs(r, t.metric === "outage" ? "total" : "longest") * 1000 };
  const sections = sectionsOf(r);
  const names = sections.map((x) => x.label);
  let s: Section | undefined;
  if (t.scope !== null) {
    s = sections.find((x) => sameLabel(t.scope as string, x.label));
    if (s === undefined) return { note: `no "${t.scope}" in the report (it has ${names.join(", ")})` };
  }
  if (t.metric === "rps") return { value: s ? s.perSecond : r.total.requests_per_second };
  if (t.metric === "error_rate") {
    const [failed, total] = s ? [s.failed, s.total] : [r.total.failed, r.total.requests];
    return total === 0 ? { note: "no call was made" } : { value: failed / total };
  }
  if (s === undefined) {
    if (sections.length !== 1) return { note: `the run has ${names.join(" and ")}: name one` };
    s = sections[0] as Section;
  }
  return latencyOf(s, t.metric);
}

const holds = (v: number, op: Op, limit: number) =>
  op === "<" ? v < limit : op === "<=" ? v <= limit : op === ">" ? v > limit : v >= limit;

/** Each bar judged on the report (a run's, or a saved --json document). */
export function evaluate(thresholds: readonly Threshold[], report: BenchReport): ThresholdResult[] {
  return thresholds.map((t) => {
    const m = measure(t, report);
    const unit = t.metric === "error_rate" ? "fraction" : t.metric === "rps" ? "calls/s" : "us";
    const base = { expr: t.expr, scope: t.scope, metric: t.metric, op: t.op, limit: t.limit, unit } as const;
    if ("note" in m) return { ...base, measured: null, pass: false, note: m.note };
    return { ...base, measured: m.value, pass: holds(m.value, t.op, t.limit) };
  });
}

/** µs in the most readable unit: "850 μs", "1.23 ms", "2.5 s". */
export function formatMicros(us: number): string {
  if (us < 1000) return `${Number(us.toFixed(us < 10 ? 2 : 0))} μs`;
  if (us < 1_000_000) return `${Number((us / 1000).toFixed(2))} ms`;
  return `${Number((us / 1_000_000).toFixed(2))} s`;
}

function formatMeasured(r: ThresholdResult): string {
  if (r.measured === null) return r.note ?? "no figure";
  const v =
    r.unit === "fraction"
      ? `${Number((r.measured * 100).toPrecision(3))}%`
      : r.unit === "calls/s"
        ? `${r.measured.toFixed(2)}/s`
        : formatMicros(r.measured);
  return `${r.scope === null ? "" : `${r.scope} `}${r.metric} ${v}`;
}

/** `threshold p99<2ms: PASS (p99 1.23 ms)`. */
export function verdictLine(r: ThresholdResult): string {
  return `threshold ${r.expr}: ${r.pass ? "PASS" : "FAIL"} (${formatMeasured(r)})`;
}
