// `bench --find-max`: runs the search's steps one after another, each a whole open-loop bench run at a
// constant rate (fresh connections, its own warm-up), prints each as it finishes, and decides the exit.
import { log } from "../../log.ts";
import { findMaxHtml } from "../../report/find-max/html.ts";
import {
  answerLines,
  type Ended,
  findMaxReport,
  headerLines,
  searchOf,
  stepLine,
} from "../../report/find-max/report.ts";
import { type FindMaxStep, judgeStep } from "../../report/find-max/step.ts";
import type { BenchReport } from "../../report/types.ts";
import { writeFd, writeText } from "../../sink.ts";
import type { BenchOptions } from "../options.ts";
import {
  type BenchExit,
  keepReport,
  prepareBench,
  reportOfRun,
  runOnce,
  THRESHOLD_FAILED,
  unreachableLine,
  withInterrupt,
} from "../run.ts";
import type { FindMaxSettings } from "./options.ts";
import { bracketOf, nextStep } from "./search.ts";

/**
 * Exit 0: an answer was found (the highest rate that met every SLO). 99: not even the first step met
 * them. 1: the server could not be reached or went away, or the search was interrupted — the steps so
 * far are still reported. 2: --call's input does not fit, before anything was sent.
 */
export async function runFindMax(given: BenchOptions, settings: FindMaxSettings): Promise<BenchExit> {
  const prepared = await prepareBench(given);
  if (!prepared.ok) return { code: prepared.code, error: prepared.error };
  const { opts, call } = prepared;
  // Text on stdout is the report itself; with --json or -o, the steps still show as they finish, on stderr.
  let stdoutError: string | undefined;
  const live = (line: string) => {
    if (!opts.json && !opts.output) stdoutError ??= writeFd(1, `${line}\n`);
    else if (!opts.quiet) process.stderr.write(`${line}\n`);
  };
  const header = headerLines(searchOf(settings, opts.warmupMs));
  for (const line of header) live(line);

  const startedAt = new Date();
  const t0 = performance.now();
  const steps: FindMaxStep[] = [];
  const reports = new Map<number, BenchReport>();
  let ended: Ended = "converged";
  let aborted: string | null = null;
  await withInterrupt(async (signal) => {
    for (;;) {
      const next = nextStep(
        settings,
        steps.map((s) => ({ rps: s.target_rps, pass: s.pass })),
      );
      if (next.kind === "done") {
        ended = next.reason;
        return;
      }
      // A step takes its warm-up and its length, and a little to connect; the bound is never overrun.
      if (performance.now() - t0 + opts.warmupMs + settings.stepMs > settings.boundMs) {
        ended = "time-bound";
        return;
      }
      const stepOpts: BenchOptions = { ...opts, rate: next.rps, durationMs: settings.stepMs, requests: undefined };
      const { outcome } = await runOnce(stepOpts, call, signal);
      if (outcome.kind === "unreachable") {
        aborted = unreachableLine(opts, outcome.error);
        ended = "aborted";
        return;
      }
      const report = reportOfRun(stepOpts, outcome);
      const step = judgeStep(
        { step: steps.length + 1, phase: next.phase, rps: next.rps },
        report,
        outcome.threads,
        settings.slos,
      );
      steps.push(step);
      reports.set(step.step, report);
      live(stepLine(step));
      if (report.aborted !== null) {
        aborted = report.aborted;
        ended = "aborted";
        return;
      }
    }
  });

  const result = findMaxReport({
    settings,
    bracket: bracketOf(steps.map((s) => ({ rps: s.target_rps, pass: s.pass }))),
    warmupMs: opts.warmupMs,
    startedAt,
    steps,
    reports,
    ended,
    aborted,
    durationS: (performance.now() - t0) / 1000,
  });
  const answer = answerLines(result);
  const failed: string[] = [];
  const write = (path: string | undefined, text: string) => {
    const e = writeText(path, text);
    if (e !== undefined) failed.push(`${path ?? "stdout"}: ${e}`);
  };
  if (opts.json) {
    write(opts.output, `${JSON.stringify(result, null, 2)}\n`);
    if (!opts.quiet) for (const line of answer) process.stderr.write(`${line}\n`);
  } else {
    const stepLines = steps.map(stepLine);
    if (opts.output) write(opts.output, `${[...header, ...stepLines, ...answer].join("\n")}\n`);
    for (const line of answer) live(line);
  }
  if (opts.htmlOutput !== undefined) {
    const page = findMaxHtml(result, reports);
    if (page.ok) write(opts.htmlOutput, page.html);
    else failed.push(`--html ${opts.htmlOutput}: ${page.error}`);
  }
  if (stdoutError !== undefined) failed.push(`stdout: ${stdoutError}`);
  if (failed.length > 0) keepReport(result, failed);
  if (aborted !== null) {
    if (steps.length === 0) return { code: 1, error: aborted };
    log.error(`search ended early: ${aborted}`);
    return { code: 1 };
  }
  if (failed.length > 0) return { code: 1 };
  return { code: result.answer === null ? THRESHOLD_FAILED : 0 };
}
