// Closed loop: every slot sends its next call as soon as the previous one has answered. Latency is the
// round trip; the offered load adapts to the server, which is exactly why it hides queueing (use --rate).
// Under a concurrency schedule (phase.levels) a slot sends only while its rank is within the level.
//
// A slot is an object driven by its call's outcome callback (channel.unaryOutcome), not an async function
// awaiting a promise per call: the profile of a load thread (docs/performance.md, "Loader cost") put the
// promise, its closure and the async resumption among the largest costs of a small call. The next call goes
// out from inside the callback, so it joins the write of whatever the read that ended the last one wrote.
import type { Result } from "../../rpc/status.ts";
import type { LoadConnection } from "../connection.ts";
import { activeNow, slotRank, waitActive } from "./gate.ts";

import { type LoadContext, type Phase, Rotation } from "./types.ts";

export interface Tickets {
  /** Claims one call of the shared budget; false once all N are claimed (over all threads). */
  claim(limit: number): boolean;
}

export function closedLoop(ctx: LoadContext, phase: Phase, tickets: Tickets): Promise<void> {
  const rotation = new Rotation(ctx.workloads, ctx.rotationStart);
  const slots: Promise<void>[] = [];
  for (const conn of ctx.connections) {
    for (let s = 0; s < conn.slots; s++) {
      const rank = phase.levels ? slotRank(phase.levels, conn.index, s) : 0;
      slots.push(new Promise((resolve) => new Slot(ctx, phase, tickets, rotation, conn, rank, resolve).next()));
    }
  }
  return Promise.all(slots).then(() => undefined);
}

class Slot {
  private t0 = 0;
  private w = 0;

  constructor(
    private readonly ctx: LoadContext,
    private readonly phase: Phase,
    private readonly tickets: Tickets,
    private readonly rotation: Rotation,
    private readonly conn: LoadConnection,
    private readonly rank: number,
    private readonly finished: () => void,
  ) {}

  /** Sends the slot's next call, or ends the slot (stopped, phase over, budget spent). */
  next(): void {
    const { ctx, phase } = this;
    const now = performance.now();
    if (ctx.stopped() || (phase.endMs !== undefined && now >= phase.endMs)) {
      this.finished();
      return;
    }
    const levels = phase.levels;
    if (levels && !activeNow(levels, this.rank, phase.startMs, now)) {
      void waitActive(levels, this.rank, phase.startMs, phase.endMs, ctx.stopped).then(this.resume);
      return;
    }
    if (phase.requests !== undefined && !this.tickets.claim(phase.requests)) {
      this.finished();
      return;
    }
    const rotation = this.rotation;
    const w = rotation.next();
    this.w = w;
    this.t0 = now;
    this.conn.channel.unaryOutcome(rotation.paths[w] as string, rotation.body, ctx.call, this.done);
  }

  private readonly done = (r: Result<unknown>): void => {
    const now = performance.now();
    const ms = now - this.t0;
    const phase = this.phase;
    phase.timeline.record(r.ok ? 0 : r.error.code, ms, now);
    if (phase.record) {
      this.ctx.recorders[this.w]?.record(r, ms, ms);
      this.conn.calls++;
    }
    if (r.ok) this.next();
    // A failure may come before unaryOutcome returns (no connection): always a turn later, so a slot
    // failing at once cannot recurse. No connection ready: wait for the channel's next attempt rather than
    // spin on calls failing at once.
    else void this.settle().then(this.again);
  };

  // Bound once, not an arrow inside next() or done: a function holding an arrow that captures `this`
  // gets a scope object (JSLexicalEnvironment) on every call, used or not (issue 27, "Garbage per call").
  private readonly again = (): void => this.next();
  private readonly resume = (go: boolean): void => (go ? this.next() : this.finished());

  private async settle(): Promise<void> {
    const channel = this.conn.channel;
    if (!channel.connected) {
      const endMs = this.phase.endMs;
      const left = endMs === undefined ? 1000 : endMs - performance.now();
      await channel.nextAttempt(Math.min(1000, left));
    }
  }
}
