// The deadlines of a connection's calls under one timer, set for the earliest: with the same timeout on
// every call (bench) it is armed once per timeout period instead of once per call.
import { type RpcError, rpcError, Status } from "../status.ts";

export class Deadlines {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Number.POSITIVE_INFINITY;

  /** `expire`: fails every call whose deadline is at or before `now`; returns the next deadline (or Infinity). */
  constructor(private readonly expire: (now: number) => number) {}

  /** A call with this deadline (performance.now() time; Infinity for none) is on the connection. */
  watch(deadline: number): void {
    if (deadline < this.at) this.arm(deadline);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - performance.now()));
    this.timer.unref?.();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
    const next = this.expire(performance.now());
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };
}

export function deadlineError(call: { readonly timeoutMs: number | undefined }): RpcError {
  return rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${call.timeoutMs} ms exceeded`);
}
