// Reading one bench setting: where its text comes from (the flag, then the preset, then the environment
// names of the flag table) and what it must look like. A bad value is an OptionError naming who set it;
// resolveOptions turns it into one line. Pure.
import { parseDuration, parseMicros, parseSize, parseWhole } from "../units.ts";
import { type BenchFlagName, type BenchFlags, envNamesOf } from "./flags.ts";
import { PRESETS, type Preset, type PresetName } from "./presets.ts";

export class OptionError extends Error {}

export type Env = Readonly<Record<string, string | undefined>>;

/** A setting's text and who set it: `--connections`, `--preset heavy` or `CONNECTIONS`. */
export interface Raw {
  readonly value: string;
  readonly source: string;
}

export const given = (v: string | undefined): v is string => v !== undefined && v !== "";

/** Where settings come from, flag first; a preset only for the flags the table gives a preset key. */
export interface Settings {
  readonly flags: BenchFlags;
  /** The flag, else its environment variables (the first one set). */
  pick(name: BenchFlagName): Raw | undefined;
  /** The flag, else the preset's value, else its environment variables: a preset is chosen on the command
   * line, so it beats ambient variables. */
  layered(name: BenchFlagName & ("connections" | "concurrency" | "duration")): Raw | undefined;
}

function fromEnv(env: Env, names: readonly string[]): Raw | undefined {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v.trim() !== "") return { value: v, source: name };
  }
  return undefined;
}

const PRESET_TEXT: { readonly [K in "connections" | "concurrency" | "duration"]: (p: Preset) => string | undefined } = {
  connections: (p) => String(p.connections),
  concurrency: (p) => p.concurrency?.toString(),
  duration: (p) => `${p.durationMs}ms`,
};

export function settingsOf(flags: BenchFlags, env: Env, preset: PresetName | undefined): Settings {
  const pick = (name: BenchFlagName): Raw | undefined => {
    const flag = flags[name];
    if (typeof flag === "string" && flag !== "") return { value: flag, source: `--${name}` };
    return fromEnv(env, envNamesOf(name));
  };
  return {
    flags,
    pick,
    layered(name) {
      const flag = flags[name];
      if (typeof flag === "string" && flag !== "") return { value: flag, source: `--${name}` };
      const fromPreset = preset === undefined ? undefined : PRESET_TEXT[name](PRESETS[preset]);
      if (fromPreset !== undefined) return { value: fromPreset, source: `--preset ${preset}` };
      return fromEnv(env, envNamesOf(name));
    },
  };
}

export function int(raw: Raw, min: number): number {
  const n = parseWhole(raw.value);
  if (n === undefined || n < min) throw new OptionError(`${raw.source}: "${raw.value}" is not a whole number ≥ ${min}`);
  return n;
}

export function positive(raw: Raw): number {
  const n = Number(raw.value.trim());
  if (!Number.isFinite(n) || n <= 0) throw new OptionError(`${raw.source}: "${raw.value}" is not a number > 0`);
  return n;
}

export function duration(raw: Raw, allowZero = false): number {
  const ms = parseDuration(raw.value);
  if (ms === undefined || (!allowZero && ms <= 0)) {
    throw new OptionError(`${raw.source}: "${raw.value}" is not a duration (e.g. 500ms, 30s, 2m, 1h, 60)`);
  }
  return ms;
}

export function size(raw: Raw): number {
  const n = parseSize(raw.value);
  if (n === undefined) throw new OptionError(`${raw.source}: "${raw.value}" is not a size (e.g. 16, 1KiB, 4MiB)`);
  return n;
}

/** A duration as microseconds, no more than the server's cap. */
export function micros(raw: Raw, capUs: number): number {
  const us = parseMicros(raw.value);
  if (us === undefined) {
    throw new OptionError(`${raw.source}: "${raw.value}" is not a duration (e.g. 500us, 20ms, 1s)`);
  }
  if (us > capUs) throw new OptionError(`${raw.source}: "${raw.value}" is above the server's cap of ${capUs / 1e6}s`);
  return us;
}

/** The flags that are given, by their names in an error message ("--rate", "-n/--requests"). */
export const named = (...xs: readonly (string | false | undefined)[]): string[] =>
  xs.filter((x): x is string => typeof x === "string");
