// `bench --find-max`: runs the search's steps one after another, each a whole open-loop bench run at a
// constant rate (fresh connections, its own warm-up), prints each as it finishes, and decides the exit.
import { openLoad } from "../../load/shape.ts";
import { log } from "../../log.ts";
import { findMaxHtml } from "../../report/find-max/html.ts";
import { type Ended, findMaxReport, searchOf } from "../../report/find-max/report.ts";
import { type FindMaxStep, judgeStep } from "../../report/find-max/step.ts";
import { answerLines, headerLines, stepLine } from "../../report/find-max/text.ts";
import { THRESHOLD_FAILED } from "../../report/threshold.ts";
import type { BenchReport } from "../../report/types.ts";
import { writeFd, writeText } from "../../sink.ts";
import type { BenchOptions } from "../options.ts";
import {
  type BenchExit,
  keepReport,
  prepareBench,
  reportOfRun,
  runOnce,
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
  const s = await withInterrupt((signal) => search(opts, call, settings, { live, t0 }, signal));
  const result = findMaxReport({
    settings,
    bracket: bracketOf(s.steps.map(outcomeOf)),
    warmupMs: opts.warmupMs,
    startedAt,
    steps: s.steps,
    reports: s.reports,
    ended: s.ended,
    aborted: s.aborted,
    durationS: (performance.now() - t0) / 1000,
  });
  const failed = writeResult(opts, result, s, header, live);
  if (stdoutError !== undefined) failed.push(`stdout: ${stdoutError}`);
  if (failed.length > 0) keepReport(result, failed);
  if (s.aborted !== null) {
    if (s.steps.length === 0) return { code: 1, error: s.aborted };
    log.error(`search ended early: ${s.aborted}`);
    return { code: 1 };
  }
  if (failed.length > 0) return { code: 1 };
  return { code: result.answer === null ? THRESHOLD_FAILED : 0 };
}

const outcomeOf = (x: FindMaxStep) => ({ rps: x.target_rps, pass: x.pass, loaderLimited: x.loader_limited });

interface Searched {
  readonly steps: FindMaxStep[];
  readonly reports: Map<number, BenchReport>;
  ended: Ended;
  aborted: string | null;
}

/** The steps one after another until the search ends, the -z bound nears, or a step is cut short. */
async function search(
  opts: BenchOptions,
  call: Parameters<typeof runOnce>[1],
  settings: FindMaxSettings,
  /** `live` shows each step as it ends; `t0` is when the search began (performance.now()). */
  { live, t0 }: { live: (line: string) => void; t0: number },
  signal: AbortSignal,
): Promise<Searched> {
  const s: Searched = { steps: [], reports: new Map(), ended: "converged", aborted: null };
  for (;;) {
    const next = nextStep(settings, s.steps.map(outcomeOf));
    if (next.kind === "done") {
      s.ended = next.reason;
      return s;
    }
    // A step takes its warm-up and its length, and a little to connect; the bound is never overrun.
    if (performance.now() - t0 + opts.warmupMs + settings.stepMs > settings.boundMs) {
      s.ended = "time-bound";
      return s;
    }
    const stepOpts: BenchOptions = {
      ...opts,
      load: openLoad(next.rps),
      durationMs: settings.stepMs,
      requests: undefined,
    };
    const { outcome } = await runOnce(stepOpts, call, signal);
    if (outcome.kind === "unreachable") {
      s.aborted = unreachableLine(opts, outcome.error);
      s.ended = "aborted";
      return s;
    }
    const report = reportOfRun(stepOpts, outcome);
    const step = judgeStep(
      { step: s.steps.length + 1, phase: next.phase, rps: next.rps },
      report,
      outcome.threads,
      settings.slos,
    );
    s.steps.push(step);
    s.reports.set(step.step, report);
    live(stepLine(step));
    if (report.aborted !== null) {
      s.aborted = report.aborted;
      s.ended = "aborted";
      return s;
    }
  }
}

/** The search's report to -o or stdout, and --html; returns what could not be written. */
function writeResult(
  opts: BenchOptions,
  result: ReturnType<typeof findMaxReport>,
  s: Searched,
  header: readonly string[],
  live: (line: string) => void,
): string[] {
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
    const stepLines = s.steps.map(stepLine);
    if (opts.output) write(opts.output, `${[...header, ...stepLines, ...answer].join("\n")}\n`);
    for (const line of answer) live(line);
  }
  if (opts.htmlOutput !== undefined) {
    const page = findMaxHtml(result, s.reports);
    if (page.ok) write(opts.htmlOutput, page.html);
    else failed.push(`--html ${opts.htmlOutput}: ${page.error}`);
  }
  return failed;
}
