// --reconnect-backoff, --wait-for-ready, --stop-on-loss: how a run behaves when the server goes away.
import type { ReconnectSettings } from "../rpc/reconnect.ts";
import type { BenchFlags } from "./flags.ts";
import { duration, OptionError } from "./option-values.ts";

/**
 * gRPC's defaults (1 s growing to 120 s) spare a server that is down for long, but then an outage's end is
 * seen up to a backoff late. A load generator is there to measure that end: on loopback a refused connect
 * costs microseconds, so the default retries every 10 ms at first and at least every 50 ms (±20%) after.
 */
export const DEFAULT_BACKOFF = { minMs: 10, maxMs: 50 } as const;

interface LossOptions {
  readonly reconnect: ReconnectSettings;
  readonly stopOnLoss: boolean;
}

export function lossOptionsOf(flags: BenchFlags): LossOptions {
  return {
    reconnect: {
      backoff: flags["reconnect-backoff"] ? backoffOf(flags["reconnect-backoff"]) : DEFAULT_BACKOFF,
      waitForReady: flags["wait-for-ready"] === true,
    },
    stopOnLoss: flags["stop-on-loss"] === true,
  };
}

/** MIN..MAX, e.g. 10ms..2s; a single duration is both. */
function backoffOf(text: string): { minMs: number; maxMs: number } {
  const [lo, hi, extra] = text.split("..");
  if (extra !== undefined || lo === undefined || lo.trim() === "")
    throw new OptionError(`--reconnect-backoff: "${text}" is not MIN..MAX (e.g. 10ms..2s)`);
  const minMs = duration({ value: lo, source: "--reconnect-backoff" });
  const maxMs = hi === undefined ? minMs : duration({ value: hi, source: "--reconnect-backoff" });
  if (maxMs < minMs) throw new OptionError(`--reconnect-backoff: MAX ${hi} is below MIN ${lo}`);
  return { minMs, maxMs };
}
