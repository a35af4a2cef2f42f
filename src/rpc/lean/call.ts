// What a stream of the lean connection carries, and when a call the server never processed may be sent
// again.
import { ClientStreamCall } from "./stream-call.ts";
import type { ClientUnaryCall } from "./unary-call.ts";

/** What a stream carries: the connection treats both alike but for sending and the end. */
export type Call = ClientUnaryCall | ClientStreamCall;

// How often a call the server never saw is sent again (as gRPC clients do, and ../node-http2/channel.ts).
const MAX_TRANSPARENT_RETRIES = 2;

/** Whether a call the server never processed may be sent again: within the retry limit, and for a stream
 * call only while none of its requests went out (they are not kept for a replay). */
export function retryable(call: Call): boolean {
  if (call.retries >= MAX_TRANSPARENT_RETRIES) return false;
  return !(call instanceof ClientStreamCall) || call.replayable;
}
