import { defineCommand } from "citty";
import { withHelp } from "../help.ts";
import { callHelp } from "./common.ts";
import { echoArgs, runEcho } from "./echo-run.ts";

const echoCommand = defineCommand({
  meta: { name: "echo", description: "Send echo messages and print each round-trip latency" },
  args: echoArgs,
  run: ({ args }) => runEcho(args),
});

export default withHelp(
  echoCommand,
  callHelp("every message came back intact", "a call failed or a reply did not match", {
    "-d": "the text to send is --message/-m (JSON request data is for other services' methods)",
  }),
);
