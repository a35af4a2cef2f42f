// Worker thread for scripts/stress-hostile.ts: watches one server process while an attack runs. It samples
// the server's RSS from /proc every ~20 ms and runs an honest client (the project's lean channel, its own
// connection) making unary Echo calls back to back, one at a time. It lives on a thread of its own so the
// attacker's write loop on the main thread delays neither the samples nor the honest calls.
import { readFileSync } from "node:fs";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../../src/api/echo.ts";
import { openChannel } from "../../src/client/channel.ts";
import type { RpcChannel } from "../../src/rpc/channel.ts";
import { statusName } from "../../src/rpc/status.ts";
import { parseAddress } from "../../src/transport/address.ts";

declare const self: Worker;

export type ToObserver =
  | { readonly kind: "watch"; readonly target: string; readonly pid: number }
  | { readonly kind: "mark" }
  | { readonly kind: "stop" };

export interface ObserverReport {
  readonly kind: "report";
  /** VmRSS when the attack began (after the honest client warmed up), KiB. */
  readonly baselineKiB: number;
  /** Highest VmRSS sampled from the mark to the stop, KiB. */
  readonly peakKiB: number;
  readonly hwmBeforeKiB: number;
  readonly hwmAfterKiB: number;
  readonly samples: number;
  /** The server's /proc entry vanished (it exited) while we watched. */
  readonly serverGone: boolean;
  /** Honest calls completed between mark and stop, their latencies (ms), and the failures among them. */
  readonly calls: number;
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly failures: number;
  readonly firstFailure: string | undefined;
}

export type FromObserver = { readonly kind: "ready"; readonly baselineKiB: number } | ObserverReport;

const SAMPLE_MS = 20;
const WARMUP_CALLS = 300;
const CALL_TIMEOUT_MS = 20_000;

function status(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+) kB/.exec(text);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(text);
    return rss && hwm ? { rss: Number(rss[1]), hwm: Number(hwm[1]) } : undefined;
  } catch {
    return undefined;
  }
}

let pid = 0;
let channel: RpcChannel | undefined;
let sampler: ReturnType<typeof setInterval> | undefined;
let marked = false;
let stopping = false;
let baseline = 0;
let peak = 0;
let samples = 0;
let hwmBefore = 0;
let serverGone = false;
let latencies: number[] = [];
let failures = 0;
let firstFailure: string | undefined;
let loop: Promise<void> = Promise.resolve();

function sample(): void {
  const s = status(pid);
  if (s === undefined) {
    serverGone = true;
    return;
  }
  if (marked) {
    samples++;
    if (s.rss > peak) peak = s.rss;
  }
}

async function honest(warmed: () => void): Promise<void> {
  const ch = channel as RpcChannel;
  const request = encodeMessage(EchoRequest, { payload: Buffer.alloc(64, 0x5a), sequence: 1 });
  let n = 0;
  while (!stopping) {
    const t0 = performance.now();
    const r = await ch.unary(EchoMethod.path, request, { timeoutMs: CALL_TIMEOUT_MS });
    const ms = performance.now() - t0;
    if (++n === WARMUP_CALLS) warmed();
    if (!marked) continue;
    latencies.push(ms);
    if (!r.ok) {
      failures++;
      firstFailure ??= `${statusName(r.error.code)}: ${r.error.details}`;
      // A server that refuses every call must not turn this loop into a busy spin.
      await Bun.sleep(5);
    }
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

self.onmessage = async (event: MessageEvent<ToObserver>) => {
  const msg = event.data;
  if (msg.kind === "watch") {
    pid = msg.pid;
    const parsed = parseAddress(msg.target, "connect");
    if (!parsed.ok) throw new Error(parsed.error);
    channel = openChannel(parsed.address, { client: "lean" });
    sampler = setInterval(sample, SAMPLE_MS);
    loop = honest(() => {
      const s = status(pid);
      baseline = s?.rss ?? 0;
      hwmBefore = s?.hwm ?? 0;
      self.postMessage({ kind: "ready", baselineKiB: baseline } satisfies FromObserver);
    });
    return;
  }
  if (msg.kind === "mark") {
    const s = status(pid);
    baseline = s?.rss ?? baseline;
    hwmBefore = s?.hwm ?? hwmBefore;
    peak = baseline;
    latencies = [];
    marked = true;
    return;
  }
  stopping = true;
  await loop;
  clearInterval(sampler);
  sample();
  const after = status(pid);
  await channel?.close();
  const sorted = latencies.sort((a, b) => a - b);
  self.postMessage({
    kind: "report",
    baselineKiB: baseline,
    peakKiB: peak,
    hwmBeforeKiB: hwmBefore,
    hwmAfterKiB: after?.hwm ?? hwmBefore,
    samples,
    serverGone,
    calls: sorted.length,
    maxMs: sorted.at(-1) ?? 0,
    p99Ms: percentile(sorted, 0.99),
    p50Ms: percentile(sorted, 0.5),
    failures,
    firstFailure,
  } satisfies FromObserver);
};
