// The echo server's asked-for speed (EchoRequest.server_delay_us / server_busy_us): a wait, then busy CPU
// work, before answering. Lets a load tool be tested against a server whose time per call is known.
// Both are capped so a client cannot pin the server: busy work blocks the thread's event loop, so its cap is low.

import { MAX_SERVER_BUSY_US, MAX_SERVER_DELAY_US } from "../api/echo.ts";
import { type RpcError, Status } from "../rpc/status.ts";
import type { CallContext } from "./handler.ts";

/** A cancelled call is noticed at least this often while it waits, so its timer does not outlive it long. */
const CANCEL_CHECK_MS = 100;

interface Speed {
  readonly delayUs: number;
  readonly busyUs: number;
}

/** INVALID_ARGUMENT naming the field when a value is above its cap; undefined when both are acceptable. */
export function speedProblem(s: Speed): RpcError | undefined {
  if (s.delayUs > MAX_SERVER_DELAY_US) {
    return {
      code: Status.INVALID_ARGUMENT,
      details: `server_delay_us ${s.delayUs} is above the cap of ${MAX_SERVER_DELAY_US} (60 s)`,
    };
  }
  if (s.busyUs > MAX_SERVER_BUSY_US) {
    return {
      code: Status.INVALID_ARGUMENT,
      details: `server_busy_us ${s.busyUs} is above the cap of ${MAX_SERVER_BUSY_US} (1 s)`,
    };
  }
  return undefined;
}

/** Spins the CPU for `us` microseconds: real work a profiler and the loader both see as server time. */
export function busy(us: number): void {
  if (us <= 0) return;
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    // spin
  }
}

/**
 * Waits `us` microseconds (never less: timers may fire early, so the remainder is slept again), or until
 * the call's deadline passes or it is cancelled. True when the whole wait was done, false when cut short.
 * Bun.sleep takes fractional milliseconds; the timers themselves fire at about millisecond granularity.
 */
export async function delay(us: number, ctx: Pick<CallContext, "deadline" | "cancelled">): Promise<boolean> {
  const end = performance.now() + us / 1000;
  for (;;) {
    if (ctx.cancelled()) return false;
    const left = end - performance.now();
    if (left <= 0) return true;
    const toDeadline = ctx.deadline - Date.now();
    if (toDeadline <= 0) return false;
    await Bun.sleep(Math.min(left, toDeadline, CANCEL_CHECK_MS));
  }
}
