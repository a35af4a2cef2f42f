// The writer's batching (one write per turn, hold() for callers a promise hop away) and the in-place PING
// ack: the bytes handed to the socket are checked against the frames built the plain way (frame.ts).
import { describe, expect, test } from "bun:test";
import { Duplex } from "node:stream";
import { writeMessageFrame } from "../../src/h2/data.ts";
import { encodeFrame, Flag, FrameType } from "../../src/h2/frame.ts";
import { writePingAck } from "../../src/h2/ping.ts";
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

const dataFrame = (id: number, flags: number, body: Buffer) => {
  const prefixed = Buffer.alloc(5 + body.length);
  prefixed.writeUInt32BE(body.length, 1);
  body.copy(prefixed, 5);
  return encodeFrame(FrameType.DATA, flags, id, prefixed);
};

describe("PING ack written in place", () => {
  test("same bytes as encodeFrame(PING, ACK), from any offset of the read buffer", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const payload = Buffer.from("0102030405060708", "hex");
    const read = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), payload, Buffer.from([0xdd])]);
    writePingAck(w, read, 3);
    await turn();
    expect(sink.writes).toEqual([encodeFrame(FrameType.PING, Flag.ACK, 0, payload)]);
  });
});

describe("Writer batching", () => {
  test("frames written in one turn go out in one write", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const body = Buffer.from("hello");
    writeMessageFrame(w, 1, Flag.END_STREAM, body, body.length);
    writeMessageFrame(w, 3, Flag.END_STREAM, body, body.length);
    await turn();
    expect(sink.writes).toEqual([
      Buffer.concat([dataFrame(1, Flag.END_STREAM, body), dataFrame(3, Flag.END_STREAM, body)]),
    ]);
  });

  test("without hold, a frame written a promise hop later goes out in a second write", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const ping = Buffer.alloc(8, 7);
    const body = Buffer.from("next call");
    writePingAck(w, ping, 0);
    void Promise.resolve().then(() => writeMessageFrame(w, 5, Flag.END_STREAM, body, body.length));
    await turn();
    expect(sink.writes.length).toBe(2);
  });

  test("with hold, the caller's next call a promise hop later shares the write, bytes in order", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const ping = Buffer.alloc(8, 7);
    const body = Buffer.from("next call");
    writePingAck(w, ping, 0);
    w.hold();
    void Promise.resolve().then(() => writeMessageFrame(w, 5, Flag.END_STREAM, body, body.length));
    await turn();
    expect(sink.writes).toEqual([
      Buffer.concat([encodeFrame(FrameType.PING, Flag.ACK, 0, ping), dataFrame(5, Flag.END_STREAM, body)]),
    ]);
  });

  test("an explicit flush() is never held", () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const ping = Buffer.alloc(8, 1);
    writePingAck(w, ping, 0);
    w.hold();
    w.flush();
    expect(sink.writes).toEqual([encodeFrame(FrameType.PING, Flag.ACK, 0, ping)]);
  });
});
