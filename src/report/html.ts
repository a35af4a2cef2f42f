// `grpcperf report --format html`: one self-contained page (inline style, SVG drawn here, no script, no
// network) for one or more saved runs overlaid, each run a colour. Every number on the page is a figure of
// the JSON as it stands (no rounding), so a reader can match the page to the file and tests can compare.

import type { Comparison } from "./compare.ts";
import type { LatencySummary } from "./histogram.ts";
import { outagesSection, outageWarning, outageWindows } from "./outages-html.ts";
import { readableBytes, readableCount, readableMicros } from "./readable.ts";
import { type NamedRendered, NO_TIMELINE, type TimelinePoint } from "./rendered.ts";
import { LATENCY_FIGURES, sectionsOf } from "./sections.ts";
import { sendLagTable } from "./send-lag.ts";
import { SPECTRUM_MAX_X, spectrum } from "./spectrum.ts";
import { kneeChart, type RunStyle, stagesTable } from "./stages-html.ts";
import { type Bar, barChart, escapeXml as esc, linearTicks, lineChart, logTicks, type Series } from "./svg.ts";
import type { ErrorRow } from "./types.ts";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const DASHES = [undefined, "6 3", "2 3", "8 3 2 3"];
const colorOf = (run: number) => COLORS[run % COLORS.length] as string;
const baseName = (file: string) => file.split("/").pop() ?? file;
/** A run's label: its --name, else its file's name. */
const runName = (n: NamedRendered) => n.report.name ?? baseName(n.file);

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1140px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle}
.warning{background:#fff3cd;border:1px solid #e0a800;padding:8px;margin:8px 0;font-weight:600}
.note{color:#555;font-style:italic}svg{display:block;margin:8px 0;background:#fff;width:100%;height:auto}
svg .grid{stroke:#e6e6e6}svg .plot{fill:none;stroke:#999}svg .tick{font-size:11px;fill:#444}
svg .axis{font-size:12px;fill:#222}svg .title{font-size:14px;font-weight:600;fill:#222}svg .legend{font-size:12px;fill:#222}
svg .band{fill:#f0e0a0;opacity:.55}svg rect.outage{fill:#d62728;fill-opacity:.16;stroke-opacity:.6}
svg .outage-label{font-size:11px;font-weight:600;fill:#a01010}svg .limit{stroke:#d62728;stroke-dasharray:5 3}
.kv td:first-child{text-align:left;color:#555}
table{display:block;max-width:100%;overflow-x:auto}td,th{white-space:nowrap}
.warning,.note,li{overflow-wrap:anywhere}`;

const cell = (v: unknown, attrs = "") => `<td${attrs}>${esc(v === null || v === undefined ? "–" : String(v))}</td>`;
const lcell = (v: unknown) => cell(v, ' class="l"');
/**
 * A figure shown readably ("1.23 ms") with the JSON's exact figure in data-value and the tooltip, so the page
 * reads at a glance and still matches the file to the digit.
 */
const figure = (v: number | null | undefined, show: (v: number) => string, attrs = "", unit = "") =>
  v === null || v === undefined
    ? cell(null, attrs)
    : `<td${attrs} data-value="${v}" title="${v}${unit}">${esc(show(v))}</td>`;
const microsCell = (v: number | null | undefined, attrs = "") => figure(v, readableMicros, attrs, " µs");
const countCell = (v: number | null | undefined, attrs = "") => figure(v, readableCount, attrs);

function runLabel(n: NamedRendered, i: number): string {
  return `<span class="swatch" style="background:${colorOf(i)}"></span>${esc(runName(n))}`;
}

function summaryTable(runs: readonly NamedRendered[]): string {
  const head = `<tr><th class="l">run</th><th class="l">section</th><th>calls</th><th>ok</th><th>failed</th><th>calls/s</th>${LATENCY_FIGURES.map(([h]) => `<th>${h}</th>`).join("")}<th>loader CPU-s</th></tr>`;
  const body = runs.flatMap((n, i) =>
    sectionsOf(n.report).map((row) => {
      const at = (metric: string) => ` data-run="${i}" data-section="${esc(row.label)}" data-metric="${metric}"`;
      return `<tr><td class="l">${runLabel(n, i)}</td>${lcell(row.label)}${countCell(row.total, at("calls"))}${countCell(row.ok, at("ok"))}${countCell(row.failed, at("failed"))}${countCell(row.perSecond, at("calls/s"))}${LATENCY_FIGURES.map(([m, k]) => microsCell(row.latency?.[k] ?? null, at(m))).join("")}${countCell(n.report.loader.process_cpu_s, at("loader_cpu_s"))}</tr>`;
    }),
  );
  const streaming = runs.some((n) => n.report.streams !== undefined);
  const note = streaming
    ? `<p class="note">Streaming runs: calls are streams and calls/s streams/s; latency is per message (bidi) or per stream.</p>`
    : "";
  return `<table data-table="summary">${head}${body.join("")}</table>${note}`;
}

/**
 * Open-loop runs: latency counts from each call's due time, service time from its send (docs/bench.md, "Closed and open loop"):
 * side by side per section, so queueing in the loader or the server shows as the gap between them.
 */
function serviceTimeTable(runs: readonly NamedRendered[]): string {
  const rows = runs.flatMap((n, i) =>
    n.report.services
      .filter((s) => s.service_time_us !== null)
      .map((s) => {
        const at = (m: string) => ` data-run="${i}" data-section="${esc(s.service)}" data-metric="${m}"`;
        const figures = (kind: string, l: LatencySummary | null) =>
          LATENCY_FIGURES.map(([m, k]) => microsCell(l?.[k] ?? null, at(`${kind}_${m}`))).join("");
        return `<tr><td class="l">${runLabel(n, i)}</td>${lcell(s.service)}${lcell("latency (from due)")}${figures("latency", s.latency_us)}</tr><tr><td class="l">${runLabel(n, i)}</td>${lcell(s.service)}${lcell("service time (from send)")}${figures("service", s.service_time_us)}</tr>`;
      }),
  );
  if (rows.length === 0) return "";
  const head = `<tr><th class="l">run</th><th class="l">section</th><th class="l">measure</th>${LATENCY_FIGURES.map(([h]) => `<th>${h}</th>`).join("")}</tr>`;
  return `<h2>Open loop: latency and service time</h2><table data-table="service-time">${head}${rows.join("")}</table>`;
}

function warnings(runs: readonly NamedRendered[]): string {
  const out: string[] = [];
  for (const n of runs) {
    const l = n.report.loader;
    const name = esc(runName(n));
    if (l.saturated && l.warnings.length === 0)
      out.push(
        `<div class="warning" data-warning="saturated">${name}: the loader was saturated: the figures may be the loader's limit, not the server's</div>`,
      );
    for (const w of l.warnings)
      out.push(`<div class="warning" data-warning="${l.saturated ? "saturated" : "loader"}">${name}: ${esc(w)}</div>`);
    out.push(...outageWarning(n.report, name));
    if (n.report.aborted !== null)
      out.push(
        `<div class="warning" data-warning="aborted">${name}: aborted: ${esc(n.report.aborted)} (partial results)</div>`,
      );
  }
  return out.join("");
}

/** Every whole-run histogram of a run: each service's latency, or each of the streams section's measures. */
function histogramsOf(n: NamedRendered): [string, string][] {
  const out: [string, string][] = n.report.services.map((s) => [s.service, s.histograms.latency]);
  const st = n.report.streams;
  if (st !== undefined)
    for (const [measure, h] of Object.entries(st.histograms)) if (h !== null) out.push([`${st.method} ${measure}`, h]);
  return out;
}

const micros = (v: number) => (v >= 1e6 ? `${v / 1e6} s` : v >= 1000 ? `${v / 1000} ms` : `${v} µs`);
const safeLog = (v: number) => Math.log10(Math.max(v, 1));

function spectrumChart(runs: readonly NamedRendered[]): string {
  const series: Series[] = [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = 1;
  runs.forEach((n, i) => {
    histogramsOf(n).forEach(([label, h], j) => {
      const pts = spectrum(h);
      for (const p of pts) {
        lo = Math.min(lo, p.value);
        hi = Math.max(hi, p.value);
      }
      series.push({
        label: `${runName(n)} · ${label}`,
        color: colorOf(i),
        dash: DASHES[j % DASHES.length],
        points: pts.map((p) => [p.x, safeLog(p.value)]),
      });
    });
  });
  if (series.every((s) => s.points.length === 0)) return `<p class="note">no latencies recorded</p>`;
  lo = Math.max(Math.min(lo, hi), 1);
  const y0 = Math.floor(Math.log10(lo));
  const y1 = Math.max(Math.ceil(Math.log10(hi)), y0 + 1);
  return lineChart({
    chart: "spectrum",
    title: "Latency by percentile (whole run, from the HDR histograms)",
    x: {
      min: 0,
      max: SPECTRUM_MAX_X,
      title: "percentile (log scale of 1/(1−p))",
      ticks: ["0%", "90%", "99%", "99.9%", "99.99%"].map((label, at) => ({ at, label })),
    },
    y: { min: y0, max: y1, title: "latency", ticks: logTicks(10 ** y0, 10 ** y1, micros) },
    series,
  });
}

/** Where a run's measurement began on its timeline (the end of its warm-up; 0 without one), s. */
const measuredStart = (n: NamedRendered) =>
  Math.max(0, ...(n.timeline?.points ?? []).filter((p) => p.warmup).map((p) => p.end_s));

/** Each run's own warm-up, on the aligned axis (before 0); overlapping bands of several runs shade deeper. */
function warmupBands(runs: readonly NamedRendered[]): [number, number][] {
  const bands: [number, number][] = [];
  for (const n of runs) {
    const off = measuredStart(n);
    const own: [number, number][] = [];
    for (const p of n.timeline?.points ?? []) {
      if (!p.warmup) continue;
      const last = own[own.length - 1];
      if (last !== undefined && p.start_s - off <= last[1]) last[1] = Math.max(last[1], p.end_s - off);
      else own.push([p.start_s - off, p.end_s - off]);
    }
    bands.push(...own);
  }
  return bands;
}

/** Each timed run's lines over time (latency p50/p99/max; achieved, target and failed rate) and their ranges. */
function seriesOverTime(timed: readonly (readonly [NamedRendered, number])[]) {
  const latSeries: Series[] = [];
  const rpsSeries: Series[] = [];
  let latHi = 1;
  let latLo = Number.POSITIVE_INFINITY;
  let rpsHi = 1;
  for (const [n, i] of timed) {
    const pts = n.timeline?.points ?? [];
    const name = runName(n);
    const off = measuredStart(n);
    const mid = (p: TimelinePoint) => (p.start_s + p.end_s) / 2 - off;
    for (const [key, dash] of [
      ["p50", undefined],
      ["p99", "6 3"],
      ["max", "2 3"],
    ] as const) {
      latSeries.push({
        label: `${name} ${key}`,
        color: colorOf(i),
        dash,
        points: pts.map((p) => (p.latency_us === null ? null : [mid(p), safeLog(p.latency_us[key])])),
      });
      for (const p of pts)
        if (p.latency_us !== null) {
          latHi = Math.max(latHi, p.latency_us[key]);
          latLo = Math.min(latLo, p.latency_us[key]);
        }
    }
    rpsSeries.push({ label: `${name} achieved`, color: colorOf(i), points: pts.map((p) => [mid(p), p.achieved_rps]) });
    if (pts.some((p) => p.target_rps !== null))
      rpsSeries.push({
        label: `${name} target`,
        color: colorOf(i),
        dash: "6 3",
        points: pts.map((p) => (p.target_rps === null ? null : [mid(p), p.target_rps])),
      });
    if (pts.some((p) => p.failed > 0))
      rpsSeries.push({
        label: `${name} failed`,
        color: colorOf(i),
        dash: "2 3",
        points: pts.map((p) => [mid(p), p.failed / Math.max(p.end_s - p.start_s, 1e-9)]),
      });
    for (const p of pts) rpsHi = Math.max(rpsHi, p.achieved_rps, p.target_rps ?? 0);
  }
  return { latSeries, rpsSeries, latHi, latLo, rpsHi };
}

function overTime(runs: readonly NamedRendered[]): string {
  const timed = runs.map((n, i) => [n, i] as const).filter(([n]) => n.timeline !== null);
  const notes = runs
    .filter((n) => n.timeline === null)
    .map((n) => `<p class="note" data-no-timeline="${esc(n.file)}">${esc(runName(n))}: ${NO_TIMELINE}</p>`);
  if (timed.length === 0) return notes.join("");
  // Overlaid runs are aligned on their measured start (0), so runs with different warm-ups line up.
  const ends = timed.flatMap(([n]) => (n.timeline?.points ?? []).map((p) => p.end_s - measuredStart(n)));
  const starts = timed.flatMap(([n]) => (n.timeline?.points ?? []).map((p) => p.start_s - measuredStart(n)));
  const t1 = Math.max(...ends, 1);
  const t0 = Math.min(...starts, 0);
  const title = t0 < 0 ? "time since the measured start (s; warm-up before 0)" : "time since start (s)";
  const x = { min: t0, max: t1, title, ticks: linearTicks(t0, t1, (v) => `${v}`) };
  const bands = warmupBands(runs);
  const { latSeries, rpsSeries, latHi, latLo, rpsHi } = seriesOverTime(timed);
  const y0 = Math.floor(Math.log10(Math.max(Math.min(latLo, latHi), 1)));
  const y1 = Math.max(Math.ceil(Math.log10(latHi)), y0 + 1);
  const bandLabel = "warm-up (not in the totals)";
  const windows = outageWindows(timed, {
    ...RUN_STYLE,
    zero: (n) => Date.parse(n.report.started_at) / 1000 + measuredStart(n),
  });
  const shaded = { bands, bandLabel, windows, windowLabel: "outage (server not there)" };
  const lat = lineChart({
    chart: "latency-over-time",
    title: "Latency over time (per interval: p50, p99, max)",
    x,
    y: { min: y0, max: y1, title: "latency", ticks: logTicks(10 ** y0, 10 ** y1, micros) },
    series: latSeries,
    ...shaded,
  });
  const rpsTop = rpsHi * 1.1;
  // A streaming run's timeline counts streams: the chart says so rather than "calls".
  const streams = timed.filter(([n]) => n.report.streams !== undefined).length;
  const unit =
    streams === 0 ? "calls/s" : streams === timed.length ? "streams/s" : "calls/s (streaming runs: streams/s)";
  const rps = lineChart({
    chart: "throughput-over-time",
    title: `Throughput over time (${unit} per interval: achieved, target, failed)`,
    x,
    y: { min: 0, max: rpsTop, title: unit, ticks: linearTicks(0, rpsTop, (v) => `${v}`) },
    series: rpsSeries,
    ...shaded,
  });
  return lat + rps + notes.join("");
}

function errorsSection(runs: readonly NamedRendered[]): string {
  const rows: [number, string, ErrorRow][] = [];
  runs.forEach((n, i) => {
    for (const s of n.report.services) for (const e of s.errors) rows.push([i, s.service, e]);
    const st = n.report.streams;
    if (st !== undefined) for (const e of st.errors) rows.push([i, st.method, e]);
  });
  if (rows.length === 0) return `<p class="note" data-errors="none">no failed calls in any run</p>`;
  const table = `<table data-table="errors"><tr><th class="l">run</th><th class="l">section</th><th class="l">status</th><th>code</th><th>count</th><th class="l">example</th></tr>${rows
    .map(
      ([i, section, e]) =>
        `<tr><td class="l">${runLabel(runs[i] as NamedRendered, i)}</td>${lcell(section)}${lcell(e.status)}${cell(e.code)}${cell(e.count, ` data-run="${i}" data-error="${e.code}"`)}${lcell(e.example)}</tr>`,
    )
    .join("")}</table>`;
  const bars: Bar[] = rows.map(([i, section, e]) => ({
    label: `${runName(runs[i] as NamedRendered)} ${section} ${e.status}`,
    value: e.count,
    color: colorOf(i),
  }));
  return barChart({ chart: "errors", title: "Failed calls by status", bars }) + table;
}

function connectionsSection(runs: readonly NamedRendered[]): string {
  const bars: Bar[] = runs.flatMap((n, i) =>
    n.report.connections.map((c) => ({
      label: `${runName(n)} #${c.index} (${c.shard === undefined ? "" : `shard ${c.shard} `}thread ${c.thread})`,
      value: c.calls,
      color: colorOf(i),
      text: `${c.calls}${c.connects > 1 ? `, ${c.connects} connects` : ""}${c.goaways > 0 ? `, ${c.goaways} GOAWAY` : ""}`,
    })),
  );
  if (bars.length === 0) return `<p class="note">no connections in the report</p>`;
  return barChart({ chart: "connections", title: "Calls (streams) per connection", bars });
}

function loaderSection(runs: readonly NamedRendered[]): string {
  const bars: Bar[] = runs.flatMap((n, i) =>
    n.report.loader.threads.map((t) => ({
      label: `${runName(n)} ${t.shard === undefined ? "" : `shard ${t.shard} `}thread ${t.thread}${t.saturated ? " SATURATED" : ""}`,
      value: (t.utilization ?? 0) * 100,
      color: t.saturated ? "#d62728" : colorOf(i),
      text: t.utilization === null ? "unknown" : `${t.utilization} of a core (${t.cpu_s} CPU-s in ${t.wall_s} s)`,
    })),
  );
  const table = `<table data-table="loader"><tr><th class="l">run</th><th>process CPU-s</th><th class="l">saturated</th></tr>${runs
    .map(
      (n, i) =>
        `<tr><td class="l">${runLabel(n, i)}</td>${cell(n.report.loader.process_cpu_s, ` data-run="${i}" data-metric="process_cpu_s"`)}${lcell(n.report.loader.saturated ? "YES" : "no")}</tr>`,
    )
    .join("")}</table>`;
  const chart =
    bars.length === 0
      ? ""
      : barChart({
          chart: "loader-cpu",
          title: "Loader CPU per thread (% of one core)",
          bars,
          limit: { value: 100, label: "one core" },
        });
  return chart + table;
}

const STREAM_MEASURES = [
  ["round_trip_us", "per-message round trip"],
  ["service_time_us", "per-message service time"],
  ["first_message_us", "time to first message"],
  ["gap_us", "gap between messages"],
  ["to_response_us", "time to response (from half-close)"],
  ["from_first_send_us", "time to response (from first send)"],
  ["duration_us", "stream duration"],
] as const;

function streamsSection(runs: readonly NamedRendered[]): string {
  const out: string[] = [];
  runs.forEach((n, i) => {
    const s = n.report.streams;
    if (s === undefined) return;
    const kv: [string, unknown][] = [
      ["method", s.method],
      ["kind", s.kind],
      ["match", s.match],
      ["messages per stream", s.messages_per_stream],
      ["message rate /s", s.message_rate],
      ["streams", s.total],
      ["ok", s.ok],
      ["failed", s.failed],
      ["cancelled at the end", s.cancelled],
      ["success rate %", s.success_rate],
      ["streams/s", s.streams_per_second],
      ["messages sent", s.messages.sent],
      ["messages received", s.messages.received],
      ["sent/s", s.messages.sent_per_second],
      ["received/s", s.messages.received_per_second],
    ];
    const measures = STREAM_MEASURES.filter(([k]) => s[k] !== null).map(([k, label]) => {
      const l = s[k] as LatencySummary;
      return `<tr>${lcell(label)}${[l.count, l.min, l.mean, l.p50, l.p90, l.p95 ?? null, l.p99, l.p999, l.p9999, l.max].map((v) => cell(v)).join("")}</tr>`;
    });
    out.push(
      `<h3>${runLabel(n, i)}</h3><table class="kv" data-table="streams">${kv.map(([k, v]) => `<tr>${lcell(k)}${cell(v)}</tr>`).join("")}</table>`,
      `<table data-table="stream-measures"><tr><th class="l">measure (µs)</th><th>n</th><th>min</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th></tr>${measures.join("")}</table>`,
    );
  });
  return out.length === 0
    ? ""
    : `<h2>Streams</h2>${out.join("")}<p class="note">Their spectra are in the percentile chart above, one line per measure.</p>`;
}

function thresholdsSection(runs: readonly NamedRendered[]): string {
  const rows = runs.flatMap((n, i) =>
    (n.report.thresholds ?? []).map(
      (t) =>
        `<tr><td class="l">${runLabel(n, i)}</td>${lcell(t.expr)}${cell(t.measured)}${cell(t.limit)}${lcell(t.unit)}${lcell(t.pass ? "pass" : "FAIL")}</tr>`,
    ),
  );
  return rows.length === 0
    ? ""
    : `<h2>Thresholds</h2><table data-table="thresholds"><tr><th class="l">run</th><th class="l">bar</th><th>measured</th><th>limit</th><th class="l">unit</th><th class="l">verdict</th></tr>${rows.join("")}</table>`;
}

/** The set-up's figures that read better in units: sizes in KiB/MiB/GiB, server-side delays in ms. */
const SETUP_UNITS: Readonly<Record<string, (v: number) => string>> = {
  "machine.memory_bytes": readableBytes,
  "options.payload_size": readableBytes,
  "options.server_delay_us": readableMicros,
  "options.server_busy_us": readableMicros,
};

function setupSection(runs: readonly NamedRendered[]): string {
  return runs
    .map((n, i) => {
      const r = n.report;
      const kv: [string, unknown][] = [
        ["file", n.file],
        ["report schema", r.schema],
        ["grpcperf", `${r.tool.version} (commit ${r.tool.commit})`],
        ["started at", r.started_at],
        ["mode", r.mode],
        ["duration s", r.duration_s],
        ["rate target /s", r.rate.target],
        ["rate achieved /s", r.rate.achieved],
        ["late sends", r.rate.late_sends],
        ...Object.entries(r.options).map(([k, v]): [string, unknown] => [
          `options.${k}`,
          // options.stages and concurrency_stages are objects: shown as their JSON, not [object Object]
          Array.isArray(v) ? v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ") : v,
        ]),
        ...Object.entries(r.machine).map(([k, v]): [string, unknown] => [`machine.${k}`, v]),
        [
          "time series",
          n.timeline === null ? NO_TIMELINE : `${n.timeline.points.length} intervals of ${n.timeline.interval_s} s`,
        ],
      ];
      const value = (k: string, v: unknown) => {
        const show = typeof v === "number" ? SETUP_UNITS[k] : undefined;
        return show === undefined ? lcell(v) : figure(v as number, show, ' class="l"');
      };
      return `<h3>${runLabel(n, i)}</h3><table class="kv" data-table="setup" data-run="${i}">${kv.map(([k, v]) => `<tr>${lcell(k)}${value(k, v)}</tr>`).join("")}</table>`;
    })
    .join("");
}

const RUN_STYLE: RunStyle = { color: colorOf, name: runName, label: runLabel, micros };

/** The stages table (runs with stages) and the knee curve (runs with a time series); nothing for neither. */
function stagesAndKnee(runs: readonly NamedRendered[]): string {
  const table = stagesTable(runs, RUN_STYLE);
  const knee = runs.some((n) => n.timeline !== null)
    ? `<h2>Latency against throughput</h2>${kneeChart(runs, RUN_STYLE)}`
    : "";
  return (table === "" ? "" : `<h2>Stages</h2>${table}`) + knee;
}

/** compare's table: each figure per run, and each later run's ratio to the first, as `grpcperf compare` prints. */
function comparisonTable(c: Comparison): string {
  const head = `<tr><th class="l">section</th><th class="l">figure</th>${c.runs.map((r, i) => `<th>${esc(r.name ?? baseName(r.file))}</th>${i === 0 ? "" : "<th>vs 1st</th>"}`).join("")}</tr>`;
  const rows = c.rows.map((row) => {
    const cells = row.values.map((v, i) => {
      const ratio = row.ratios[i];
      const shown =
        i === 0
          ? ""
          : cell(ratio === null || ratio === undefined ? null : `×${ratio.toFixed(2)}`, ` data-ratio="${i}"`);
      return cell(v, ` data-value="${i}"`) + shown;
    });
    return `<tr data-metric="${esc(row.metric)}">${lcell(row.section ?? "all")}${lcell(`${row.metric} (${row.unit === "us" ? "µs" : row.unit})`)}${cells.join("")}</tr>`;
  });
  return `<table data-table="compare">${head}${rows.join("")}</table>`;
}

/**
 * The page; `notes` are the caller's own warnings, shown with the runs' (compare's set-up differences), and
 * `comparison` compare's ratio table, shown first.
 */
export function formatHtml(
  runs: readonly NamedRendered[],
  notes: readonly string[] = [],
  comparison?: Comparison,
): string {
  const noted = notes.map((t) => `<div class="warning" data-warning="note">${esc(t)}</div>`).join("");
  const legend = runs.map((n, i) => `<li>${runLabel(n, i)}</li>`).join("");
  const body = [
    `<h1>grpcperf bench report</h1><ul class="runs" data-legend>${legend}</ul>`,
    noted + warnings(runs),
    comparison === undefined ? "" : `<h2>Compared with the first run</h2>${comparisonTable(comparison)}`,
    `<h2>Summary</h2>${summaryTable(runs)}`,
    serviceTimeTable(runs),
    `<h2>Latency percentiles</h2>${spectrumChart(runs)}`,
    `<h2>Over time</h2>${overTime(runs)}`,
    outagesSection(runs, RUN_STYLE),
    stagesAndKnee(runs),
    `<h2>Errors by status</h2>${errorsSection(runs)}`,
    `<h2>Connections</h2>${connectionsSection(runs)}`,
    `<h2>Loader CPU</h2>${loaderSection(runs)}`,
    sendLagTable(runs, (i) => runLabel(runs[i] as NamedRendered, i)),
    streamsSection(runs),
    thresholdsSection(runs),
    `<h2>Options, machine, version</h2>${setupSection(runs)}`,
  ];
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>grpcperf report: ${esc(runs.map((n) => runName(n)).join(", "))}</title><style>${STYLE}</style></head><body>${body.join("\n")}</body></html>\n`;
}
