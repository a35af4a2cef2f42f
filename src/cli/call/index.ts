import { defineCommand } from "citty";
import { withHelp } from "../help.ts";
import { lazy } from "../lazy.ts";
import { looksLikeAddress } from "../target.ts";
import { callHelp } from "./common.ts";

const call = defineCommand({
  meta: {
    name: "call",
    description: "One-shot client: any method (call pkg.Service/Method), or the Echo and Crypto services",
  },
  // Each loads when it runs: `call echo` need not load what `call method` needs (protobufjs's reflection).
  subCommands: {
    method: lazy(() => import("./method.ts")),
    list: lazy(() => import("./list.ts")),
    describe: lazy(() => import("./describe.ts")),
    echo: lazy(() => import("./echo.ts")),
    sign: lazy(() => import("./sign.ts")),
    verify: lazy(() => import("./verify.ts")),
    pubkey: lazy(() => import("./pubkey.ts")),
    keys: lazy(() => import("./keys.ts")),
    smoke: lazy(() => import("./smoke.ts")),
    health: lazy(() => import("./health.ts")),
  },
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
