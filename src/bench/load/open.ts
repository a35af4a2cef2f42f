// Open loop: calls are due on a fixed schedule whatever the server does. Latency runs from the DUE time,
// so a stalled server is charged for every call that had to wait behind it (no coordinated omission);
// service time (sent → answered) is kept beside it. A call that finds no free slot waits and is sent late.
// The pacer (pacer.ts) wakes the loop at each due time; every send's lag (sent − due) is recorded.

import { LATE_AFTER_MS } from "../../report/marks.ts";
import type { Result } from "../../rpc/status.ts";
import type { LoadConnection } from "../connection.ts";
import { callsBefore, callsOfThread, dueAt, type Schedule } from "../schedule.ts";
import { Pacer, type PacerClock, type PacerStats, realClock } from "./pacer.ts";
import type { SendLag } from "./send-lag.ts";
import { type LoadContext, type Phase, Rotation } from "./types.ts";

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

  // One entry per free slot, as a FIFO ring, so calls go round the connections evenly.
  const capacity = ctx.connections.reduce((n, c) => n + c.slots, 0);
  const ring: LoadConnection[] = new Array(capacity);
  let head = 0;
  let free = 0;
  for (const c of ctx.connections) for (let s = 0; s < c.slots; s++) ring[(head + free++) % capacity] = c;

  const rotation = new Rotation(ctx.workloads, ctx.rotationStart);
  let next = 0;
  let starvedAt = -1;
  let inFlight = 0;
  const pacer = new Pacer(pacing, phase.record ? (from, to) => lag.stall(from, to) : undefined, clock);

  return new Promise<void>((resolve) => {
    const finished = () => next >= total || ctx.stopped();

    const send = (conn: LoadConnection, due: number) => {
      const w = rotation.next();
      const sent = clock.now();
      const behind = sent - due;
      phase.timeline.sent(behind > LATE_AFTER_MS, sent, behind);
      if (phase.record) lag.send(due, sent);
      inFlight++;
      conn.channel.unary(rotation.paths[w] as string, rotation.body, ctx.call).then((r: Result<Buffer>) => {
        const done = clock.now();
        inFlight--;
        ring[(head + free++) % capacity] = conn;
        phase.timeline.record(r.ok ? 0 : r.error.code, done - due, done);
        if (phase.record) {
          ctx.recorders[w]?.record(r, done - due, done - sent);
          conn.calls++;
        }
        if (!pacer.waiting) pump();
        else if (finished() && inFlight === 0) {
          pacer.cancel();
          resolve();
        }
      });
    };

    const pump = () => {
      while (!finished()) {
        const due = dueAt(schedule, next);
        if (due > clock.now()) {
          pacer.at(due, pump);
          return;
        }
        if (free === 0) {
          // a completion pumps again; the call is counted once, however many times it finds no slot
          if (phase.record && starvedAt !== next) {
            lag.starved++;
            starvedAt = next;
          }
          return;
        }
        const conn = ring[head] as LoadConnection;
        head = (head + 1) % capacity;
        free--;
        next++;
        send(conn, due);
      }
      if (inFlight === 0) resolve();
    };

    pump();
  });
}
