// Extra services for tests: real handlers on the real server, for behaviour Echo alone cannot provoke.
import type { UnaryMethod } from "../../src/api/codec.ts";
import { EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { fromLong } from "../../src/clock.ts";
import { fail, type StatusCode } from "../../src/rpc/status.ts";
import { echo } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";

const method = (name: string): UnaryMethod<EchoRequest, EchoResponse> => ({
  path: `/grpcperf.test.Probe/${name}`,
  request: EchoRequest,
  response: EchoResponse,
});

export const SlowMethod = method("Slow");
export const FailMethod = method("Fail");
export const BigMethod = method("Big");
export const BlockMethod = method("Block");

/** Says so on stderr the moment a Block call has its thread's event loop blocked. */
export const BLOCKING_LINE = "Block: event loop blocked";

/** Slow: answers after `sequence` ms. Fail: fails with status `sequence` and the payload as message.
 * Big: answers with `sequence` bytes of payload. Block: holds its thread's event loop for `sequence` ms,
 * as a handler stuck in synchronous work would (Atomics.wait: blocked without burning a core). */
export function probeService(): ServiceDef {
  return {
    name: "grpcperf.test.Probe",
    methods: [
      unary(SlowMethod, async (req, ctx) => {
        await Bun.sleep(Number(fromLong(req.sequence)));
        return { ok: true, value: echo(req, ctx.recvNanos) };
      }),
      unary(FailMethod, (req) =>
        fail(Number(fromLong(req.sequence)) as StatusCode, Buffer.from(req.payload ?? []).toString()),
      ),
      unary(BlockMethod, (req, ctx) => {
        console.error(BLOCKING_LINE);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(fromLong(req.sequence)));
        return { ok: true, value: echo(req, ctx.recvNanos) };
      }),
      unary(BigMethod, (req, ctx) => {
        const res = echo(req, ctx.recvNanos);
        res.payload = Buffer.alloc(Number(fromLong(req.sequence)), 1);
        return { ok: true, value: res };
      }),
    ],
  };
}

/** For ServeOptions.extraServicesModule: the probe service on every server thread. */
export default function services(): ServiceDef[] {
  return [probeService()];
}

export const GateMethod: UnaryMethod<EchoRequest, EchoResponse> = {
  path: "/grpcperf.test.Gate/Gate",
  request: EchoRequest,
  response: EchoResponse,
};

/**
 * A service whose calls say when their handler started and answer only once released: a test knows a
 * call is in flight from the handler's own signal, not from a clock.
 */
export function gateService(): { service: ServiceDef; started: Promise<void>; release(): void } {
  const started = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  return {
    service: {
      name: "grpcperf.test.Gate",
      methods: [
        unary(GateMethod, async (req, ctx) => {
          started.resolve();
          await released.promise;
          return { ok: true, value: echo(req, ctx.recvNanos) };
        }),
      ],
    },
    started: started.promise,
    release: () => released.resolve(),
  };
}
