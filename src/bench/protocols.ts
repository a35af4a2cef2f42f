// bench --protocols grpc,connect,grpc-web: the same method, data and load once per protocol, one after the
// other (never at once: they would share the machine and distort each other), each run's JSON report saved
// as PREFIX.PROTOCOL.json, then the runs compared side by side as `grpcperf compare` does (PREFIX.compare.json
// too). PREFIX is -o FILE without its extension, or "bench".
import { sliceOf } from "../load/shard.ts";
import { log } from "../log.ts";
import { wireOf } from "../protocol/wire.ts";
import { compareRuns, differenceLine, formatComparison, formatComparisonJson } from "../report/compare.ts";
import { readRuns } from "../report/runs.ts";
import type { Threshold } from "../report/threshold.ts";
import { writeText } from "../sink.ts";
import type { BenchOptions } from "./options.ts";
import { type BenchExit, runBench } from "./run.ts";

const POINT: ReadonlySet<string> = new Set(["options.protocol", "options.codec"]);

const prefixOf = (output: string | undefined) => (output === undefined ? "bench" : output.replace(/\.[^./]*$/, ""));

export async function runProtocols(
  options: BenchOptions,
  protocols: readonly string[],
  thresholds: readonly Threshold[],
): Promise<BenchExit> {
  const prefix = prefixOf(options.output);
  const files: string[] = [];
  let code = 0;
  for (const name of protocols) {
    const wire = wireOf(name, options.wire.codec);
    if (typeof wire === "string") return { code: 2, error: wire }; // checked with the options already
    const file = `${prefix}.${name}.json`;
    log.info(`--protocols: ${name}, report in ${file}`);
    const { protocols: _, ...one } = options;
    const exit = await runBench(
      { ...one, wire, output: file, json: true, format: undefined, htmlOutput: undefined },
      thresholds,
    );
    if (exit.error !== undefined) return { code: exit.code, error: `${name}: ${exit.error}` };
    // A failed run (1) beats a failed bar (99), as for one run.
    code = code === 1 || exit.code === 1 ? 1 : Math.max(code, exit.code);
    files.push(file);
  }
  const loaded = readRuns(files, sliceOf);
  if (!loaded.ok) return { code: 1, error: loaded.error };
  const compared = compareRuns(loaded.value.map((r) => ({ file: r.file, report: r.report })));
  // That the protocols differ is the point; any other difference (a machine fact, say) is still said.
  const comparison = { ...compared, differences: compared.differences.filter((d) => !POINT.has(d.key)) };
  const warning = differenceLine(comparison);
  if (warning !== undefined) log.warn(warning);
  const json = writeText(`${prefix}.compare.json`, formatComparisonJson(comparison));
  if (json !== undefined) log.error(`${prefix}.compare.json: ${json}`);
  const table = writeText(undefined, formatComparison(comparison));
  return { code: table === undefined && json === undefined ? code : 1 };
}
