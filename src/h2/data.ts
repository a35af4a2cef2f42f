// The send path both ends share for the usual message: one DATA frame whose payload is a length-prefixed
// message (the 5-byte prefix of gRPC's framing, which is the one gRPC notion in src/h2), written straight
// into the writer's buffer with no Buffer of its own.
import type { OutFlow, StreamFlow } from "./flow.ts";
import { FRAME_HEADER, FrameType, writeFrameHeader } from "./frame.ts";
import type { Writer } from "./writer.ts";

/** Bytes of the length prefix before each message. */
export const PREFIX_BYTES = 5;
// Below this a byte loop beats subarray() + set().
const SMALL_COPY = 128;

/** One DATA frame carrying prefix + body[0, length); the caller has checked windows and frame size. */
export function writeMessageFrame(w: Writer, id: number, flags: number, body: Uint8Array, length: number): void {
  const total = PREFIX_BYTES + length;
  const at = w.reserve(FRAME_HEADER + total);
  const slab = w.slab;
  writeFrameHeader(slab, at, total, FrameType.DATA, flags, id);
  slab[at + FRAME_HEADER] = 0;
  slab.writeUInt32BE(length, at + FRAME_HEADER + 1);
  const to = at + FRAME_HEADER + PREFIX_BYTES;
  if (length <= SMALL_COPY) {
    for (let i = 0; i < length; i++) slab[to + i] = body[i] as number;
  } else {
    slab.set(length === body.length ? body : body.subarray(0, length), to);
  }
}

/** Messages up to this size (prefix included) are copied whole into the output buffer; larger ones are queued. */
const COPY_WHOLE = 16 * 1024;

/**
 * The usual message on a stream with nothing queued: one DATA frame, prefix and body copied straight into
 * the output buffer, when it is small and both windows and the peer's frame size let it out whole. False:
 * the caller queues it (./send-queue.ts) instead.
 */
export function trySendWhole(
  w: Writer,
  id: number,
  flags: number,
  body: Uint8Array,
  length: number,
  stream: StreamFlow,
  connection: OutFlow,
  maxFrame: number,
): boolean {
  const total = length + PREFIX_BYTES;
  if (total > COPY_WHOLE || total > stream.sendWindow || total > connection.avail || total > maxFrame) return false;
  writeMessageFrame(w, id, flags, body, length);
  stream.sendWindow -= total;
  connection.avail -= total;
  return true;
}
