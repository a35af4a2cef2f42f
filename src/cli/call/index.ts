import { defineCommand } from "citty";
import { withHelp } from "../help.ts";
import { callHelp } from "./common.ts";
import echo from "./echo.ts";
import health from "./health.ts";
import keys from "./keys.ts";
import pubkey from "./pubkey.ts";
import sign from "./sign.ts";
import smoke from "./smoke.ts";
import verify from "./verify.ts";

const call = defineCommand({
  meta: { name: "call", description: "One-shot client for the Echo and Crypto services" },
  subCommands: { echo, sign, verify, pubkey, keys, smoke, health },
});

export default withHelp(call, callHelp("the call succeeded (see each subcommand)", "a call failed"));
