// `grpcperf report FILE.json…`: saved bench reports rendered as text, JSON, CSV (the time series), Markdown
// or one self-contained HTML page (src/report/: html.ts, csv.ts, markdown.ts, text.ts).
import { defineCommand } from "citty";
import { log } from "../log.ts";
import { formatCsv } from "../report/csv.ts";
import { formatHtml } from "../report/html.ts";
import { formatMarkdown, timelineLine } from "../report/markdown.ts";
import type { NamedRendered } from "../report/rendered.ts";
import { readRuns } from "../report/runs.ts";
import { formatText } from "../report/text.ts";
import { evaluate, parseThresholds, THRESHOLD_FAILED, type Threshold, verdictLine } from "../report/threshold.ts";
import { CliError } from "./args.ts";
import { withHelp } from "./help.ts";
import { writeOutput } from "./output.ts";
import { repeated } from "./repeated.ts";
import { runMerge } from "./report-merge.ts";

const FORMATS = ["text", "json", "csv", "markdown", "html"] as const;
type Format = (typeof FORMATS)[number];

/** Several files: text sections under a `### FILE` line each, JSON an array of the documents. */
function render(format: Format, runs: readonly NamedRendered[]): string {
  switch (format) {
    case "html":
      return formatHtml(runs);
    case "csv":
      return formatCsv(runs);
    case "markdown":
      return formatMarkdown(runs);
    case "json": {
      const docs = runs.map((n) => n.report);
      return `${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`;
    }
    case "text":
      return runs
        .map((n) => `${runs.length > 1 ? `### ${n.file}\n\n` : ""}${formatText(n.report)}\n${timelineLine(n)}\n`)
        .join("\n");
  }
}

/** Prints each run's verdicts on stderr (named by file when there are several); true if any bar failed. */
function judge(thresholds: readonly Threshold[], runs: readonly NamedRendered[]): boolean {
  let failed = false;
  for (const n of runs) {
    for (const v of evaluate(thresholds, n.report)) {
      process.stderr.write(`${runs.length > 1 ? `${n.file}: ` : ""}${verdictLine(v)}\n`);
      failed ||= !v.pass;
    }
  }
  return failed;
}

/** Says on stderr which merged runs lack shards; true if any does. */
function warnIncomplete(runs: readonly NamedRendered[]): boolean {
  let incomplete = false;
  for (const n of runs) {
    if (n.report.shards === undefined || n.report.aborted === null) continue;
    log.error(`${n.file}: ${n.report.aborted}`);
    incomplete = true;
  }
  return incomplete;
}

const report = defineCommand({
  meta: {
    name: "report",
    description:
      "Render saved bench reports (bench --json / -o FILE) as text, JSON, CSV, Markdown or HTML; report merge: shards into one",
  },
  args: {
    files: {
      type: "positional",
      required: false,
      description: "one or more bench JSON reports (shard files of one run are merged); or: merge SHARD.json… -o FILE",
    },
    format: { type: "string", alias: "f", description: "text (default), json, csv (the time series), markdown, html" },
    html: { type: "boolean", description: "the same as --format html" },
    output: { type: "string", alias: "o", description: "write to FILE instead of stdout" },
    threshold: {
      type: "string",
      description: "judge each report by a bar, as bench --threshold (repeatable; exit 99 when one fails)",
    },
  },
  run({ args, rawArgs }) {
    const bars = parseThresholds(repeated(rawArgs, "threshold"));
    if (!bars.ok) throw new CliError(bars.error, 2);
    const thresholds = bars.value;
    const files = (args._ as string[]).filter((f) => f !== "");
    // `report merge A.json B.json … -o merged.json`: a word, not a subcommand, so `report FILE…` stays as it was.
    if (files[0] === "merge") {
      if (args.format !== undefined || args.html)
        throw new CliError("report merge writes JSON: drop --format/--html", 2);
      return runMerge(files.slice(1), args.output, thresholds);
    }
    if (files.length === 0) throw new CliError("report: give one or more bench reports (bench --json -o FILE)", 2);
    const asked = args.format ?? (args.html ? "html" : "text");
    if (!FORMATS.includes(asked as Format))
      throw new CliError(`report: --format ${asked}: not one of ${FORMATS.join(", ")}`, 2);
    if (args.html && asked !== "html") throw new CliError(`report: --html and --format ${asked} disagree`, 2);
    // Shard files of one run are merged first (runs.ts).
    const loaded = readRuns(files);
    if (!loaded.ok) throw new CliError(loaded.error, 2);
    const runs = loaded.value;
    writeOutput(args.output, render(asked as Format, runs), "report");
    // Bars on saved runs, as bench --threshold judges a live one: a verdict line each, exit 99 on a miss.
    const failed = judge(thresholds, runs);
    if (failed) process.exitCode = THRESHOLD_FAILED;
    // A merged run without all its shards proves nothing about the whole: 1 wins over 99, as in bench.
    if (warnIncomplete(runs)) process.exitCode = 1;
  },
});

export default withHelp(report, {
  env: [],
  exits: [
    ["0", "the reports were rendered (merge: every shard was there and ran through)"],
    ["1", "the output file could not be written; a merged run lacks a shard, or one failed (report written)"],
    [
      "2",
      "usage error; a file missing, not JSON or not a bench report; shards of different runs; a malformed --threshold",
    ],
    [String(THRESHOLD_FAILED), "a --threshold failed on a report"],
  ],
});
