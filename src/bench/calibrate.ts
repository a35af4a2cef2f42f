// `grpcperf bench --calibrate`: the pacer's own precision on this machine, with no server. At a few rates it
// runs the open loop's pacer (pacer.ts) against a flat schedule for a short while, sends nothing, and records
// each wake-up's lag (woken − due) exactly as a run records send lag; so a user learns, on their own machine or
// VM guest, how much of a run's latency from the due time the loader itself may add.

import type { CalibrateRow } from "../report/calibration.ts";
import { sendLagSummary } from "../report/pacing.ts";
import type { Checked } from "../schema/checked.ts";
import { pinThisThread, RuntimeSweeper } from "./affinity.ts";
import { threadCpuSeconds, threadPreemptions } from "./cpu.ts";
import { Pacer, type PacerStats, preparePacer } from "./loops/pacer.ts";
import { SendLag } from "./loops/send-lag.ts";
import type { PinPlan } from "./pin-plan.ts";

export const CALIBRATE_RATES = [100, 1_000, 10_000, 50_000] as const;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** One rate for `ms`: every due time in the window woken for, each lag recorded. */
function calibrateRate(rate: number, ms: number): Promise<CalibrateRow> {
  const stats: PacerStats = { idleMs: 0 };
  const lag = new SendLag();
  const pacer = new Pacer(stats, (from, to) => lag.stall(from, to));
  const total = Math.floor((rate * ms) / 1000);
  // start a little ahead, so the first due time is not already past
  const startMs = performance.now() + 20;
  const cpu0 = threadCpuSeconds();
  const pre0 = threadPreemptions();
  let k = 0;
  return new Promise((resolve) => {
    const wake = () => {
      // every due call that is past goes now, as the open loop's pump sends them
      for (;;) {
        if (k >= total) return done();
        const due = startMs + (k * 1000) / rate;
        const now = performance.now();
        if (due > now) return pacer.at(due, wake);
        lag.send(due, now);
        k++;
      }
    };
    const done = () => {
      const wallMs = Math.max(1, performance.now() - startMs);
      const cpu1 = threadCpuSeconds();
      const pre1 = threadPreemptions();
      const s = lag.tally();
      resolve({
        rate,
        due: total,
        achieved: round((lag.sent * 1000) / Math.max(1, lag.lastSendMs - startMs + 1000 / rate), 1),
        send_lag_us: sendLagSummary(lag.h),
        stalls: { count: s.count, total_ms: round(s.totalMs, 3), longest_ms: round(s.longestMs, 3) },
        busy:
          cpu0 === undefined || cpu1 === undefined
            ? null
            : round(Math.max(0, cpu1 - cpu0 - stats.idleMs / 1000) / (wallMs / 1000), 3),
        waiting: round(stats.idleMs / wallMs, 3),
        preempted: pre0 === undefined || pre1 === undefined ? null : pre1 - pre0,
      });
    };
    wake();
  });
}

/** `pin`: --pin-cpus; this thread (the pacer's) runs alone on its first CPU, the runtime's others elsewhere. */
export async function calibrate(
  rates: readonly number[],
  msPerRate: number,
  pin?: PinPlan,
): Promise<Checked<{ rows: CalibrateRow[] }>> {
  let sweeper: RuntimeSweeper | undefined;
  if (pin !== undefined) {
    const pinned = pinThisThread([pin.load[0] as number]);
    if (!pinned.ok) return pinned;
    sweeper = new RuntimeSweeper(new Set([pinned.tid]), pin.runtime);
    sweeper.start();
  }
  const rows: CalibrateRow[] = [];
  await preparePacer(pin !== undefined);
  try {
    for (const rate of rates) rows.push(await calibrateRate(rate, msPerRate));
  } finally {
    sweeper?.stop();
  }
  return { ok: true, rows };
}
