// `grpcperf compare A.json B.json …`: saved bench reports side by side (src/report/compare.ts).
import { defineCommand } from "citty";
import { log } from "../log.ts";
import {
  compareRuns,
  differenceLine,
  formatComparison,
  formatComparisonJson,
  type NamedReport,
} from "../report/compare.ts";
import { formatHtml } from "../report/html.ts";
import { readRuns } from "../report/runs.ts";
import { CliError } from "./args.ts";
import { withHelp } from "./help.ts";
import { writeOutput } from "./output.ts";

const compare = defineCommand({
  meta: { name: "compare", description: "Compare saved bench reports (bench --json / -o FILE) side by side" },
  args: {
    files: {
      type: "positional",
      required: false,
      description: "two or more bench JSON reports; the first is the base (shard files of one run merge into one)",
    },
    json: { type: "boolean", description: "one JSON document instead of the table" },
    html: { type: "boolean", description: "one HTML page overlaying every run's percentile curve and throughput" },
    output: { type: "string", alias: "o", description: "write to FILE instead of stdout" },
  },
  run({ args }) {
    if (args.html && args.json) throw new CliError("compare: --html and --json exclude each other", 2);
    const files = (args._ as string[]).filter((f) => f !== "");
    if (files.length < 2) throw new CliError(`compare: give two or more bench reports (got ${files.length})`, 2);
    // Shard files of one run count as one run, merged (runs.ts).
    const loaded = readRuns(files);
    if (!loaded.ok) throw new CliError(loaded.error, 2);
    const rendered = loaded.value;
    if (rendered.length < 2)
      throw new CliError("compare: these files are the shards of one run: give another run to compare it with", 2);
    for (const r of rendered)
      if (r.report.shards && r.report.aborted !== null) log.warn(`${r.file}: ${r.report.aborted}`);
    const named: NamedReport[] = rendered.map((r) => ({ file: r.file, report: r.report }));
    const c = compareRuns(named);
    const warning = differenceLine(c);
    if (args.html) {
      writeOutput(args.output, formatHtml(rendered, warning === undefined ? [] : [warning], c), "compare");
      if (warning !== undefined) log.warn(warning);
    } else if (args.json) {
      writeOutput(args.output, formatComparisonJson(c), "compare");
      // The table carries the warning; the JSON document's reader may not look, so say it on stderr too.
      if (warning !== undefined) log.warn(warning);
    } else writeOutput(args.output, formatComparison(c), "compare");
  },
});

export default withHelp(compare, {
  env: [],
  exits: [
    ["0", "the reports were compared (runs that differ in set-up are only warned about)"],
    ["1", "the output file could not be written"],
    ["2", "usage error; a file missing, not JSON or not a bench report"],
  ],
});
