// A server of known speed (EchoRequest.server_delay_us / server_busy_us) over real TCP sockets, on each
// engine: the server's own timestamps show the time it took, the caps are refused, deadlines still end calls.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeMessage } from "../../src/api/codec.ts";
import {
  ECHO_STREAM_PATH,
  EchoMethod,
  EchoRequest,
  EchoResponse,
  MAX_SERVER_BUSY_US,
  MAX_SERVER_DELAY_US,
} from "../../src/api/echo.ts";
import { fromLong } from "../../src/clock.ts";
import type { RpcChannel, StreamEnd } from "../../src/rpc/channel.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { channelTo, ENGINES, serveOnLoopback, type TestServer } from "../support/helpers.ts";

const req = (fields: { sequence?: number; serverDelayUs?: number; serverBusyUs?: number }) =>
  encodeMessage(EchoRequest, { payload: Buffer.from("x"), ...fields });

/** Time the server spent on the call by its own clock: send stamp minus receive stamp, ms. */
const serverMs = (res: EchoResponse) =>
  Number(fromLong(res.serverSendUnixNanos) - fromLong(res.serverRecvUnixNanos)) / 1e6;

function streamOf(ch: RpcChannel, requests: Uint8Array[], timeoutMs?: number) {
  const messages: EchoResponse[] = [];
  const end = new Promise<StreamEnd>((resolve) => {
    const s = ch.stream(
      ECHO_STREAM_PATH,
      { onMessage: (m) => messages.push(EchoResponse.decode(m)), onEnd: resolve },
      timeoutMs === undefined ? {} : { timeoutMs },
    );
    for (const r of requests) s.send(r);
    s.end();
  });
  return { messages, end };
}

describe.each(ENGINES)("%s", (_name, engine) => {
  let srv: TestServer;
  let ch: RpcChannel;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()], engine);
    ch = channelTo(srv.address, { client: "lean" });
  });
  afterAll(async () => {
    await ch.close();
    await srv.stop();
  });

  async function unary(fields: Parameters<typeof req>[0], timeoutMs = 10_000) {
    return ch.unary(EchoMethod.path, req(fields), { timeoutMs });
  }

  test("server_busy_us=20000: the server spends at least 20 ms on the call", async () => {
    const r = await unary({ sequence: 7, serverBusyUs: 20_000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const res = EchoResponse.decode(r.value);
    expect(Number(res.sequence)).toBe(7);
    expect(serverMs(res)).toBeGreaterThanOrEqual(20);
  });

  test("server_delay_us=20000: the server answers no sooner than 20 ms", async () => {
    const r = await unary({ serverDelayUs: 20_000 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(serverMs(EchoResponse.decode(r.value))).toBeGreaterThanOrEqual(20);
  });

  test("delay and busy add up", async () => {
    const r = await unary({ serverDelayUs: 10_000, serverBusyUs: 10_000 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(serverMs(EchoResponse.decode(r.value))).toBeGreaterThanOrEqual(20);
  });

  test.each([
    ["server_delay_us", { serverDelayUs: MAX_SERVER_DELAY_US + 1 }],
    ["server_busy_us", { serverBusyUs: MAX_SERVER_BUSY_US + 1 }],
    ["server_busy_us", { serverBusyUs: 0xffffffff }],
  ])("%s above its cap → INVALID_ARGUMENT naming the field", async (field, fields) => {
    const r = await unary(fields);
    expect(r.ok ? 0 : r.error.code).toBe(Status.INVALID_ARGUMENT);
    if (!r.ok) expect(r.error.details).toContain(`${field} `);
  });

  test("a call delayed past its deadline ends DEADLINE_EXCEEDED, and the connection serves the next", async () => {
    const r = await unary({ serverDelayUs: 5_000_000 }, 100);
    expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
    const again = await unary({ sequence: 2 });
    expect(again.ok).toBe(true);
  });

  test("EchoStream: each message waits and works as asked, replies in order", async () => {
    const s = streamOf(
      ch,
      [1, 2, 3].map((sequence) => req({ sequence, serverDelayUs: 5_000, serverBusyUs: 5_000 })),
    );
    expect((await s.end).code).toBe(Status.OK);
    expect(s.messages.map((m) => Number(m.sequence))).toEqual([1, 2, 3]);
    for (const m of s.messages) expect(serverMs(m)).toBeGreaterThanOrEqual(10);
  });

  test("EchoStream: a message above a cap ends the stream INVALID_ARGUMENT after the replies before it", async () => {
    const s = streamOf(ch, [
      req({ sequence: 1, serverDelayUs: 1_000 }),
      req({ sequence: 2, serverDelayUs: MAX_SERVER_DELAY_US + 1 }),
      req({ sequence: 3 }),
    ]);
    const end = await s.end;
    expect(end.code).toBe(Status.INVALID_ARGUMENT);
    expect(end.details).toContain("server_delay_us ");
    expect(s.messages.map((m) => Number(m.sequence))).toEqual([1]);
  });

  test("EchoStream: a message delayed past the stream's deadline ends it DEADLINE_EXCEEDED", async () => {
    const s = streamOf(ch, [req({ sequence: 1 }), req({ sequence: 2, serverDelayUs: 5_000_000 })], 200);
    expect((await s.end).code).toBe(Status.DEADLINE_EXCEEDED);
    expect(s.messages.map((m) => Number(m.sequence))).toEqual([1]);
  });
});
