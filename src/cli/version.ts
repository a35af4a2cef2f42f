// `grpcperf version [--json]`: which build this is, for a bug report or a guest's inventory (src/version.ts).
import { defineCommand } from "citty";
import { versionJson, versionText } from "../version.ts";
import { withHelp } from "./help.ts";
import { printLines } from "./stdout.ts";

const version = defineCommand({
  meta: { name: "version", description: "Print version, commit, target, libc and Bun version" },
  args: {
    json: { type: "boolean", description: "one JSON object: version, commit, target, libc, bun" },
  },
  async run({ args }) {
    if (!(await printLines(args.json ? versionJson() : versionText()))) process.exitCode = 1;
  },
});

export default withHelp(version, {
  env: [],
  exits: [
    ["0", "printed"],
    ["1", "stdout would not take it (a full disk, a closed pipe)"],
  ],
});
