// Static SVG charts built as strings at render time: a line chart and a bar chart, no script. Every drawn
// series carries `data-points` (how many points it drew) and every chart `data-chart`, so a test reading the
// page can tell a chart that drew data from an empty frame.

export const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Tick {
  readonly at: number;
  readonly label: string;
}

interface Axis {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly Tick[];
  readonly title: string;
}

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  /** null: a gap (an interval with nothing to draw); the line breaks there. */
  readonly points: readonly ([number, number] | null)[];
  /** Draw each point as a mark (a scatter: filled dot or ring) instead of joining them with a line. */
  readonly marker?: "dot" | "ring";
  /** A line with a dot at each of its points (few points that each mean something: stages). */
  readonly vertices?: boolean;
}

interface LineChart {
  readonly chart: string;
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  /** Shaded x ranges (warm-up), with what they mean. */
  readonly bands?: readonly [number, number][];
  readonly bandLabel?: string;
  /** Windows of another kind (outages), each shaded apart with its own text written beside it. */
  readonly windows?: readonly ChartWindow[];
  readonly windowLabel?: string;
}

export interface ChartWindow {
  readonly from: number;
  readonly to: number;
  /** Written beside the window (its length). */
  readonly text: string;
  /** The tooltip: what the window was. */
  readonly title: string;
  readonly color?: string;
}

const W = 1100;
/** The plot and its axes end here; the legend rows follow. */
const H = 340;
const PAD = { left: 80, right: 20, top: 34, bottom: 48 };
const f = (n: number) => (Math.round(n * 10) / 10).toString();

function frame(c: { x: Axis; y: Axis }) {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const span = (a: Axis) => (a.max > a.min ? a.max - a.min : 1);
  const sx = (v: number) => PAD.left + ((v - c.x.min) / span(c.x)) * iw;
  const sy = (v: number) => PAD.top + ih - ((v - c.y.min) / span(c.y)) * ih;
  return { iw, ih, sx, sy };
}

