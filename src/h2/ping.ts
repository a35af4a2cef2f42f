// A PING's acknowledgement (RFC 9113 §6.7): the same 8 opaque bytes back with ACK, written straight into
// the writer's buffer. grpc-go's BDP estimator pings about once per read, so this runs per batch of calls
// and should allocate nothing.
import { Flag, FRAME_HEADER, FrameType, writeFrameHeader } from "./frame.ts";
import type { Writer } from "./writer.ts";

const PING_PAYLOAD = 8;

/** Answers the PING whose payload is buf[start, start + 8). */
export function writePingAck(w: Writer, buf: Uint8Array, start: number): void {
  const at = w.reserve(FRAME_HEADER + PING_PAYLOAD);
  const slab = w.slab;
  writeFrameHeader(slab, at, PING_PAYLOAD, FrameType.PING, Flag.ACK, 0);
  for (let i = 0; i < PING_PAYLOAD; i++) slab[at + FRAME_HEADER + i] = buf[start + i] as number;
}
