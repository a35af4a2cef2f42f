// `grpcperf report merge SHARD.json… -o merged.json [--threshold …]`: the shard reports (and failure notes)
// of one distributed run as one report (src/report/merge.ts). Exit 1 when a shard is missing or failed
// (the merged report, which names them, is still written), 2 when the files are not shards of one run.

import { log } from "../log.ts";
import { formatJson } from "../report/json.ts";
import { mergeShards } from "../report/merge.ts";
import { readInputs } from "../report/runs.ts";
import { evaluate, THRESHOLD_FAILED, type Threshold, verdictLine } from "../report/threshold.ts";
import { CliError } from "./args.ts";
import { writeOutput } from "./output.ts";

export function runMerge(files: readonly string[], output: string | undefined, thresholds: readonly Threshold[]): void {
  if (files.length === 0)
    throw new CliError("report merge: give the shard reports of one run (bench --shard I/N --json)", 2);
  const inputs = readInputs(files);
  if (!inputs.ok) throw new CliError(inputs.error, 2);
  const merged = mergeShards(inputs.value);
  if (!merged.ok) throw new CliError(merged.error, 2);
  const verdicts = evaluate(thresholds, merged.report);
  const report = verdicts.length > 0 ? { ...merged.report, thresholds: verdicts } : merged.report;
  writeOutput(output, formatJson(report), "report merge");
  const s = report.shards;
  if (s) log.info(`merged ${s.present.length} of ${s.count} shards`);
  for (const v of verdicts) process.stderr.write(`${verdictLine(v)}\n`);
  if (report.aborted !== null) {
    log.error(report.aborted);
    process.exitCode = 1;
  } else if (verdicts.some((v) => !v.pass)) process.exitCode = THRESHOLD_FAILED;
}
