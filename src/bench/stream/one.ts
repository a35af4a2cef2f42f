// One stream from open to end, by kind, recording per-message figures:
//   bidi    — each reply matched to its request (by sequence or by order): round trip from the send, or,
//             paced (--stream-rate), from the message's due time, with service time from the actual send;
//             the client half-closes after the last reply;
//   server  — one request, half-close; time to first message, gaps between messages;
//   client  — all requests (paced if asked), half-close; time from half-close and from first send to the response.
// Every stream also gives its duration. Nothing is recorded when `rec` is undefined (warm-up).
// The timeline (warm-up too) counts each stream's outcome, and as latency each message's round trip (bidi)
// or, for the other kinds, the stream's duration; streams cancelled at the run's end count in neither.

import type { StreamKind } from "../../report/types.ts";
import type { CallOptions, ClientStream, RpcChannel, StreamEnd } from "../../rpc/channel.ts";
import { Pacer, type PacerStats } from "../loops/pacer.ts";
import type { IntervalRecorder } from "../timeline/recorder.ts";
import type { StreamRecorder } from "./tally.ts";
import { readSequence } from "./workload.ts";

/** What every stream of a thread shares, built once. */
export interface StreamPlan {
  readonly path: string;
  readonly kind: StreamKind;
  /** The messages of one stream, in order (one for a server stream). */
  readonly bodies: readonly Buffer[];
  readonly matchSequence: boolean;
  /** Messages per second within a stream; undefined: ping-pong (bidi) or back to back (client). */
  readonly rate: number | undefined;
  readonly call: CallOptions;
}

/** Lets the loop end a stream when the run ends; the stream then counts as cancelled, not failed. */
export interface StreamHandle {
  cancel(): void;
}

/** A bidi reply to message i: its round trip, from the due time when paced (and then the service time from the send). */
function recordReply(
  rec: StreamRecorder,
  sentAt: Float64Array,
  dueAt: Float64Array | undefined,
  i: number,
  now: number,
): void {
  if (dueAt) {
    rec.record("round_trip", now - (dueAt[i] as number));
    rec.record("service_time", now - (sentAt[i] as number));
  } else rec.record("round_trip", now - (sentAt[i] as number));
}

export function runStream(
  channel: RpcChannel,
  plan: StreamPlan,
  rec: StreamRecorder | undefined,
  timeline: IntervalRecorder,
  stopped: () => boolean,
  onOpen: (h: StreamHandle) => void,
  pacing: PacerStats = { idleMs: 0 },
): Promise<void> {
  const { bodies, kind, rate } = plan;
  const total = bodies.length;
  // Per-message times, this stream only (ms, performance.now()).
  const sentAt = kind === "bidi" ? new Float64Array(total) : undefined;
  const dueAt = kind === "bidi" && rate !== undefined ? new Float64Array(total) : undefined;
  let sent = 0;
  let received = 0;
  let byRun = false;
  // --stream-rate: messages leave on the same pacer as calls (pacer.ts)
  const pacer = rate === undefined ? undefined : new Pacer(pacing);
  let halfClosedAt = 0;
  let lastAt = 0;
  let s: ClientStream | undefined;
  const t0 = performance.now();

  const cancelByRun = () => {
    byRun = true;
    s?.cancel();
  };
  // `now`: the caller's clock read, if any (a reply's): one read (~70 ns in Bun) less per bidi message.
  const sendOne = (due: number, now = performance.now()) => {
    const i = sent++;
    if (sentAt) sentAt[i] = now;
    if (dueAt) dueAt[i] = due;
    if (rec) rec.sent++;
    if (rec && rate !== undefined) rec.messageSent(now - due);
    s?.send(bodies[i] as Buffer);
  };
  const halfClose = () => {
    halfClosedAt = performance.now();
    s?.end();
  };
  // Paced sending: message i is due at t0 + i / rate, sent then whatever the replies do.
  const pace = () => {
    if (stopped()) return cancelByRun();
    const interval = 1000 / (rate as number);
    let now = performance.now();
    while (sent < total && t0 + sent * interval <= now) {
      sendOne(t0 + sent * interval);
      now = performance.now();
    }
    if (sent < total) pacer?.at(t0 + sent * interval, pace);
    else if (kind === "client") halfClose();
  };

  return new Promise<void>((resolve) => {
    // The lean client hands each reply over as a range of its read (no Buffer per message); onMessage too.
    const onMessageAt = (buf: Buffer, from: number, to: number) => {
      const now = performance.now();
      const n = received++;
      if (rec) rec.received++;
      if (kind === "bidi") {
        const i = plan.matchSequence ? readSequence(buf, from, to) - 1 : n;
        const known = i >= 0 && i < sent;
        // Ping-pong: the next message goes before this reply is recorded (its round trip excludes that).
        const next = received < total && rate === undefined && sent < total;
        const stop = next && stopped();
        if (next && !stop) sendOne(now, now);
        if (known) {
          timeline.latency(now - ((dueAt ?? sentAt)?.[i] as number), now);
          if (rec) recordReply(rec, sentAt as Float64Array, dueAt, i, now);
        }
        if (received >= total) return halfClose();
        if (stop) return cancelByRun();
      } else if (kind === "server") {
        if (rec) rec.record(n === 0 ? "first_message" : "gap", now - (n === 0 ? t0 : lastAt));
        lastAt = now;
      } else if (n === 0 && rec) {
        rec.record("to_response", now - (halfClosedAt || now));
        rec.record("from_first_send", now - t0);
      }
    };
    const onEnd = (end: StreamEnd) => {
      pacer?.cancel();
      const now = performance.now();
      rec?.end(end.code, end.details, now - t0, byRun);
      if (!byRun) {
        if (kind === "bidi") timeline.outcome(end.code, now);
        else timeline.record(end.code, now - t0, now);
      }
      resolve();
    };
    s = channel.stream(plan.path, { onMessage: (m) => onMessageAt(m, 0, m.length), onMessageAt, onEnd }, plan.call);
    onOpen({ cancel: cancelByRun });
    if (byRun) return;
    if (kind === "server") {
      sendOne(t0);
      return halfClose();
    }
    if (rate !== undefined) return pace();
    if (kind === "bidi") return sendOne(t0);
    for (let i = 0; i < total; i++) sendOne(t0);
    halfClose();
  });
}
