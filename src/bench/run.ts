// `grpcperf bench` end to end, below the flag parsing: run, report, decide the exit code. The pieces
// (prepareBench, runOnce, reportOfRun) are also the steps of a capacity search (find-max/).
import { log } from "../log.ts";
import { formatCsv } from "../report/csv.ts";
import { formatHtml } from "../report/html.ts";
import { formatJson } from "../report/json.ts";
import { formatMarkdown } from "../report/markdown.ts";
import { markedFailure, markedReport } from "../report/markers.ts";
import { renderedOf } from "../report/rendered.ts";
import { formatText } from "../report/text.ts";
import { evaluate, THRESHOLD_FAILED, type Threshold, verdictLine } from "../report/threshold.ts";
import type { BenchReport } from "../report/types.ts";
import { saveFallback, writeText } from "../sink.ts";
import { formatAddress } from "../transport/address.ts";
import { commit, VERSION } from "../version.ts";
import { prepareCall } from "./call-prepare.ts";
import { serverClockOffsetMs } from "./clock-check.ts";
import { type RunOutcome, startRun } from "./coordinator.ts";
import { describeMachine } from "./machine.ts";
import type { BenchOptions } from "./options.ts";
import { terminalProgress } from "./progress.ts";
import { buildReport } from "./summary.ts";

export interface BenchExit {
  readonly code: number;
  /** One line for stderr when the run could not happen at all. */
  readonly error?: string;
}

type CallSpec = Parameters<typeof startRun>[2];

/** The options a run goes with, once --call's schema is found (and its requests encoded, once). */
type PreparedBench =
  | { readonly ok: true; readonly opts: BenchOptions; readonly call: CallSpec }
  | { readonly ok: false; readonly code: number; readonly error: string };

export async function prepareBench(given: BenchOptions): Promise<PreparedBench> {
  if (given.call === undefined) return { ok: true, opts: given, call: undefined };
  const prepared = await prepareCall(given, given.call);
  if (!prepared.ok) return { ok: false, code: prepared.code, error: prepared.error };
  // A streaming method: the stream/ loops run it, with the --stream-* settings kept for it.
  if (prepared.stream && given.callStream) {
    const { given: _, ...settings } = given.callStream;
    return {
      ok: true,
      opts: { ...given, call: undefined, stream: settings, streamWorkload: prepared.stream },
      call: prepared.call,
    };
  }
  if (given.callStream?.given) {
    return { ok: false, code: 2, error: `--stream-messages/--stream-rate: ${given.call.method} is a unary method` };
  }
  return { ok: true, opts: given, call: prepared.call };
}

/** A live run's label on its page: --name, else what it loaded (not the HTML file's name). */
const runName = (r: BenchReport) => r.name ?? `bench ${r.options.server}`;

/** -O html, csv or markdown: the run as `grpcperf report` renders a saved one. */
function formatAs(format: "html" | "csv" | "markdown", report: BenchReport, name: string): string {
  const named = renderedOf(report, name);
  if (!named.ok) return formatJson(report);
  return format === "html"
    ? formatHtml([named.named])
    : format === "csv"
      ? formatCsv([named.named])
      : formatMarkdown([named.named]);
}

/** SIGINT/SIGTERM as an AbortSignal, for as long as `body` runs. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await body(ac.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** A run's outcome, with the server-clock estimate --start-at made before it (undefined without one). */
type RunResult = { readonly outcome: RunOutcome; readonly clockOffsetMs: number | null | undefined };

/** One run, with the live line on a terminal; `signal` ends it early as "interrupted". */
export async function runOnce(opts: BenchOptions, call: CallSpec, signal: AbortSignal): Promise<RunResult> {
  // --start-at: shards read the time on their own clocks, so see first how far ours is from the server's.
  const clockOffsetMs = opts.startAtMs === undefined ? undefined : await serverClockOffsetMs(opts);
  const live = !opts.quiet && process.stderr.isTTY === true ? terminalProgress(process.stderr) : undefined;
  const run = startRun(opts, live?.show, call, (start) => {
    if (start === undefined) return;
    const waitS = (start.warmupFromEpochMs - Date.now()) / 1000;
    if (waitS > 3600)
      log.warn(`--start-at is ${Math.round(waitS / 60)} min away: is it (or this machine's clock) right?`);
    if (waitS > 1) log.info(`connected; waiting ${waitS.toFixed(1)} s for --start-at`);
  });
  const onAbort = () => run.stop("interrupted");
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort);
  try {
    return { outcome: await run.outcome, clockOffsetMs };
  } finally {
    signal.removeEventListener("abort", onAbort);
    live?.clear();
  }
}

/** The line for a run that could not start; the transport's message already names the address. */
export function unreachableLine(opts: BenchOptions, error: string): string {
  return error.startsWith("cannot") ? error : `cannot reach ${formatAddress(opts.server)}: ${error}`;
}

