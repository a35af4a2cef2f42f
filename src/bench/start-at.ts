// `bench --start-at TIME`: a wall-clock instant every shard's measured phase starts at. Parsing, and the
// plan of one process's start once its connections are up. Pure: the caller passes the clock's reading.

/** The start-at plan of one process, all Unix ms. */
export interface StartPlan {
  /** The nominal start of the run: the measured phase's start minus --warmup (the report's started_at). */
  readonly startEpochMs: number;
  /** When the warm-up's calls begin: later than startEpochMs when the process was ready too late for all of it. */
  readonly warmupFromEpochMs: number;
  /** When the measured phase starts: --start-at, or later when the process was ready after it. */
  readonly measureEpochMs: number;
  /** How late the measured phase starts after --start-at (0 when on time). */
  readonly lateMs: number;
  /** How much of the warm-up was cut because the process was ready after --start-at minus --warmup. */
  readonly warmupCutMs: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 (`2026-12-04T15:00:00Z`, `…T16:00:00.250+01:00`) or Unix seconds (`1796396400`, `1796396400.5`). */
export function parseStartAt(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const t = text.trim();
  const bad = {
    ok: false as const,
    error: `--start-at: "${text}" is not RFC 3339 (2026-12-04T15:00:00Z) or Unix seconds`,
  };
  if (/^\d+(\.\d+)?$/.test(t)) {
    const ms = Number(t) * 1000;
    // 13 digits are Unix milliseconds, a common slip: that would be a time tens of thousands of years away
    if (/^\d{12,}/.test(t))
      return { ok: false, error: `--start-at: "${text}" looks like milliseconds; give Unix seconds` };
    return { ok: true, ms };
  }
  if (!RFC3339.test(t)) return bad;
  const ms = Date.parse(t.replace(" ", "T"));
  return Number.isFinite(ms) ? { ok: true, ms } : bad;
}

/**
 * Once every connection is up (`readyMs`, plus `marginMs` for the threads to get the word): the measured
 * phase starts at --start-at and the warm-up runs just before it, so it leads straight into the measured
 * phase. A process ready inside the warm-up window warms up for what is left; one ready after --start-at
 * starts measuring at once, late, without a warm-up (its lateness is in its report).
 */
export function planStart(startAtMs: number, warmupMs: number, readyMs: number, marginMs: number): StartPlan {
  const earliest = readyMs + marginMs;
  const measureEpochMs = Math.max(startAtMs, earliest);
  const startEpochMs = measureEpochMs - warmupMs;
  const warmupFromEpochMs = Math.max(startEpochMs, earliest);
  return {
    startEpochMs,
    warmupFromEpochMs,
    measureEpochMs,
    lateMs: measureEpochMs - startAtMs,
    warmupCutMs: Math.min(warmupMs, warmupFromEpochMs - startEpochMs),
  };
}
