// Flags are checked against the command's definitions before it runs: citty (like mri) takes any flag, so
// `bench --durations 5s` would run the default length and a typo would cost a whole benchmark run.
import type { ArgsDef } from "citty";
import { nearest } from "../text/nearest.ts";

type Def = { readonly type?: string; readonly alias?: string | readonly string[] };

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const isNumber = (s: string) => /^-\d/.test(s);

/**
 * The first problem with `tokens` (what follows the command's name) against the command's flags: an
 * unknown flag, with the nearest known one, or a flag that needs a value and has none. Undefined if none.
 * `foreign` maps other tools' flags (grpcurl's, ghz's) to a pointer at grpcperf's spelling.
 */
export function flagProblem(
  args: ArgsDef | undefined,
  tokens: readonly string[],
  foreign: Readonly<Record<string, string>> = {},
): string | undefined {
  const long = new Map<string, Def>();
  const short = new Map<string, Def>();
  for (const [key, def] of Object.entries(args ?? {}) as Array<[string, Def]>) {
    if (def.type === "positional") continue;
    long.set(key, def);
    long.set(camel(key), def);
    for (const a of typeof def.alias === "string" ? [def.alias] : (def.alias ?? [])) {
      (a.length === 1 ? short : long).set(a, def);
    }
  }
  const takesValue = (def: Def) => def.type !== "boolean";
  const valueAt = (i: number) => {
    const next = tokens[i];
    return next !== undefined && (next === "-" || !next.startsWith("-") || isNumber(next));
  };
  const unknown = (flag: string) => {
    const pointer = foreign[flag];
    if (pointer !== undefined) return `unknown flag ${flag}: ${pointer}`;
    const names = [...long.keys()].filter((k) => !/[A-Z]/.test(k));
    const near = nearest(flag.replace(/^-+/, ""), names);
    return `unknown flag ${flag}${near === undefined ? "" : ` (did you mean --${near}?)`}`;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === "--") return undefined;
    if (t.startsWith("--")) {
      const eq = t.indexOf("=");
      const name = eq < 0 ? t.slice(2) : t.slice(2, eq);
      const negated = name.startsWith("no-") ? long.get(name.slice(3)) : undefined;
      const def = long.get(name) ?? (negated?.type === "boolean" ? negated : undefined);
      if (def === undefined) return unknown(`--${name}`);
      if (eq < 0 && takesValue(def) && def !== negated) {
        if (!valueAt(i + 1)) return `--${name} needs a value`;
        i++;
      }
    } else if (t.startsWith("-") && t.length > 1 && !isNumber(t)) {
      // grpcurl's Go-style single-dash long flags (-plaintext, -insecure)
      const word = t.slice(1).split("=")[0] as string;
      const pointer = foreign[`--${word}`];
      if (word.length > 1 && !long.has(word) && pointer !== undefined && foreign[t] === undefined) {
        return `unknown flag ${t}: ${pointer}`;
      }
      if (word.length > 1 && long.has(word) && foreign[t] === undefined) {
        return `unknown flag ${t} (long flags take two dashes: --${word})`;
      }
      for (let j = 1; j < t.length; j++) {
        const c = t[j] as string;
        const def = short.get(c);
        if (def === undefined) return unknown(`-${c}`);
        if (!takesValue(def)) continue;
        if (j === t.length - 1) {
          if (!valueAt(i + 1)) return `-${c} needs a value`;
          i++;
        }
        break; // the rest of the token is the value
      }
    }
  }
  return undefined;
}
