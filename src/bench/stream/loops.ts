// Streams as the unit of load. Closed loop: each slot (connections × per-connection share, as for calls)
// opens its next stream when the previous one has ended. Open loop (--rate, --stages): streams are due on
// the calls' schedule over all threads (src/load/schedule.ts: start + k / rate when flat), each on a free slot. At the phase's end time every
// stream still open is cancelled: it counts as cancelled, and the messages it completed still count.

import { callsBefore, callsOfThread, dueAt, type Schedule } from "../../load/schedule.ts";
import { LATE_AFTER_MS } from "../../report/marks.ts";
import type { LoadConnection } from "../connection.ts";
import type { Tickets } from "../loops/closed.ts";
import { activeNow, slotRank, waitActive } from "../loops/gate.ts";
import { Pacer, type PacerStats } from "../loops/pacer.ts";
import type { SendLag } from "../loops/send-lag.ts";
import type { Phase } from "../loops/types.ts";
import { runStream, type StreamHandle, type StreamPlan } from "./one.ts";
import type { StreamRecorder } from "./tally.ts";

export interface StreamContext {
  readonly connections: readonly LoadConnection[];
  readonly plan: StreamPlan;
  readonly recorder: StreamRecorder;
  readonly stopped: () => boolean;
  /** The thread's pacer figures: every pacer of the thread (streams' and messages') adds its idle time here. */
  readonly pacing: PacerStats;
}

/** Streams open now, and a timer that cancels them all at the phase's end. */
function openStreams(phase: Phase) {
  const open = new Set<StreamHandle>();
  let over = false;
  const endAll = () => {
    over = true;
    for (const h of open) h.cancel();
  };
  const timer =
    phase.endMs === undefined ? undefined : setTimeout(endAll, Math.max(0, phase.endMs - performance.now()));
  return {
    /** The phase's end has come: timers may fire a hair before performance.now() reaches endMs, so a
     * loop asks this rather than the clock, or it would open a stream only to cancel it at once. */
    get over(): boolean {
      return over;
    },
    start(ctx: StreamContext, conn: LoadConnection): Promise<void> {
      // Only the open loop gets here after the end (the closed loop asks `over` first): a stream that was due
      // within the phase but found the phase over is accounted as cancelled by the run, never lost.
      if (over) {
        if (phase.record) ctx.recorder.cancelled++;
        return Promise.resolve();
      }
      let handle: StreamHandle | undefined;
      const rec = phase.record ? ctx.recorder : undefined;
      const done = runStream(
        conn.channel,
        ctx.plan,
        rec,
        phase.timeline,
        ctx.stopped,
        (h) => {
          handle = h;
          if (over) h.cancel();
          else open.add(h);
        },
        ctx.pacing,
      );
      return done.then(() => {
        if (handle) open.delete(handle);
        if (phase.record) conn.calls++;
      });
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

export async function closedStreamLoop(ctx: StreamContext, phase: Phase, tickets: Tickets): Promise<void> {
  const streams = openStreams(phase);
  const levels = phase.levels;
  const slot = async (conn: LoadConnection, rank: number) => {
    for (;;) {
      if (ctx.stopped()) return;
      if (streams.over || (phase.endMs !== undefined && performance.now() >= phase.endMs)) return;
      // --concurrency-stages: a slot opens streams only while its rank is within the level
      if (levels && !activeNow(levels, rank, phase.startMs, performance.now())) {
        if (!(await waitActive(levels, rank, phase.startMs, phase.endMs, ctx.stopped))) return;
        continue;
      }
      if (phase.requests !== undefined && !tickets.claim(phase.requests)) return;
      await streams.start(ctx, conn);
      // No connection ready: the stream ended at once; wait for the next attempt rather than spin.
      if (!conn.channel.connected) {
        const left = phase.endMs === undefined ? 1000 : phase.endMs - performance.now();
        await conn.channel.nextAttempt(Math.min(1000, left));
      }
    }
  };
  const slots: Promise<void>[] = [];
  for (const conn of ctx.connections)
    for (let s = 0; s < conn.slots; s++) slots.push(slot(conn, levels ? slotRank(levels, conn.index, s) : 0));
  await Promise.all(slots);
  streams.stop();
}

export function openStreamLoop(ctx: StreamContext, phase: Phase, schedule: Schedule, lag: SendLag): Promise<void> {
  let total = Number.POSITIVE_INFINITY;
  if (phase.requests !== undefined) total = callsOfThread(phase.requests, schedule.threads, schedule.thread);
  if (phase.endMs !== undefined) total = Math.min(total, callsBefore(schedule, phase.endMs));
  const streams = openStreams(phase);
  const free: LoadConnection[] = [];
  for (const c of ctx.connections) for (let s = 0; s < c.slots; s++) free.push(c);
  let next = 0;
  let starvedAt = -1;
  let inFlight = 0;
  const pacer = new Pacer(ctx.pacing, phase.record ? (from, to) => lag.stall(from, to) : undefined);

  return new Promise<void>((resolve) => {
    const finish = () => {
      streams.stop();
      resolve();
    };
    const pump = () => {
      while (next < total && !ctx.stopped()) {
        const due = dueAt(schedule, next);
        const now = performance.now();
        if (due > now) {
          pacer.at(due, pump);
          return;
        }
        const conn = free.shift();
        if (!conn) {
          // an ending stream pumps again; the stream is counted once, however many times it finds no slot
          if (phase.record && starvedAt !== next) {
            lag.starved++;
            starvedAt = next;
          }
          return;
        }
        next++;
        phase.timeline.sent(now - due > LATE_AFTER_MS, now, now - due);
        if (phase.record) lag.send(due, now);
        inFlight++;
        streams.start(ctx, conn).then(() => {
          inFlight--;
          free.push(conn);
          if (!pacer.waiting) pump();
          else if (inFlight === 0 && (next >= total || ctx.stopped())) {
            pacer.cancel();
            finish();
          }
        });
      }
      if (inFlight === 0) finish();
    };
    pump();
  });
}
