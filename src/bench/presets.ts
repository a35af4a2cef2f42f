// The replaced system's make targets, as named bundles of settings. A preset only fills in what the
// command line leaves open: any explicit flag still wins.
export type PresetName = "light" | "medium" | "heavy" | "latency" | "throughput";

export interface Preset {
  readonly connections: number;
  readonly concurrency?: number;
  readonly durationMs: number;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  light: { connections: 10, durationMs: 5_000 },
  medium: { connections: 50, durationMs: 10_000 },
  heavy: { connections: 100, durationMs: 15_000 },
  // one call in flight at a time: the latency of a single round trip, nothing queued behind it
  latency: { connections: 1, concurrency: 1, durationMs: 10_000 },
  // enough calls in flight to keep the server busy on every core of a small VM
  throughput: { connections: 16, concurrency: 256, durationMs: 10_000 },
};

export function isPresetName(s: string): s is PresetName {
  return Object.hasOwn(PRESETS, s);
}
