// The DATA send queue and per-stream windows both connections share (src/h2/send-queue.ts, flow.ts): the
// bytes handed to the socket are checked against frames built the plain way (frame.ts).
import { describe, expect, test } from "bun:test";
import { Duplex } from "node:stream";
import { OutFlow, STREAM_WINDOW, StreamFlow } from "../../src/h2/flow.ts";
import { encodeFrame, Flag, FrameType } from "../../src/h2/frame.ts";
import { SendQueue } from "../../src/h2/send-queue.ts";
import { Writer } from "../../src/h2/writer.ts";

/** A Duplex that keeps each write() it is given, as the socket would receive them. */
class Recorder extends Duplex {
  readonly writes: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.writes.push(Buffer.from(chunk));
    done();
  }
  override _read(): void {}
}

/** Lets every queued microtask and the current macrotask finish: an ordering barrier, not a timed wait. */
const turn = () => new Promise<void>((r) => setImmediate(r));

const flowWith = (sendWindow: number): StreamFlow => {
  const f = new StreamFlow();
  f.reset(sendWindow);
  return f;
};

async function written(sink: Recorder, w: Writer): Promise<Buffer> {
  w.flush();
  await turn();
  return Buffer.concat(sink.writes.splice(0));
}

describe("SendQueue", () => {
  test("frames span pieces, stop at the smaller window, and END_STREAM rides on the last byte", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const q = new SendQueue();
    q.push(Buffer.from("abc"));
    q.push(Buffer.from("defgh"));
    const stream = flowWith(6);
    const conn = new OutFlow(100);
    expect(q.flush(w, 1, stream, conn, 4, true)).toBe(6);
    expect(await written(sink, w)).toEqual(
      Buffer.concat([
        encodeFrame(FrameType.DATA, 0, 1, Buffer.from("abcd")),
        encodeFrame(FrameType.DATA, 0, 1, Buffer.from("ef")),
      ]),
    );
    expect([q.bytes, stream.sendWindow, conn.avail, q.endSent]).toEqual([2, 0, 94, false]);
    stream.grow(10);
    expect(q.flush(w, 1, stream, conn, 4, true)).toBe(2);
    expect(await written(sink, w)).toEqual(encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("gh")));
    expect(q.endSent).toBe(true);
    expect(q.flush(w, 1, stream, conn, 4, true)).toBe(0);
    expect(await written(sink, w)).toEqual(Buffer.alloc(0));
  });

  test("an end with nothing queued is an empty DATA frame with END_STREAM, even with no window", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const q = new SendQueue();
    expect(q.flush(w, 3, flowWith(0), new OutFlow(0), 16_384, true)).toBe(0);
    expect(await written(sink, w)).toEqual(encodeFrame(FrameType.DATA, Flag.END_STREAM, 3, Buffer.alloc(0)));
  });

  test("without end, a drained queue sends no END_STREAM (the server's trailers follow as HEADERS)", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const q = new SendQueue();
    q.push(Buffer.from("xyz"));
    expect(q.flush(w, 5, flowWith(100), new OutFlow(100), 16_384, false)).toBe(3);
    expect(await written(sink, w)).toEqual(encodeFrame(FrameType.DATA, 0, 5, Buffer.from("xyz")));
    expect([q.bytes, q.endSent]).toEqual([0, false]);
  });
});

describe("StreamFlow", () => {
  test("the receive window is returned in halves, and a peer past it is caught", () => {
    const f = flowWith(0);
    expect(f.take(STREAM_WINDOW / 2 - 1)).toBe(true);
    expect(f.consumed(STREAM_WINDOW / 2 - 1)).toBe(0);
    expect(f.take(1)).toBe(true);
    expect(f.consumed(1)).toBe(STREAM_WINDOW / 2);
    expect(f.recvWindow).toBe(STREAM_WINDOW);
    expect(f.take(STREAM_WINDOW)).toBe(true);
    expect(f.take(1)).toBe(false);
  });

  test("the send window may not pass 2^31-1 (RFC 9113 §6.9.1)", () => {
    const f = flowWith(65_535);
    expect(f.grow(0x7fffffff - 65_535)).toBe(true);
    expect(f.grow(1)).toBe(false);
  });
});
