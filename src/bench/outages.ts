// One load thread's outage windows (issue 30): a window opens at the first sign the server is not there (a
// connection lost without GOAWAY, an attempt to connect failed) and ends at the first successful answer to
// a call sent after it opened; an answer to an earlier call, still on its way when the server died, says
// nothing about now. Calls failing inside are counted. Only "not there" opens one: a slow server's
// DEADLINE_EXCEEDED or any status it sent is not an outage.
import type { OutageTally } from "../report/records.ts";
import type { LinkEvents } from "../rpc/reconnect.ts";

interface Open {
  startMs: number;
  endMs: number | null;
  failed: number;
  firstError: string;
  reconnectedMs: number | null;
}

/** What the thread's timeline tells the recorder about every call's end, both phases. */
export interface OutcomeWatch {
  /** A call ended with `code`; it went out (or was due) `latencyMs` before `nowMs`. */
  outcome(code: number, latencyMs: number, nowMs: number): void;
}

export class OutageRecorder implements OutcomeWatch {
  private windows: Open[] = [];
  private current: Open | undefined;
  /** performance.now() → Unix ms, fixed once so every time of the thread shifts alike. */
  private readonly toEpoch = Date.now() - performance.now();

  /** The events of one connection of this thread; `back` is told when it is ready again. */
  linkEvents(back: () => void): LinkEvents {
    return {
      lost: (at, reason) => this.sign(at, reason),
      connectFailed: (at, reason) => this.sign(at, reason),
      reconnected: (at) => {
        if (this.current && this.current.reconnectedMs === null) this.current.reconnectedMs = at;
        back();
      },
    };
  }

  get down(): boolean {
    return this.current !== undefined;
  }

  outcome(code: number, latencyMs: number, nowMs: number): void {
    const w = this.current;
    if (w === undefined) return;
    if (code !== 0) {
      w.failed++;
      return;
    }
    if (nowMs - latencyMs < w.startMs) return;
    w.endMs = nowMs;
    this.current = undefined;
  }

  /** The measured phase starts: what happened before is warm-up; a window still open is cut to start here. */
  begin(measureMs: number): void {
    const w = this.current;
    this.windows = [];
    if (w === undefined) return;
    w.startMs = Math.max(w.startMs, measureMs);
    if (w.reconnectedMs !== null) w.reconnectedMs = Math.max(w.reconnectedMs, measureMs);
    w.failed = 0;
    this.windows.push(w);
  }

  tally(): OutageTally[] {
    const at = (ms: number) => Math.round((ms + this.toEpoch) * 1000) / 1000;
    return this.windows.map((w) => ({
      startMs: at(w.startMs),
      endMs: w.endMs === null ? null : at(w.endMs),
      failed: w.failed,
      firstError: w.firstError,
      reconnectedMs: w.reconnectedMs === null ? null : at(w.reconnectedMs),
    }));
  }

  private sign(atMs: number, reason: string): void {
    if (this.current) return;
    this.current = { startMs: atMs, endMs: null, failed: 0, firstError: `UNAVAILABLE: ${reason}`, reconnectedMs: null };
    this.windows.push(this.current);
  }
}
