// `bench --find-max --html FILE`: the search as the report page draws a staged run. The steps become the
// page's stages, in order of rate, so its stages table lists them and its knee curve runs through them
// (latency against achieved throughput: where the server turns over); the rest of the page is the answering
// step's run (or, without an answer, the last step's). The search's verdict heads the page. Pure.
import { formatHtml } from "../html.ts";
import { renderedOf } from "../rendered.ts";
import type { BenchReport, StageErrorRow, StageReport } from "../types.ts";
import { answerLines, type FindMaxReport, headerLines } from "./report.ts";
import type { FindMaxStep } from "./step.ts";

const round = (x: number) => Math.round(x * 1000) / 1000;

function errorsOf(r: BenchReport): StageErrorRow[] {
  const rows = [...r.services.flatMap((s) => s.errors), ...(r.streams?.errors ?? [])];
  const by = new Map<number, StageErrorRow>();
  for (const e of rows) {
    const prev = by.get(e.code);
    by.set(e.code, { code: e.code, status: e.status, count: (prev?.count ?? 0) + e.count });
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.code - b.code);
}

/** One step as a stage of the search: its measured window in seconds from the search's start. */
function stageOf(step: FindMaxStep, report: BenchReport, searchStartMs: number): StageReport {
  const startS = round((Date.parse(report.started_at) - searchStartMs) / 1000 + report.options.warmup_s);
  const l = step.latency_us;
  return {
    start_s: startS,
    end_s: round(startS + (report.options.duration_s ?? 0)),
    target_rps_from: step.target_rps,
    target_rps_to: step.target_rps,
    ok: step.ok,
    failed: step.failed,
    errors: errorsOf(report),
    achieved_rps: step.achieved_rps,
    latency_us: l === null ? null : { p50: l.p50, p90: l.p90, p95: l.p95, p99: l.p99, p99_9: l.p999, max: l.max },
    sent: step.sent,
    late_sends: step.late_sends,
    loader_utilization: step.loader_utilization,
    loader_saturated: step.loader_limited,
  };
}

export function findMaxHtml(
  r: FindMaxReport,
  reports: ReadonlyMap<number, BenchReport>,
): { ok: true; html: string } | { ok: false; error: string } {
  const shown = r.answer?.step ?? r.steps.length;
  const base = reports.get(shown);
  if (base === undefined) return { ok: false, error: "no step ran, so there is nothing to draw" };
  const searchStartMs = Date.parse(r.started_at);
  const stages = [...r.steps]
    .sort((a, b) => a.target_rps - b.target_rps || a.step - b.step)
    .flatMap((s) => {
      const report = reports.get(s.step);
      return report ? [stageOf(s, report, searchStartMs)] : [];
    });
  // the legend's name for the run: which step the page's other sections show
  const named = renderedOf({ ...base, stages }, `find-max step ${shown} (${r.steps[shown - 1]?.target_rps}/s)`);
  if (!named.ok) return named;
  const notes = [
    ...headerLines(r.search).slice(0, 2),
    ...answerLines(r).filter((line) => line !== ""),
    `The stages below are the search's ${r.steps.length} steps, in order of rate; the rest of the page is step ${shown}'s run.`,
  ];
  return { ok: true, html: formatHtml([named.named], notes) };
}
