import { grpcperf } from "../gen/pb.js";
import type { UnaryMethod } from "./codec.ts";

export const EchoRequest = grpcperf.v1.EchoRequest;
export const EchoResponse = grpcperf.v1.EchoResponse;
export type EchoRequest = grpcperf.v1.EchoRequest;
export type EchoResponse = grpcperf.v1.EchoResponse;

const ECHO_SERVICE = "grpcperf.v1.Echo";

export const EchoMethod: UnaryMethod<EchoRequest, EchoResponse> = {
  path: `/${ECHO_SERVICE}/Echo`,
  request: EchoRequest,
  response: EchoResponse,
};

export const ECHO_STREAM_PATH = `/${ECHO_SERVICE}/EchoStream`;

/** The most EchoRequest.server_delay_us and server_busy_us may ask for: above, the server refuses the call.
 * Busy work blocks a server thread, hence its low cap. */
export const MAX_SERVER_DELAY_US = 60_000_000;
export const MAX_SERVER_BUSY_US = 1_000_000;
