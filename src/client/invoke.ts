// One call of any method, by path, with its requests already encoded: the core of `grpcperf call
// pkg.Service/Method`. Every kind goes through RpcChannel.stream, so unary and streaming calls report the
// same things (headers, each message as it arrives, trailers, status) the same way.
import type { CallOptions, Metadata, RpcChannel, StreamEnd } from "../rpc/channel.ts";

interface InvokeEvents {
  onHeaders?(headers: Metadata): void;
  /** A response message, with the µs since the call started. */
  onMessage(message: Buffer, elapsedUs: number): void;
}

interface Invoked {
  readonly end: StreamEnd;
  readonly sent: number;
  readonly received: number;
  /** From the start of the call to its end, µs. */
  readonly elapsedUs: number;
}

/**
 * The requests: all at once, or as a source yields them (`-d @-` on a client or bidi stream: each message
 * as its line arrives). A source that throws cancels the call; the error is the source's to report.
 */
export type Requests = readonly Uint8Array[] | AsyncIterable<Uint8Array>;

export function invoke(
  channel: RpcChannel,
  path: string,
  requests: Requests,
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
    if (Array.isArray(requests)) {
      for (const r of requests as readonly Uint8Array[]) if (stream.send(r)) sent++;
      stream.end();
      return;
    }
    void (async () => {
      try {
        for await (const r of requests as AsyncIterable<Uint8Array>) {
          if (!stream.send(r)) return; // the call is over: stop reading
          sent++;
        }
        stream.end();
      } catch {
        stream.cancel();
      }
    })();
  });
}
