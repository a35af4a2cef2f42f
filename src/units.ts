// Parsers for the numbers people type: durations, sizes, whole numbers. Pure and shared by the CLI and
// by bench's option resolution, so a value means the same thing as a flag and as an environment variable.

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * "30s", "2m", "1h", "250ms", "1m30s" or bare seconds "60" → milliseconds. A bare number is seconds
 * because the replaced system's DURATION="60" meant that.
 */
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

/** A duration as whole microseconds: "250us", "250µs", "1.5ms", "20ms", "1s" (a bare number is seconds, as
 * parseDuration's); undefined if it is not one. */
export function parseMicros(text: string): number | undefined {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(us|µs)$/.exec(t);
  const ms = m ? Number(m[1]) / 1000 : parseDuration(t);
  return ms === undefined ? undefined : Math.round(ms * 1000);
}

/** Bare bytes, or with a KiB/MiB suffix ("4MiB", "512KiB", "1k", "1m") → bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? "b").toLowerCase();
  return Number(m[1]) * (unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 * 1024 : 1);
}

/** Digits only ("8", not "8.0" or "-1") → the number, if it is a safe integer. */
export function parseWhole(text: string): number | undefined {
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}
