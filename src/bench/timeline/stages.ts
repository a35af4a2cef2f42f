// The report's per-stage figures (--stages / --load-schedule), derived from the measured timeline points:
// each point goes to the stage its middle falls in (the last stage also takes a tail point past its end),
// so a stage's figures are as fine as --interval (a point straddling two stages counts in one). Pure.
import { merge } from "../histogram.ts";
import type { StageReport, TimelinePoint } from "../report/types.ts";
import type { Stage } from "../schedule.ts";
import { intervalLatency } from "./report.ts";

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function stagesReport(
  points: readonly TimelinePoint[],
  stages: readonly Stage[],
  warmupMs: number,
): StageReport[] {
  const measured = points.filter((p) => !p.warmup);
  const out: StageReport[] = [];
  let startMs = warmupMs;
  stages.forEach((s, i) => {
    const endMs = startMs + s.durationMs;
    const last = i === stages.length - 1;
    const mine = measured.filter((p) => {
      const mid = ((p.start_s + p.end_s) / 2) * 1000;
      return mid >= startMs && (mid < endMs || last);
    });
    let ok = 0;
    let failed = 0;
    let lengthS = 0;
    for (const p of mine) {
      ok += p.ok;
      failed += p.failed;
      lengthS += p.end_s - p.start_s;
    }
    const h = merge(mine.map((p) => p.histogram));
    out.push({
      start_s: round(startMs / 1000, 3),
      end_s: round(endMs / 1000, 3),
      target_rps_from: s.fromRps,
      target_rps_to: s.toRps,
      ok,
      failed,
      achieved_rps: lengthS > 0 ? round((ok + failed) / lengthS, 1) : 0,
      latency_us: intervalLatency(h),
    });
    startMs = endMs;
  });
  return out;
}
