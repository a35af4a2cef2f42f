// The lean channel's pool of unary calls (src/rpc/lean/call-pool.ts): a call goes back once its stream has
// ended by a frame, and is taken again for a later call on a new stream. The later call must not see
// anything of the earlier one: frames the server still sends on the old stream are the connection's
// business (RST_STREAM STREAM_CLOSED, RFC 9113 §5.1), never the new call's.
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "../../src/h2/errors.ts";
import { Flag, FrameType, rstStreamFrame } from "../../src/h2/frame.ts";
import type { RpcChannel } from "../../src/rpc/channel.ts";
import { CallPool } from "../../src/rpc/lean/call-pool.ts";
import { type Result, Status } from "../../src/rpc/status.ts";
import type { Frame, Peer } from "../support/peer.ts";
import { isRequest, messageFrame, peerChannels, responseFrames } from "../support/server-peer.ts";

const peers = peerChannels();

/** The pool inside a lean channel: private, read here only to show that a call was in fact taken again. */
const spareCalls = (ch: RpcChannel): number => (ch as unknown as { spareCalls: CallPool<unknown> }).spareCalls.size;

/** The next request stream after `after`, once its whole request (END_STREAM) is in. */
async function request(conn: Peer, after: number): Promise<number> {
  const req = await conn.waitFor((f) => isRequest(f) && f.id > after);
  await conn.waitFor((f) => f.type === FrameType.DATA && f.id === req.id && (f.flags & Flag.END_STREAM) !== 0);
  return req.id;
}

const rstOn =
  (id: number, code: number) =>
  (f: Frame): boolean =>
    f.type === FrameType.RST_STREAM && f.id === id && f.payload.readUInt32BE(0) === code;

describe("CallPool", () => {
  test("gives back the calls put in, newest first, and keeps no more than its bound", () => {
    const pool = new CallPool<string>(2);
    expect(pool.take()).toBeUndefined();
    pool.give("a");
    pool.give("b");
    pool.give("c"); // past the bound: left to the GC
    expect(pool.size).toBe(2);
    expect(pool.take()).toBe("b");
    expect(pool.take()).toBe("a");
    expect(pool.take()).toBeUndefined();
  });
});

describe("lean channel: pooled unary calls", () => {
  test("a call taken again after a reset stream sees none of the old stream's late frames", async () => {
    const { srv, ch } = await peers.connect();

    // The server resets the first call's stream: the call fails and goes back to the pool.
    const first = ch.unary("/t/a", Buffer.from("a"), { timeoutMs: 10_000 });
    const conn = await srv.accepted();
    const id1 = await request(conn, 0);
    conn.socket.write(rstStreamFrame(id1, ErrorCode.INTERNAL_ERROR));
    const r1 = await first;
    expect(r1.ok ? 0 : r1.error.code).toBe(Status.INTERNAL);
    expect(spareCalls(ch)).toBe(1);

    // The next call is the same object on a new stream; the old stream's answer comes late, then its own.
    const second = ch.unary("/t/b", Buffer.from("b"), { timeoutMs: 10_000 });
    expect(spareCalls(ch)).toBe(0);
    const id2 = await request(conn, id1);
    conn.socket.write(Buffer.concat([responseFrames(id1, Buffer.from("late")), responseFrames(id2, Buffer.from("b"))]));
    const r2 = await second;
    expect(r2.ok && r2.value.toString()).toBe("b");
    await conn.waitFor(rstOn(id1, ErrorCode.STREAM_CLOSED));
    expect(spareCalls(ch)).toBe(1);

    // Outcome only: a late message on the second call's stream would make the third see two messages.
    const third = new Promise<Result<unknown>>((resolve) => ch.unaryOutcome("/t/c", Buffer.from("c"), {}, resolve));
    const id3 = await request(conn, id2);
    conn.socket.write(Buffer.concat([messageFrame(id2, Buffer.from("late")), responseFrames(id3, Buffer.from("c"))]));
    const r3 = await third;
    expect(r3.ok ? 0 : r3.error).toBe(0);
    await conn.waitFor(rstOn(id2, ErrorCode.STREAM_CLOSED));
    expect((await conn.sync()).filter((f) => f.type === FrameType.GOAWAY)).toEqual([]);
  });

  test("a call that failed on its deadline is not pooled, and the calls after it are answered", async () => {
    const { srv, ch } = await peers.connect();
    const first = ch.unary("/t/a", Buffer.from("a"), { timeoutMs: 50 });
    const conn = await srv.accepted();
    const id1 = await request(conn, 0);
    const r1 = await first; // the client gives up and resets the stream (CANCEL)
    expect(r1.ok ? 0 : r1.error.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(spareCalls(ch)).toBe(0);
    const second = ch.unary("/t/b", Buffer.from("b"), { timeoutMs: 10_000 });
    const id2 = await request(conn, id1);
    conn.socket.write(Buffer.concat([responseFrames(id1, Buffer.from("late")), responseFrames(id2, Buffer.from("b"))]));
    const r2 = await second;
    expect(r2.ok && r2.value.toString()).toBe("b");
  });
});