function axes(c: { x: Axis; y: Axis }, sx: (v: number) => number, sy: (v: number) => number): string[] {
  const out: string[] = [];
  const bottom = H - PAD.bottom;
  for (const t of c.x.ticks) {
    const x = f(sx(t.at));
    out.push(`<line class="grid" x1="${x}" y1="${PAD.top}" x2="${x}" y2="${bottom}"/>`);
    out.push(`<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of c.y.ticks) {
    const y = f(sy(t.at));
    out.push(`<line class="grid" x1="${PAD.left}" y1="${y}" x2="${W - PAD.right}" y2="${y}"/>`);
    out.push(`<text class="tick" x="${PAD.left - 6}" y="${y}" dy="4" text-anchor="end">${escapeXml(t.label)}</text>`);
  }
  out.push(
    `<rect class="plot" x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${bottom - PAD.top}"/>`,
  );
  out.push(
    `<text class="axis" x="${PAD.left + (W - PAD.left - PAD.right) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(c.x.title)}</text>`,
  );
  out.push(
    `<text class="axis" transform="translate(16 ${PAD.top + (bottom - PAD.top) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(c.y.title)}</text>`,
  );
  return out;
}

/** Splits at the gaps: each run of points is one polyline. */
function segments(points: Series["points"]): [number, number][][] {
  const out: [number, number][][] = [[]];
  for (const p of points) {
    if (p === null) out.push([]);
    else out[out.length - 1]?.push(p);
  }
  return out.filter((s) => s.length > 0);
}

/**
 * A segment of more points than the plot has pixels, cut to each pixel column's lowest and highest point
 * (in x order), so a 10,000-interval run draws the same picture — spikes included — at a fifth of the size.
 */
export function decimate(seg: readonly [number, number][], columns: number): [number, number][] {
  if (seg.length <= 2 * columns) return [...seg];
  const x0 = seg[0]?.[0] ?? 0;
  const span = (seg[seg.length - 1]?.[0] ?? x0) - x0 || 1;
  const out: [number, number][] = [];
  let col = -1;
  let lo: [number, number] | undefined;
  let hi: [number, number] | undefined;
  const flush = () => {
    if (lo === undefined || hi === undefined) return;
    if (lo === hi) out.push(lo);
    else out.push(...(lo[0] <= hi[0] ? [lo, hi] : [hi, lo]));
  };
  for (const p of seg) {
    const at = Math.min(Math.floor(((p[0] - x0) / span) * columns), columns - 1);
    if (at !== col) {
      flush();
      col = at;
      lo = p;
      hi = p;
    } else {
      if (p[1] < (lo as [number, number])[1]) lo = p;
      if (p[1] > (hi as [number, number])[1]) hi = p;
    }
  }
  flush();
  return out;
}

export function lineChart(c: LineChart): string {
  const { sx, sy } = frame(c);
  const parts: string[] = [];
  const bottom = H - PAD.bottom;
  for (const [a, b] of c.bands ?? []) {
    const x0 = sx(Math.max(a, c.x.min));
    const x1 = sx(Math.min(b, c.x.max));
    parts.push(
      `<rect class="band" x="${f(x0)}" y="${PAD.top}" width="${f(Math.max(x1 - x0, 0))}" height="${bottom - PAD.top}"><title>${escapeXml(c.bandLabel ?? "")}</title></rect>`,
    );
  }
  parts.push(...axes(c, sx, sy));
  for (const s of c.series) {
    if (s.marker !== undefined) {
      parts.push(scatter(s, sx, sy));
      continue;
    }
    const drawn = segments(s.points).map((seg) => decimate(seg, W - PAD.left - PAD.right));
    const n = drawn.reduce((sum, seg) => sum + seg.length, 0);
    const dash = s.dash === undefined ? "" : ` stroke-dasharray="${s.dash}"`;
    const lines = drawn.map((seg) =>
      seg.length === 1
        ? `<circle cx="${f(sx(seg[0]?.[0] ?? 0))}" cy="${f(sy(seg[0]?.[1] ?? 0))}" r="2.5" fill="${s.color}"/>`
        : `<polyline fill="none" stroke="${s.color}" stroke-width="1.8"${dash} points="${seg.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(" ")}"/>`,
    );
    if (s.vertices === true)
      for (const seg of drawn) for (const [x, y] of seg) lines.push(mark({ ...s, marker: "dot" }, sx(x), sy(y)));
    parts.push(
      `<g class="series" data-series="${escapeXml(s.label)}" data-points="${n}"><title>${escapeXml(s.label)}</title>${lines.join("")}</g>`,
    );
  }
  // over the lines, translucent, so its text is never hidden by them
  parts.push(...windowMarks(c.windows ?? [], sx));
  // The legend goes under the plot, three to a row, so it hides no line however many runs are overlaid.
  const columns = 3;
  const colWidth = (W - PAD.left - PAD.right) / columns;
  const legend = c.series
    .map((s, i) => {
      const x = PAD.left + (i % columns) * colWidth;
      const y = H + 14 + Math.floor(i / columns) * 16;
      const dash = s.dash === undefined ? "" : ` stroke-dasharray="${s.dash}"`;
      const key =
        s.marker === undefined
          ? `<line x1="${f(x)}" y1="${y - 4}" x2="${f(x + 22)}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`
          : mark(s, x + 11, y - 4);
      return `${key}<text class="legend" x="${f(x + 28)}" y="${y}">${escapeXml(s.label)}</text>`;
    })
    .join("");
  const height = H + 14 + Math.ceil(c.series.length / columns) * 16;
  const band =
    (c.bands !== undefined && c.bands.length > 0
      ? `<rect class="band" x="${W - PAD.right - 220}" y="8" width="14" height="12"/><text class="legend" x="${W - PAD.right - 200}" y="18">${escapeXml(c.bandLabel ?? "")}</text>`
      : "") +
    (c.windows !== undefined && c.windows.length > 0
      ? `<rect class="outage" x="${W - PAD.right - 420}" y="8" width="14" height="12"/><text class="legend" x="${W - PAD.right - 400}" y="18">${escapeXml(c.windowLabel ?? "")}</text>`
      : "");
  return `<svg data-chart="${escapeXml(c.chart)}" viewBox="0 0 ${W} ${height}" role="img"><title>${escapeXml(c.title)}</title><text class="title" x="${PAD.left}" y="20">${escapeXml(c.title)}</text>${parts.join("")}<g class="legendbox">${legend}</g>${band}</svg>`;
}

/** Roughly how wide a label of the chart's 11px text is, to keep it inside the plot. */
const textWidth = (text: string) => text.length * 6.5;

/** Label rows a window's text may step down to before rows are reused. */
const LABEL_ROWS = 5;

/**
 * Windows shaded over the plot's height, each one's text beside it at the top: right of the window, or left
 * of it when it would run past the plot. A text that would overprint an earlier one steps down a row (the
 * first row where it is clear), so neighbouring windows, and the same window of overlaid runs, stay legible.
 */
function windowMarks(windows: readonly ChartWindow[], sx: (v: number) => number): string[] {
  const bottom = H - PAD.bottom;
  const rows: [number, number][][] = [];
  return windows.map((w, i) => {
    const x0 = Math.max(sx(w.from), PAD.left);
    const x1 = Math.min(Math.max(sx(w.to), x0 + 1), W - PAD.right);
    const width = textWidth(w.text);
    const right = x1 + 4 + width <= W - PAD.right;
    const tx = right ? x1 + 4 : x0 - 4;
    const span: [number, number] = right ? [tx, tx + width] : [tx - width, tx];
    const clear = (row: readonly [number, number][]) => row.every(([a, b]) => span[1] + 4 < a || span[0] > b + 4);
    let row = rows.findIndex(clear);
    if (row < 0) row = rows.length < LABEL_ROWS ? rows.push([]) - 1 : i % LABEL_ROWS;
    rows[row]?.push(span);
    const y = PAD.top + 14 + row * 14;
    const stroke = w.color === undefined ? "" : ` stroke="${w.color}"`;
    return `<g class="outage" data-outage="${i}"><title>${escapeXml(w.title)}</title><rect class="outage" x="${f(x0)}" y="${PAD.top}" width="${f(x1 - x0)}" height="${bottom - PAD.top}"${stroke}/><text class="outage-label" x="${f(tx)}" y="${y}" text-anchor="${right ? "start" : "end"}">${escapeXml(w.text)}</text></g>`;
  });
}

const mark = (s: Series, x: number, y: number) =>
  s.marker === "ring"
    ? `<circle cx="${f(x)}" cy="${f(y)}" r="3" fill="none" stroke="${s.color}" stroke-width="1.3"/>`
    : `<circle cx="${f(x)}" cy="${f(y)}" r="2.5" fill="${s.color}"/>`;

/** A scatter series: one mark per point, points on the same pixel drawn once (a long run stays small). */
function scatter(s: Series, sx: (v: number) => number, sy: (v: number) => number): string {
  const seen = new Set<string>();
  const marks: string[] = [];
  for (const p of s.points) {
    if (p === null) continue;
    const [x, y] = [Math.round(sx(p[0])), Math.round(sy(p[1]))];
    const key = `${x},${y}`;
    if (seen.has(key)) continue;
    seen.add(key);
    marks.push(mark(s, x, y));
  }
  return `<g class="series" data-series="${escapeXml(s.label)}" data-points="${marks.length}"><title>${escapeXml(s.label)}</title>${marks.join("")}</g>`;
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  /** Shown beside the bar; the value itself if absent. */
  readonly text?: string;
}

interface BarChart {
  readonly chart: string;
  readonly title: string;
  readonly bars: readonly Bar[];
  /** A marked limit (100% of a core), drawn as a dashed line. */
  readonly limit?: { readonly value: number; readonly label: string };
}

/** Horizontal bars, one row each. */
export function barChart(c: BarChart): string {
  const row = 18;
  const left = 260;
  const right = 120;
  const top = 34;
  const h = top + c.bars.length * row + 16;
  const max = Math.max(...c.bars.map((b) => b.value), c.limit?.value ?? 0, 1e-9);
  const scale = (v: number) => ((W - left - right) * v) / max;
  const rows = c.bars.map((b, i) => {
    const y = top + i * row;
    return `<text class="tick" x="${left - 6}" y="${y + 13}" text-anchor="end">${escapeXml(b.label)}</text><rect x="${left}" y="${y + 2}" width="${f(scale(b.value))}" height="${row - 5}" fill="${b.color}"><title>${escapeXml(`${b.label}: ${b.text ?? b.value}`)}</title></rect><text class="tick" x="${f(left + scale(b.value) + 6)}" y="${y + 13}">${escapeXml(b.text ?? String(b.value))}</text>`;
  });
  const limit =
    c.limit === undefined
      ? ""
      : `<line class="limit" x1="${f(left + scale(c.limit.value))}" y1="${top - 4}" x2="${f(left + scale(c.limit.value))}" y2="${h - 10}"/><text class="tick" x="${f(left + scale(c.limit.value))}" y="${top - 8}" text-anchor="middle">${escapeXml(c.limit.label)}</text>`;
  return `<svg data-chart="${escapeXml(c.chart)}" viewBox="0 0 ${W} ${h}" role="img"><title>${escapeXml(c.title)}</title><text class="title" x="10" y="20">${escapeXml(c.title)}</text><g class="bars" data-points="${c.bars.length}">${rows.join("")}</g>${limit}</svg>`;
}

/** Ticks at 1, 2, 5 × 10^k between lo and hi (log10 positions), labelled by `label`. */
export function logTicks(lo: number, hi: number, label: (v: number) => string): Tick[] {
  const out: Tick[] = [];
  for (let k = Math.floor(Math.log10(Math.max(lo, 1e-9))); 10 ** k <= hi * 1.0001; k++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v >= lo * 0.9999 && v <= hi * 1.0001) out.push({ at: Math.log10(v), label: label(v) });
    }
  }
  return out;
}

/** About `n` round linear ticks from lo to hi. */
export function linearTicks(lo: number, hi: number, label: (v: number) => string, n = 6): Tick[] {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: Tick[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) out.push({ at: v, label: label(v) });
  return out;
}
