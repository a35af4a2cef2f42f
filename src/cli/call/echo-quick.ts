// `call echo` without the command table: health checks and guest scripts run it often, and citty (with the
// node:util it imports) and the table cost several milliseconds of its start (docs/performance.md,
// "Start-up"). Only plain command lines are taken here: known flags, each once, as `--flag value`,
// `--flag=value` or `-x value`. Anything else (help, an unknown or repeated flag, a positional word, a value
// that starts with "-") goes the usual way, so its errors, help and exit codes stay those of the table.
import { failureExit } from "../fail.ts";
import { type EchoArgs, echoArgs, runEcho } from "./echo-run.ts";

type Def = { readonly type: string; readonly alias?: string };

/** The flags of `tokens` (what follows `call echo`), or undefined when the line is not a plain one. */
export function quickEchoArgs(tokens: readonly string[]): EchoArgs | undefined {
  const defs = echoArgs as Readonly<Record<string, Def>>;
  const byAlias = new Map<string, string>();
  for (const [name, def] of Object.entries(defs)) if (def.alias !== undefined) byAlias.set(def.alias, name);
  const args: Record<string, string | boolean | string[]> = { _: [] };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    let name: string | undefined;
    let inline: string | undefined;
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      name = eq < 0 ? t.slice(2) : t.slice(2, eq);
      inline = eq < 0 ? undefined : t.slice(eq + 1);
    } else if (t.length === 2 && t[0] === "-") {
      name = byAlias.get(t[1] as string);
    }
    const def = name === undefined || !Object.hasOwn(defs, name) ? undefined : defs[name];
    if (name === undefined || def === undefined || Object.hasOwn(args, name)) return undefined;
    if (def.type === "boolean") {
      if (inline !== undefined) return undefined;
      args[name] = true;
      continue;
    }
    const value = inline ?? tokens[++i];
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("-"))) return undefined;
    args[name] = value;
  }
  return args as EchoArgs;
}

/** Runs `call echo` when its command line is a plain one: the exit code; undefined to go the usual way. */
export async function runEchoQuick(tokens: readonly string[]): Promise<number | undefined> {
  const args = quickEchoArgs(tokens);
  if (args === undefined) return undefined;
  try {
    await runEcho(args);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return failureExit(err);
  }
}
