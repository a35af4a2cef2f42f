// What a streaming benchmark sends: one method, its kind, and pre-encoded request messages taken in turn.
// For EchoStream each message carries its own sequence so replies are matched by it; other methods'
// replies are matched by order. All bodies of a stream are built once per thread, so sending allocates nothing.
import { randomBytes } from "node:crypto";
import { encodeMessage } from "../../api/codec.ts";
import { ECHO_STREAM_PATH, EchoRequest } from "../../api/echo.ts";
import type { StreamKind } from "../../report/types.ts";

export interface StreamWorkload {
  /** Shown in reports, e.g. "grpcperf.v1.Echo/EchoStream". */
  readonly label: string;
  readonly path: string;
  readonly kind: StreamKind;
  /** Encoded request messages; message i of a stream is requests[i % length]. */
  readonly requests: readonly Uint8Array[];
  /** Requests get sequence = i + 1 (field 2, varint) and replies are matched by the sequence they echo. */
  readonly matchSequence?: boolean;
}

/** How each stream of the run goes. */
export interface StreamSettings {
  /** Messages a client or bidi stream sends (a server stream sends one request). */
  readonly messages: number;
  /** Messages per second within each stream (paced, open loop); undefined: ping-pong. */
  readonly rate: number | undefined;
}

export const DEFAULT_STREAM_MESSAGES = 100;

/** The server's wait and busy work asked for by each EchoStream message, µs (bench --server-delay / --server-busy). */
interface EchoSpeed {
  readonly serverDelayUs?: number;
  readonly serverBusyUs?: number;
}

/** grpcperf's own bidi EchoStream with a random payload of `payloadSize` bytes. */
function echoStreamWorkload(payloadSize: number, speed: EchoSpeed = {}): StreamWorkload {
  const request = {
    payload: randomBytes(payloadSize),
    serverDelayUs: speed.serverDelayUs ?? 0,
    serverBusyUs: speed.serverBusyUs ?? 0,
  };
  return {
    label: ECHO_STREAM_PATH.slice(1),
    path: ECHO_STREAM_PATH,
    kind: "bidi",
    requests: [encodeMessage(EchoRequest, request)],
    matchSequence: true,
  };
}

/** The streaming method of a run: --call's, or grpcperf's own EchoStream. */
export function streamWorkloadOf(
  opts: { streamWorkload?: StreamWorkload; payloadSize: number } & EchoSpeed,
): StreamWorkload {
  return opts.streamWorkload ?? echoStreamWorkload(opts.payloadSize, opts);
}

// EchoRequest.sequence / EchoResponse.sequence: field 2, varint.
const SEQUENCE_TAG = (2 << 3) | 0;

/** The bodies of one stream, message by message: requests in turn, each stamped with its sequence if asked. */
export function streamBodies(w: StreamWorkload, messages: number): Buffer[] {
  const n = w.kind === "server" ? 1 : messages;
  return Array.from({ length: n }, (_, i) => {
    const base = Buffer.from(w.requests[i % w.requests.length] as Uint8Array);
    // A field appended after the others wins in proto3 (last one seen), so the template may carry any sequence.
    return w.matchSequence ? Buffer.concat([base, Buffer.from([SEQUENCE_TAG]), varint(i + 1)]) : base;
  });
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * The sequence (field 2) of an encoded reply, b[start, end) (all of b by default), or 0 when absent or
 * unreadable. Reads no other field.
 */
export function readSequence(b: Uint8Array, start = 0, end = b.length): number {
  // Once per reply on the load thread: varints read inline (a closure per call cost more than the reading),
  // and those of other fields (EchoResponse's three int64 time stamps, 9 bytes each) skipped byte by byte
  // rather than summed: summing them in floating point was ~4x the cost of the whole reply's reading.
  let p = start;
  let seq = 0;
  while (p < end) {
    let tag = b[p++] as number;
    if (tag >= 0x80) {
      tag &= 0x7f;
      let mul = 128;
      for (;;) {
        if (p >= end) return 0;
        const x = b[p++] as number;
        tag += (x & 0x7f) * mul;
        if (x < 0x80) break;
        mul *= 128;
      }
    }
    const wire = tag & 7;
    if (wire === 0 && tag !== SEQUENCE_TAG) {
      for (;;) {
        if (p >= end) return 0;
        if ((b[p++] as number) < 0x80) break;
      }
    } else if (wire === 0 || wire === 2) {
      let v = 0;
      let mul = 1;
      for (;;) {
        if (p >= end) return 0;
        const x = b[p++] as number;
        v += (x & 0x7f) * mul;
        if (x < 0x80) break;
        mul *= 128;
      }
      if (wire === 2) p += v;
      else seq = v;
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else return 0;
  }
  return seq;
}
