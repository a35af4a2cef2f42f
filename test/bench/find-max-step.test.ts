// Judging one step of a capacity search (src/report/find-max/step.ts): the SLO verdicts, and when the loader rather
// than the server is named as the limit. The step is a real open-loop run; the loader's figures are then
// set to each case, since a saturated loader cannot be ordered up on demand.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { judgeStep } from "../../src/report/find-max/step.ts";
import type { ThreadResult } from "../../src/report/records.ts";
import { parseThresholds } from "../../src/report/threshold.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { echoService } from "../../src/server/echo.ts";
import { benchOptions, reportOf } from "../support/bench-helpers.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";

const slos = (...t: string[]) => {
  const p = parseThresholds(t);
  if (!p.ok) throw new Error(p.error);
  return p.value;
};

describe("judgeStep", () => {
  let srv: TestServer;
  let report: BenchReport;
  let threads: readonly ThreadResult[];
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()]);
    const r = await reportOf(benchOptions({ server: srv.target, rate: "200", duration: "1s", threads: "1" }));
    report = r.report;
    threads = r.outcome.threads;
  });
  afterAll(() => srv.stop());

  const at = { step: 3, phase: "bisect" as const, rps: 200 };
  const withLoader = (utilization: number, late: number) => ({
    ...report,
    // only the 2 ms late count speaks here: the real run's own lag and stalls (a busy test machine) are cleared
    rate: { ...report.rate, late_sends: late, lagging_sends: 0, stalls: undefined },
    loader: { ...report.loader, threads: report.loader.threads.map((t) => ({ ...t, utilization })) },
  });
  const withWaits = (slotWaits: number) => threads.map((t) => ({ ...t, slotWaits }));

  test("figures come from the run; bars judged on it", () => {
    const s = judgeStep(at, report, threads, slos("p99<10s", "error_rate<1%"));
    expect(s).toMatchObject({ step: 3, phase: "bisect", target_rps: 200, pass: true, failed: 0, error_rate: 0 });
    expect(s.ok).toBe(report.total.ok);
    expect(s.latency_us?.count).toBe(report.total.ok);
    expect(s.slo.map((v) => v.pass)).toEqual([true, true]);
    expect(judgeStep(at, report, threads, slos("p50<1us")).pass).toBe(false);
  });

  test("a saturated load thread makes the step loader-limited", () => {
    expect(judgeStep(at, withLoader(0.95, 0), threads, slos("p99<10s")).loader_limited).toBe(true);
    expect(judgeStep(at, withLoader(0.5, 0), threads, slos("p99<10s")).loader_limited).toBe(false);
  });

  test("late sends with slots free beyond 5% make it loader-limited; waits for a slot make it the server's", () => {
    const sent = threads.reduce((n, t) => n + t.sent, 0);
    const many = Math.ceil(sent * 0.2);
    expect(judgeStep(at, withLoader(0.1, many), withWaits(0), slos("p99<10s")).loader_limited).toBe(true);
    expect(judgeStep(at, withLoader(0.1, Math.floor(sent * 0.04)), withWaits(0), slos("p99<10s")).loader_limited).toBe(
      false,
    );
    // 8% of the sends late with a slot free, but more sends waited for a slot: an overloaded server
    const waits = Math.ceil(many * 0.6);
    expect(judgeStep(at, withLoader(0.1, many), withWaits(waits), slos("p99<10s")).loader_limited).toBe(false);
  });

  test("a step cut short does not pass, whatever its figures", () => {
    const s = judgeStep(at, { ...report, aborted: "server went away: x" }, threads, slos("p99<10s"));
    expect(s.pass).toBe(false);
    expect(s.aborted).toBe("server went away: x");
  });
});
