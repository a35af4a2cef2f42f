// Shared flag handling: flags win over environment variables, which win over defaults; every bad value
// is a CliError with one clear line and an exit code.
import { type LevelName, resolveLogLevel, setLogLevel } from "../log.ts";
import { type Address, parseAddress, type Role } from "../transport/address.ts";

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

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "2m", "1h", "250ms", "1m30s" or bare seconds "60" → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * (durationUnits[m[2] as string] as number);
    matched = re.lastIndex;
  }
  return matched === t.length && matched > 0 ? total : undefined;
}

export function durationArg(text: string, name: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliError(`--${name}: "${text}" is not a duration (e.g. 500ms, 30s, 2m, 1h, 60)`, 2);
  return ms;
}

export function intArg(text: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`--${name}: "${text}" is not a whole number from ${min} to ${max}`, 2);
  }
  return n;
}

/** Sizes: bare bytes, or with a KiB/MiB suffix ("4MiB", "512KiB", "1k", "1m"). */
export function sizeArg(text: string, name: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!m) throw new CliError(`--${name}: "${text}" is not a size (e.g. 1024, 64KiB, 4MiB)`, 2);
  const unit = (m[2] ?? "b").toLowerCase();
  const scale = unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 * 1024 : 1;
  return Number(m[1]) * scale;
}
