// Shared flag handling: flags win over environment variables, which win over defaults; every bad value
// is a CliError with one clear line and an exit code.
import { nodeFs } from "../lazy-node.ts";
import { type LevelName, resolveLogLevel, setLogLevel } from "../log.ts";
import { type Address, parseAddress, type Role } from "../transport/address.ts";
import { parseDuration, parseMicros, parseSize, parseWhole } from "../units.ts";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** First defined of: the flag, then each environment variable in order. */
export function flagOrEnv(flag: string | undefined, env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  if (flag !== undefined && flag !== "") return flag;
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
}

export const logLevelArg = {
  "log-level": {
    type: "string",
    description: "trace, debug, info, warn or error (env LOG_LEVEL, RUST_LOG)",
  },
} as const;

export function applyLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): LevelName {
  const r = resolveLogLevel(flag, env);
  if (!r.ok) throw new CliError(r.error, 2);
  setLogLevel(r.level);
  return r.level;
}

export function addressArg(text: string, role: Role, what = "address"): Address {
  const r = parseAddress(text, role);
  if (!r.ok) throw new CliError(what === "address" ? r.error : `${what}: ${r.error}`, 2);
  return r.address;
}

/** A PEM file named by --flag, read now so a bad path is a usage error before anything starts. */
export function readPem(
  path: string,
  flag: string,
  read: (p: string) => Buffer = (p) => nodeFs().readFileSync(p),
): Buffer {
  try {
    return read(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CliError(`--${flag}: cannot read "${path}" (${code ?? (err as Error).message})`, 2);
  }
}

export function durationArg(text: string, name: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliError(`--${name}: "${text}" is not a duration (e.g. 500ms, 30s, 2m, 1h, 60)`, 2);
  return ms;
}

/** A duration in whole µs ("500us", "5ms", "1s") that fits a uint32 field. */
export function microsArg(text: string, name: string): number {
  const us = parseMicros(text);
  if (us === undefined || us > 0xffffffff) {
    throw new CliError(`--${name}: "${text}" is not a duration up to about 71m (e.g. 500us, 5ms, 1s)`, 2);
  }
  return us;
}

export function intArg(text: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = parseWhole(text);
  if (n === undefined || n < min || n > max) {
    throw new CliError(`--${name}: "${text}" is not a whole number from ${min} to ${max}`, 2);
  }
  return n;
}

export function sizeArg(text: string, name: string): number {
  const n = parseSize(text);
  if (n === undefined) throw new CliError(`--${name}: "${text}" is not a size (e.g. 1024, 64KiB, 4MiB)`, 2);
  return n;
}
