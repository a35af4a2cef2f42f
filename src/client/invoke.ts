// One call of any method, by path, with its requests already encoded: the core of `grpcperf call
// pkg.Service/Method`. Every kind goes through RpcChannel.stream, so unary and streaming calls report the
// same things (headers, each message as it arrives, trailers, status) the same way.
import type { CallOptions, Metadata, RpcChannel, StreamEnd } from "../rpc/channel.ts";

export interface InvokeEvents {
  onHeaders?(headers: Metadata): void;
  /** A response message, with the µs since the call started. */
  onMessage(message: Buffer, elapsedUs: number): void;
}

export interface Invoked {
  readonly end: StreamEnd;
  readonly sent: number;
  readonly received: number;
  /** From the start of the call to its end, µs. */
  readonly elapsedUs: number;
}

export function invoke(
  channel: RpcChannel,
  path: string,
  requests: readonly Uint8Array[],
  call: CallOptions,
  events: InvokeEvents,
): Promise<Invoked> {
  const t0 = performance.now();
  const us = () => Math.round((performance.now() - t0) * 1000);
  let received = 0;
  return new Promise((resolve) => {
    let sent = 0;
    const stream = channel.stream(
      path,
      {
        onHeaders: events.onHeaders,
        onMessage: (m) => {
          received++;
          events.onMessage(m, us());
        },
        onEnd: (end) => resolve({ end, sent, received, elapsedUs: us() }),
      },
      call,
    );
    for (const r of requests) if (stream.send(r)) sent++;
    stream.end();
  });
}
