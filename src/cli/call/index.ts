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
 * address among its positional words). Flags may come first, as grpcurl has them (Go's flag package stops
 * at the first word, so `grpcurl -d '{}' ADDR pkg.Service/Method` is how its users type it): they move
 * after the command's words.
 */
export async function routeMethodCall(argv: readonly string[]): Promise<string[]> {
  if (argv[0] !== "call" || !argv[1]?.startsWith("-") || argv.includes("--help") || argv.includes("-h"))
    return routeWords(argv);
  const { default: method } = await import("./method.ts");
  const flags = leadingFlags(argv.slice(1), method.args as Record<string, { type?: string; alias?: string }>);
  if (flags === argv.length - 1) return [...argv];
  return [...routeWords(["call", ...argv.slice(1 + flags)]), ...argv.slice(1, 1 + flags)];
}

function routeWords(argv: readonly string[]): string[] {
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

/**
 * How many of `tokens` are flags (with their values) before the first word. A flag the method command does
 * not define (another command's, or a typo, which the flag check then names) takes the next token as its
 * value unless that is a flag too.
 */
function leadingFlags(tokens: readonly string[], defs: Record<string, { type?: string; alias?: string }>): number {
  const booleans = new Set<string>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type !== "boolean") continue;
    booleans.add(`--${name}`);
    if (def.alias !== undefined) booleans.add(def.alias.length === 1 ? `-${def.alias}` : `--${def.alias}`);
  }
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as string;
    if (t === "--" || !t.startsWith("-") || t === "-") break;
    const next = tokens[i + 1];
    const takesValue = !t.includes("=") && !booleans.has(t) && !/^-[a-zA-Z].+/.test(t);
    i += takesValue && next !== undefined && !next.startsWith("-") ? 2 : 1;
  }
  return i;
}

export default withHelp(call, callHelp("the call succeeded (see each subcommand)", "a call failed"));