export function reportOfRun(
  opts: BenchOptions,
  outcome: Extract<RunOutcome, { kind: "finished" }>,
  clockOffsetMs?: number | null,
): BenchReport {
  return buildReport({
    options: opts,
    startedAt: outcome.startedAt,
    threads: outcome.threads,
    processCpuSec: outcome.processCpuSec,
    aborted: outcome.aborted,
    machine: describeMachine(),
    tool: { name: "grpcperf", version: VERSION, commit: commit() },
    ...(outcome.start ? { start: outcome.start } : {}),
    ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
  });
}

/** One line for a run in which nothing succeeded: how many, and the statuses by name. */
function allFailedLine(r: BenchReport): string {
  const rows = (r.streams?.errors ?? r.services.flatMap((s) => s.errors)).slice().sort((a, b) => b.count - a.count);
  const first = rows[0];
  const what = r.streams ? "stream" : "call";
  const statuses = rows.map((e) => `${e.status} ×${e.count}`).join(", ");
  return `every ${what} failed (${r.total.failed} of ${r.total.requests})${statuses === "" ? "" : `: ${statuses}`}${first === undefined ? "" : `, e.g. "${first.example}"`}`;
}

/** Something answered: a streaming run cut by -z may end with every stream cancelled yet many messages answered. */
const answered = (r: BenchReport): boolean =>
  r.total.ok > 0 || (r.streams !== undefined && r.streams.messages.received > 0);

/**
 * A report that could not be written where asked is not lost: its JSON goes to a fallback file, named on
 * stderr. False when even that failed.
 */
export function keepReport(report: unknown, failed: readonly string[]): void {
  const saved = saveFallback(`${JSON.stringify(report, null, 2)}\n`);
  log.error(
    `cannot write the report (${failed.join("; ")}); ${saved === undefined ? "no fallback file could be written either" : `the JSON report is saved in ${saved}`}`,
  );
}

/**
 * Exit code 0: the run completed and at least one call succeeded. 1: the server could not be reached,
 * went away mid-run (the partial report is still printed), the run was interrupted, or every call failed
 * (streaming: no stream ok and no message answered), or the report could not be written (then saved aside).
 * 2: --call's input does not fit (unknown method, bad JSON or schema), before anything was sent.
 * 99: the run itself succeeded (0) but a --threshold failed; 1 wins over 99, as a failed run proves nothing.
 */
export async function runBench(given: BenchOptions, thresholds: readonly Threshold[] = []): Promise<BenchExit> {
  const exit = await runBenchInner(given, thresholds);
  // --report-markers: a run that made no report still says so between markers, so a merge names the shard.
  if (exit.error !== undefined && given.reportMarkers) process.stdout.write(markedFailure(given.shard, exit.error));
  return exit;
}

async function runBenchInner(given: BenchOptions, thresholds: readonly Threshold[]): Promise<BenchExit> {
  const prepared = await prepareBench(given);
  if (!prepared.ok) return { code: prepared.code, error: prepared.error };
  const { opts, call } = prepared;
  const { outcome, clockOffsetMs } = await withInterrupt((signal) => runOnce(opts, call, signal));
  if (outcome.kind === "unreachable") return { code: 1, error: unreachableLine(opts, outcome.error) };
  const built = reportOfRun(opts, outcome, clockOffsetMs);
  const verdicts = evaluate(thresholds, built);
  const report = verdicts.length > 0 ? { ...built, thresholds: verdicts } : built;
  const text = opts.reportMarkers
    ? markedReport(report)
    : opts.json
      ? formatJson(report)
      : opts.format
        ? formatAs(opts.format, report, runName(report))
        : formatText(report);
  const failed: string[] = [];
  const written = writeText(opts.output, text);
  if (written !== undefined) failed.push(`${opts.output ?? "stdout"}: ${written}`);
  if (opts.htmlOutput !== undefined) {
    const named = renderedOf(report, runName(report));
    const html = named.ok ? writeText(opts.htmlOutput, formatHtml([named.named])) : named.error;
    if (html !== undefined) failed.push(`--html ${opts.htmlOutput}: ${html}`);
  }
  if (failed.length > 0) keepReport(report, failed);
  if (report.aborted) log.error(`run ended early: ${report.aborted}`);
  if (!answered(report)) log.error(allFailedLine(report));
  // The text report on stdout already carries the warnings; elsewhere, say them on stderr too.
  if (opts.json || opts.output) for (const w of report.loader.warnings) log.warn(w);
  // The verdicts are the point of a gated run: on stderr even with --quiet, one plain line each.
  for (const v of verdicts) process.stderr.write(`${verdictLine(v)}\n`);
  if (report.aborted !== null || !answered(report) || failed.length > 0) return { code: 1 };
  return { code: verdicts.some((v) => !v.pass) ? THRESHOLD_FAILED : 0 };
}
