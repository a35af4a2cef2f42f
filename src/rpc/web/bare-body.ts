// How a unary call whose request is not gRPC's framed message goes out: Connect's bare message, or
// gRPC-Web text mode's base64 envelope. A small body is one DATA frame with END_STREAM copied straight
// into the output buffer (as h2/data.ts's trySendWhole does for gRPC's); a larger one, or one the windows
// hold back, goes in pieces from a SendQueue of views of the caller's bytes, never copied whole.
import type { OutFlow } from "../../h2/flow.ts";
import { Flag, FRAME_HEADER, FrameType, writeFrameHeader } from "../../h2/frame.ts";
import { SendQueue } from "../../h2/send-queue.ts";
import type { Writer } from "../../h2/writer.ts";
import type { ClientUnaryCall } from "../lean/unary-call.ts";

/** Requests up to this size go out in one frame copied into the output buffer. */
const COPY_WHOLE = 16 * 1024;
/** call.out once the body went out whole (ClientUnaryCall.rewind clears it for a retry). */
const SENT_WHOLE = new SendQueue();

/** Sends as much of `body` as both windows allow, END_STREAM on its last byte; call.total must be its length. */
export function sendBare(
  call: ClientUnaryCall,
  body: Uint8Array,
  w: Writer,
  connection: OutFlow,
  maxFrame: number,
): void {
  let q = call.out;
  if (q === SENT_WHOLE) return;
  const n = body.length;
  const flow = call.flow;
  if (q === undefined && n <= COPY_WHOLE && n <= flow.sendWindow && n <= connection.avail && n <= maxFrame) {
    const at = w.reserve(FRAME_HEADER + n);
    writeFrameHeader(w.slab, at, n, FrameType.DATA, Flag.END_STREAM, call.id);
    w.slab.set(body, at + FRAME_HEADER);
    flow.sendWindow -= n;
    connection.avail -= n;
    call.sent = n;
    call.out = SENT_WHOLE;
    return;
  }
  if (q === undefined) {
    q = new SendQueue();
    q.push(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    call.out = q;
  }
  call.sent += q.flush(w, call.id, flow, connection, maxFrame, true);
}
