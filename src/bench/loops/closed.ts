// Closed loop: every slot sends its next call as soon as the previous one has answered. Latency is the
// round trip; the offered load adapts to the server, which is exactly why it hides queueing (use --rate).
// Under a concurrency schedule (phase.levels) a slot sends only while its rank is within the level.
import type { LoadConnection } from "../connection.ts";
import { activeNow, slotRank, waitActive } from "./gate.ts";

import { type LoadContext, type Phase, Rotation } from "./types.ts";

export interface Tickets {
  /** Claims one call of the shared budget; false once all N are claimed (over all threads). */
  claim(limit: number): boolean;
}

export async function closedLoop(ctx: LoadContext, phase: Phase, tickets: Tickets): Promise<void> {
  const rotation = new Rotation(ctx.workloads, ctx.rotationStart);
  const levels = phase.levels;
  const slot = async (conn: LoadConnection, rank: number) => {
    for (;;) {
      if (ctx.stopped()) return;
      if (phase.endMs !== undefined && performance.now() >= phase.endMs) return;
      if (levels && !activeNow(levels, rank, phase.startMs, performance.now())) {
        if (!(await waitActive(levels, rank, phase.startMs, phase.endMs, ctx.stopped))) return;
        continue;
      }
      if (phase.requests !== undefined && !tickets.claim(phase.requests)) return;
      const w = rotation.next();
      const t0 = performance.now();
      const r = await conn.channel.unary(rotation.paths[w] as string, rotation.body, ctx.call);
      const now = performance.now();
      const ms = now - t0;
      phase.timeline.record(r.ok ? 0 : r.error.code, ms, now);
      if (phase.record) {
        ctx.recorders[w]?.record(r, ms, ms);
        conn.calls++;
      }
      if (!r.ok) await settle(conn);
    }
  };
  // No connection ready: wait for the channel's next attempt rather than spin on calls failing at once.
  const settle = async (conn: LoadConnection) => {
    if (!conn.channel.connected) {
      const left = phase.endMs === undefined ? 1000 : phase.endMs - performance.now();
      await conn.channel.nextAttempt(Math.min(1000, left));
    }
  };
  const slots: Promise<void>[] = [];
  for (const conn of ctx.connections)
    for (let s = 0; s < conn.slots; s++) slots.push(slot(conn, levels ? slotRank(levels, conn.index, s) : 0));
  await Promise.all(slots);
}
