// Open loop: calls are due on a fixed schedule whatever the server does. Latency runs from the DUE time,
// so a stalled server is charged for every call that had to wait behind it (no coordinated omission);
// service time (sent → answered) is kept beside it. A call that finds no free slot waits and is sent late.
// The pacer (pacer.ts) wakes the loop at each due time; every send's lag (sent − due) is recorded.
//
// Each slot is an object that carries its call's due and send times and takes the call's outcome through
// channel.unaryOutcome: no promise, closure or response view per call. What a call allocates is what the
// load thread's GC must collect, and its eden collections (1–2 ms each on the 2-core VM) are the stalls
// left once --pin-cpus keeps the runtime's threads off the load thread's core (docs/performance.md).

import { callsBefore, callsOfThread, dueAt, type Schedule } from "../../load/schedule.ts";
import { LATE_AFTER_MS } from "../../report/marks.ts";
import type { Result } from "../../rpc/status.ts";
import type { LoadConnection } from "../connection.ts";
import { Pacer, type PacerClock, type PacerStats, realClock } from "./pacer.ts";
import type { SendLag } from "./send-lag.ts";
import { type LoadContext, type Phase, Rotation } from "./types.ts";

/** The loop's side of a slot: told when the slot's call has ended. */
interface SlotOwner {
  ended(slot: OpenSlot, r: Result<unknown>): void;
}

/** One call in flight at most on one connection; reused for every call that connection's slot makes. */
class OpenSlot {
  due = 0;
  sent = 0;
  w = 0;

  constructor(
    readonly conn: LoadConnection,
    private readonly owner: SlotOwner,
  ) {}

  readonly done = (r: Result<unknown>): void => this.owner.ended(this, r);
}

export function openLoop(
  ctx: LoadContext,
  phase: Phase,
  schedule: Schedule,
  lag: SendLag,
  pacing: PacerStats,
  clock: PacerClock = realClock,
): Promise<void> {
  let total = Number.POSITIVE_INFINITY;
  if (phase.requests !== undefined) total = callsOfThread(phase.requests, schedule.threads, schedule.thread);
  if (phase.endMs !== undefined) total = Math.min(total, callsBefore(schedule, phase.endMs));
  return new Promise<void>((resolve) => new OpenRun(ctx, phase, schedule, lag, pacing, clock, total, resolve).pump());
}

class OpenRun implements SlotOwner {
  /** Free slots as a FIFO ring, so calls go round the connections evenly. */
  private readonly ring: OpenSlot[];
  private head = 0;
  private free = 0;
  private readonly rotation: Rotation;
  private readonly pacer: Pacer;
  private next = 0;
  private starvedAt = -1;
  private inFlight = 0;
  /** Inside pump(): a call that ends at once (no connection) must not start a nested pump. */
  private pumping = false;

  constructor(
    private readonly ctx: LoadContext,
    private readonly phase: Phase,
    private readonly schedule: Schedule,
    private readonly lag: SendLag,
    pacing: PacerStats,
    private readonly clock: PacerClock,
    private readonly total: number,
    private readonly resolve: () => void,
  ) {
    const capacity = ctx.connections.reduce((n, c) => n + c.slots, 0);
    this.ring = new Array(capacity);
    for (const c of ctx.connections) for (let s = 0; s < c.slots; s++) this.ring[this.free++] = new OpenSlot(c, this);
    this.rotation = new Rotation(ctx.workloads, ctx.rotationStart);
    this.pacer = new Pacer(pacing, phase.record ? (from, to) => lag.stall(from, to) : undefined, clock);
  }

  private finished(): boolean {
    return this.next >= this.total || this.ctx.stopped();
  }

  /** A method, not an arrow per run: the pacer calls the same function in every phase (pacer.ts, at()). */
  pump(): void {
    this.pumping = true;
    try {
      this.sendDue();
    } finally {
      this.pumping = false;
    }
    if (this.finished() && this.inFlight === 0) this.resolve();
  }

  private sendDue(): void {
    const { clock, ring } = this;
    while (!this.finished()) {
      const due = dueAt(this.schedule, this.next);
      if (due > clock.now()) {
        this.pacer.at(due, this.pump, this);
        return;
      }
      if (this.free === 0) {
        // a completion pumps again; the call is counted once, however many times it finds no slot
        if (this.phase.record && this.starvedAt !== this.next) {
          this.lag.starved++;
          this.starvedAt = this.next;
        }
        return;
      }
      const slot = ring[this.head] as OpenSlot;
      this.head = (this.head + 1) % ring.length;
      this.free--;
      this.next++;
      this.send(slot, due);
    }
  }

  private send(slot: OpenSlot, due: number): void {
    const w = this.rotation.next();
    const sent = this.clock.now();
    const behind = sent - due;
    this.phase.timeline.sent(behind > LATE_AFTER_MS, sent, behind);
    if (this.phase.record) this.lag.send(due, sent);
    slot.due = due;
    slot.sent = sent;
    slot.w = w;
    this.inFlight++;
    slot.conn.channel.unaryOutcome(this.rotation.paths[w] as string, this.rotation.body, this.ctx.call, slot.done);
  }

  ended(slot: OpenSlot, r: Result<unknown>): void {
    const done = this.clock.now();
    this.inFlight--;
    this.ring[(this.head + this.free++) % this.ring.length] = slot;
    const phase = this.phase;
    phase.timeline.record(r.ok ? 0 : r.error.code, done - slot.due, done);
    if (phase.record) {
      this.ctx.recorders[slot.w]?.record(r, done - slot.due, done - slot.sent);
      slot.conn.calls++;
    }
    if (this.pumping) return;
    if (!this.pacer.waiting) this.pump();
    else if (this.finished() && this.inFlight === 0) {
      this.pacer.cancel();
      this.resolve();
    }
  }
}
