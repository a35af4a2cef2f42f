// Calls of every kind through RpcChannel.stream, on both clients, against grpcperf's own server (EchoStream)
// over real loopback sockets: messages both ways in order, half-close, metadata, deadline, cancel, limits.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeMessage } from "../src/api/codec.ts";
import { ECHO_STREAM_PATH, EchoMethod, EchoRequest, EchoResponse } from "../src/api/echo.ts";
import type { Metadata, RpcChannel, StreamEnd } from "../src/rpc/channel.ts";
import { Status } from "../src/rpc/status.ts";
import { echoService } from "../src/server/echo.ts";
import { CLIENTS, channelTo, serveOnLoopback, type TestServer } from "./helpers.ts";

interface Collected {
  headers: Metadata | undefined;
  messages: Buffer[];
  end: Promise<StreamEnd>;
}

function collect(ch: RpcChannel, path: string, requests: Uint8Array[], opts = {}): Collected {
  const out: Collected = { headers: undefined, messages: [], end: Promise.resolve() as never };
  out.end = new Promise((resolve) => {
    const s = ch.stream(
      path,
      {
        onHeaders: (h) => {
          out.headers = h;
        },
        onMessage: (m) => out.messages.push(m),
        onEnd: resolve,
      },
      opts,
    );
    for (const r of requests) s.send(r);
    s.end();
  });
  return out;
}

const req = (sequence: number) => encodeMessage(EchoRequest, { payload: Buffer.from(`m${sequence}`), sequence });
const seqOf = (b: Buffer) => Number(EchoResponse.decode(b).sequence);

let srv: TestServer;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService()]);
});
afterAll(() => srv.stop());

describe.each(CLIENTS)("stream calls, %s client", (client) => {
  test("bidi: every message comes back in order, then OK", async () => {
    const ch = channelTo(srv.address, { client });
    const c = collect(ch, ECHO_STREAM_PATH, [1, 2, 3, 4, 5].map(req));
    const end = await c.end;
    expect(end.code).toBe(Status.OK);
    expect(c.messages.map(seqOf)).toEqual([1, 2, 3, 4, 5]);
    expect(c.headers?.some(([n]) => n === "content-type")).toBe(true);
    expect(end.trailers.find(([n]) => n === "grpc-status")?.[1]).toBe("0");
    await ch.close();
  });

  test("bidi: replies arrive before the client half-closes", async () => {
    const ch = channelTo(srv.address, { client });
    let sent = 0;
    const seen: number[] = [];
    const end = await new Promise<StreamEnd>((resolve) => {
      const s = ch.stream(ECHO_STREAM_PATH, {
        onMessage: (m) => {
          seen.push(seqOf(m));
          if (sent < 3) s.send(req(++sent));
          else s.end();
        },
        onEnd: resolve,
      });
      s.send(req(++sent));
    });
    expect(end.code).toBe(Status.OK);
    expect(seen).toEqual([1, 2, 3]);
    await ch.close();
  });

  test("unary method through stream(): one message and OK", async () => {
    const ch = channelTo(srv.address, { client });
    const c = collect(ch, EchoMethod.path, [req(9)]);
    expect((await c.end).code).toBe(Status.OK);
    expect(c.messages.map(seqOf)).toEqual([9]);
    await ch.close();
  });

  test("an unknown method ends UNIMPLEMENTED with no message", async () => {
    const ch = channelTo(srv.address, { client });
    const c = collect(ch, "/grpcperf.v1.Echo/Nope", [req(1)]);
    const end = await c.end;
    expect(end.code).toBe(Status.UNIMPLEMENTED);
    expect(c.messages).toEqual([]);
    await ch.close();
  });

  test("cancel ends the call CANCELLED and the channel stays usable", async () => {
    const ch = channelTo(srv.address, { client });
    const end = await new Promise<StreamEnd>((resolve) => {
      const s = ch.stream(ECHO_STREAM_PATH, { onMessage: () => s.cancel(), onEnd: resolve });
      s.send(req(1));
    });
    expect(end.code).toBe(Status.CANCELLED);
    const c = collect(ch, ECHO_STREAM_PATH, [req(2)]);
    expect((await c.end).code).toBe(Status.OK);
    await ch.close();
  });

  test("a stream left open past its deadline ends DEADLINE_EXCEEDED", async () => {
    const ch = channelTo(srv.address, { client });
    const end = await new Promise<StreamEnd>((resolve) => {
      const s = ch.stream(ECHO_STREAM_PATH, { onMessage: () => {}, onEnd: resolve }, { timeoutMs: 200 });
      s.send(req(1));
    });
    expect(end.code).toBe(Status.DEADLINE_EXCEEDED);
    await ch.close();
  });

  test("a message over the send limit is refused locally with RESOURCE_EXHAUSTED", async () => {
    const ch = channelTo(srv.address, { client, maxSendMessageBytes: 100 });
    const c = collect(ch, ECHO_STREAM_PATH, [encodeMessage(EchoRequest, { payload: Buffer.alloc(200) })]);
    expect((await c.end).code).toBe(Status.RESOURCE_EXHAUSTED);
    await ch.close();
  });

  test("custom metadata reaches the server; a dead server ends UNAVAILABLE", async () => {
    const ch = channelTo(srv.address, { client });
    const c = collect(ch, ECHO_STREAM_PATH, [req(1)], {
      metadata: [
        ["x-a", "1"],
        ["x-a", "2"],
      ],
    });
    expect((await c.end).code).toBe(Status.OK);
    await ch.close();
    const dead = channelTo({ kind: "tcp", host: "127.0.0.1", port: 1 }, { client });
    const d = collect(dead, ECHO_STREAM_PATH, [req(1)]);
    expect((await d.end).code).toBe(Status.UNAVAILABLE);
    await dead.close();
  });
});
