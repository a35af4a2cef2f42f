import { defineCommand } from "citty";
import { withHelp } from "../help.ts";
import { looksLikeAddress } from "../target.ts";
import { callHelp } from "./common.ts";
import describe from "./describe.ts";
import echo from "./echo.ts";
import health from "./health.ts";
import keys from "./keys.ts";
import list from "./list.ts";
import method from "./method.ts";
import pubkey from "./pubkey.ts";
import sign from "./sign.ts";
import smoke from "./smoke.ts";
import verify from "./verify.ts";

const call = defineCommand({
  meta: {
    name: "call",
    description: "One-shot client: any method (call pkg.Service/Method), or the Echo and Crypto services",
  },
  subCommands: { method, list, describe, echo, sign, verify, pubkey, keys, smoke, health },
});

/**
 * `call pkg.Service/Method …` is `call method pkg.Service/Method …`: grpcurl's order, no extra word. So is
 * grpcurl's `call ADDR pkg.Service/Method`; `call ADDR list` is `call list ADDR` (each command takes the
 * address among its positional words).
 */
export function routeMethodCall(argv: readonly string[]): string[] {
  const word = argv[1];
  const subs = call.subCommands as Record<string, unknown>;
  if (argv[0] !== "call" || word === undefined || word.startsWith("-") || Object.hasOwn(subs, word)) return [...argv];
  if (looksLikeAddress(word)) {
    const next = argv[2];
    if (next !== undefined && Object.hasOwn(subs, next)) return ["call", next, word, ...argv.slice(3)];
    return ["call", "method", ...argv.slice(1)];
  }
  return /[./]/.test(word) ? ["call", "method", ...argv.slice(1)] : [...argv];
}

export default withHelp(call, callHelp("the call succeeded (see each subcommand)", "a call failed"));
