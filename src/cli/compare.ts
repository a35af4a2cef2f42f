// `grpcperf compare A.json B.json …`: saved bench reports side by side (src/bench/report/compare.ts).
import { defineCommand } from "citty";
import {
  compareRuns,
  differenceLine,
  formatComparison,
  formatComparisonJson,
  type NamedReport,
} from "../bench/report/compare.ts";
import { readSavedReport } from "../bench/report/saved.ts";
import { log } from "../log.ts";
import { CliError } from "./args.ts";
import { withHelp } from "./help.ts";

const compare = defineCommand({
  meta: { name: "compare", description: "Compare saved bench reports (bench --json / -o FILE) side by side" },
  args: {
    files: {
      type: "positional",
      required: false,
      description: "two or more bench JSON reports; the first is the base",
    },
    json: { type: "boolean", description: "one JSON document instead of the table" },
    html: { type: "boolean", description: "an HTML page (not yet)" },
  },
  run({ args }) {
    if (args.html) throw new CliError("compare --html: not yet (a later step of issue 15); use the table or --json", 2);
    const files = (args._ as string[]).filter((f) => f !== "");
    if (files.length < 2) throw new CliError(`compare: give two or more bench reports (got ${files.length})`, 2);
    const named: NamedReport[] = [];
    for (const file of files) {
      const loaded = readSavedReport(file);
      if (!loaded.ok) throw new CliError(loaded.error, 2);
      named.push({ file, report: loaded.report });
    }
    const c = compareRuns(named);
    if (args.json) {
      process.stdout.write(formatComparisonJson(c));
      // The table carries the warning; the JSON document's reader may not look, so say it on stderr too.
      const warning = differenceLine(c);
      if (warning !== undefined) log.warn(warning);
    } else process.stdout.write(formatComparison(c));
  },
});

export default withHelp(compare, {
  env: [],
  exits: [
    ["0", "the reports were compared (runs that differ in set-up are only warned about)"],
    ["2", "usage error; a file missing, not JSON or not a bench report; --html (not yet)"],
  ],
});
