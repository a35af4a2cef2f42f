// Open loop: calls are due on a fixed schedule whatever the server does. Latency runs from the DUE time,
// so a stalled server is charged for every call that had to wait behind it (no coordinated omission);
// service time (sent → answered) is kept beside it. A call that finds no free slot waits and is sent late.
import type { Result } from "../../rpc/status.ts";
import type { LoadConnection } from "../connection.ts";
import { callsBefore, callsOfThread, dueAt, LATE_AFTER_MS, type Schedule } from "../schedule.ts";
import { type LoadContext, type Phase, Rotation } from "./types.ts";

export interface SendLag {
  late: number;
  maxLagMs: number;
  /** Measured calls sent, and when the last of them went out (this thread's clock). */
  sent: number;
  lastSendMs: number;
  /** Measured calls that were due while every slot was busy: late because of the server (or --concurrency), not the loader. */
  starved: number;
}

export function openLoop(ctx: LoadContext, phase: Phase, schedule: Schedule, lag: SendLag): Promise<void> {
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
  let timer: ReturnType<typeof setTimeout> | undefined;

  return new Promise<void>((resolve) => {
    const finished = () => next >= total || ctx.stopped();

    const send = (conn: LoadConnection, due: number) => {
      const w = rotation.next();
      const sent = performance.now();
      const behind = sent - due;
      phase.timeline.sent(behind > LATE_AFTER_MS, sent);
      if (phase.record) {
        if (behind > LATE_AFTER_MS) lag.late++;
        if (behind > lag.maxLagMs) lag.maxLagMs = behind;
        lag.sent++;
        lag.lastSendMs = sent;
      }
      inFlight++;
      conn.channel.unary(rotation.paths[w] as string, rotation.body, ctx.call).then((r: Result<Buffer>) => {
        const done = performance.now();
        inFlight--;
        ring[(head + free++) % capacity] = conn;
        phase.timeline.record(r.ok ? 0 : r.error.code, done - due, done);
        if (phase.record) {
          ctx.recorders[w]?.record(r, done - due, done - sent);
          conn.calls++;
        }
        if (timer === undefined) pump();
        else if (finished() && inFlight === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    };

    const pump = () => {
      timer = undefined;
      while (!finished()) {
        const due = dueAt(schedule, next);
        const now = performance.now();
        if (due > now) {
          timer = setTimeout(pump, due - now);
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

    const wait = schedule.startMs - performance.now();
    if (wait > 0) timer = setTimeout(pump, wait);
    else pump();
  });
}
