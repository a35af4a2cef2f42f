import { defineCommand } from "citty";
import { CliError } from "./args.ts";

export default defineCommand({
  meta: { name: "bench", description: "Load-test a server (not available yet)" },
  run() {
    throw new CliError("bench is not available in this build yet", 2);
  },
});
