// The writer's batching (one write per turn, hold() for callers a promise hop away) and the in-place PING
// ack: the bytes handed to the socket are checked against the frames built the plain way (frame.ts).
import { describe, expect, test } from "bun:test";
import { Duplex } from "node:stream";
import { writeMessageFrame } from "../../src/h2/data.ts";
import { OutFlow, StreamFlow } from "../../src/h2/flow.ts";
import { encodeFrame, Flag, FrameType } from "../../src/h2/frame.ts";
import { writePingAck } from "../../src/h2/ping.ts";
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

/**
 * A Duplex that keeps the very chunks it is given (no copy) and calls back only when release() is called;
 * `sent` holds each chunk as it was at that moment, i.e. what a socket would have sent.
 */
class HoldingSink extends Duplex {
  readonly chunks: Buffer[] = [];
  readonly sent: Buffer[] = [];
  private readonly callbacks: Array<() => void> = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.callbacks.push(() => {
      this.sent.push(Buffer.concat([chunk]));
      done();
    });
  }
  override _read(): void {}
  release(): void {
    for (const cb of this.callbacks.splice(0)) cb();
  }
}

/** A stream's request in DATA frames of at most `maxFrame`, built the plain way. */
const dataFrames = (id: number, bytes: Buffer, maxFrame: number) => {
  const frames: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += maxFrame) {
    const end = Math.min(bytes.length, off + maxFrame);
    frames.push(encodeFrame(FrameType.DATA, end === bytes.length ? Flag.END_STREAM : 0, id, bytes.subarray(off, end)));
  }
  return Buffer.concat(frames);
};

const streamWindow = (n: number) => {
  const f = new StreamFlow();
  f.reset(n);
  return f;
};

describe("Writer slab reuse", () => {
  test("bytes the socket still holds are never written over: the next turn's frames go after them", async () => {
    const sink = new HoldingSink();
    const w = new Writer(sink, true);
    const a = Buffer.alloc(100, 0xa1);
    const b = Buffer.alloc(100, 0xb2);
    writeMessageFrame(w, 1, Flag.END_STREAM, a, a.length);
    await turn();
    writeMessageFrame(w, 3, Flag.END_STREAM, b, b.length);
    await turn();
    sink.release(); // a Writable hands over its next chunk only after the last one is called back
    await turn();
    expect(sink.chunks).toEqual([dataFrame(1, Flag.END_STREAM, a), dataFrame(3, Flag.END_STREAM, b)]);
  });

  test("once called back, the slab starts over: later frames land at its start, earlier writes intact", async () => {
    const sink = new HoldingSink();
    const w = new Writer(sink, true);
    const a = Buffer.alloc(100, 0xa1);
    writeMessageFrame(w, 1, Flag.END_STREAM, a, a.length);
    await turn();
    const first = Buffer.concat([sink.chunks[0] as Buffer]); // a copy, as it was when written
    sink.release();
    await turn();
    const b = Buffer.alloc(100, 0xb2);
    writeMessageFrame(w, 3, Flag.END_STREAM, b, b.length);
    await turn();
    expect(first.equals(dataFrame(1, Flag.END_STREAM, a))).toBe(true);
    expect(sink.chunks[1]).toEqual(dataFrame(3, Flag.END_STREAM, b));
    // The same memory: reused, not a new Buffer per turn.
    expect((sink.chunks[1] as Buffer).buffer).toBe((sink.chunks[0] as Buffer).buffer);
    expect((sink.chunks[1] as Buffer).byteOffset).toBe((sink.chunks[0] as Buffer).byteOffset);
  });

  test("a 64 KiB request queued as views goes out in one write, byte for byte its DATA frames", async () => {
    const sink = new Recorder();
    const w = new Writer(sink, true);
    const message = Buffer.alloc(65_536);
    for (let i = 0; i < message.length; i++) message[i] = (i * 7) & 0xff;
    const prefix = Buffer.from([0, 0, 1, 0, 0]);
    const q = new SendQueue();
    q.push(prefix);
    q.push(message);
    q.flush(w, 1, streamWindow(1 << 20), new OutFlow(1 << 20), 16_384, true);
    await turn();
    expect(sink.writes).toEqual([dataFrames(1, Buffer.concat([prefix, message]), 16_384)]);
  });

  test("without reuse (the server's writer) a 64 KiB request is the same bytes, also in one write", async () => {
    const sink = new Recorder();
    const w = new Writer(sink);
    const message = Buffer.alloc(65_536, 9);
    const q = new SendQueue();
    q.push(message);
    q.flush(w, 7, streamWindow(1 << 20), new OutFlow(1 << 20), 16_384, true);
    await turn();
    expect(sink.writes).toEqual([dataFrames(7, message, 16_384)]);
  });

  test("a turn larger than the slab can grow goes out in order, over several writes", async () => {
    const sink = new Recorder();
    const w = new Writer(sink, true);
    const big = Buffer.alloc(600_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    const q = new SendQueue();
    q.push(big);
    q.flush(w, 5, streamWindow(1 << 30), new OutFlow(1 << 30), 16_384, true);
    await turn();
    expect(sink.writes.length).toBeGreaterThan(1);
    expect(Buffer.concat(sink.writes)).toEqual(dataFrames(5, big, 16_384));
  });
});

describe("Writer slabs across turns", () => {
  test("many 64 KiB requests over turns, called back late or at once: every write is its frames, intact", async () => {
    const sink = new HoldingSink();
    const w = new Writer(sink, true);
    const expected: Buffer[] = [];
    for (let round = 0; round < 12; round++) {
      const message = Buffer.alloc(65_536 + round * 1000, round + 1);
      const q = new SendQueue();
      q.push(message);
      q.flush(w, 1 + 2 * round, streamWindow(1 << 20), new OutFlow(1 << 20), 16_384, true);
      expected.push(dataFrames(1 + 2 * round, message, 16_384));
      await turn();
      if (round % 3 === 2) sink.release(); // the socket catches up now and then, as a busy one does
    }
    // Each chunk as it was when called back: nothing was written over it while the socket held it.
    for (let i = 0; i < 100 && sink.sent.length < expected.length; i++) {
      sink.release();
      await turn();
    }
    expect(Buffer.concat(sink.sent).equals(Buffer.concat(expected))).toBe(true);
  });
});

/**
 * A socket that writes synchronously, as Bun's own (src/transport/light-socket.ts): it takes up to `room`
 * bytes of each write at once and queues the rest, calling back on release(). `slabs` are the distinct
 * buffers it was handed.
 */
class TakingSink extends Duplex {
  readonly taken: Buffer[] = [];
  readonly slabs = new Set<Uint8Array>();
  private readonly queued: Array<{ bytes: Buffer; done: () => void }> = [];
  constructor(private readonly room = Number.POSITIVE_INFINITY) {
    super();
  }
  writeTaken(bytes: Uint8Array, from: number, to: number, done: () => void): boolean {
    this.slabs.add(bytes);
    // bytes queued before go first (as Bun's socket: nothing is written past a queue)
    const n = this.queued.length > 0 ? 0 : Math.min(to - from, this.room);
    this.taken.push(Buffer.from(bytes.subarray(from, from + n)));
    if (n === to - from) return true;
    this.queued.push({ bytes: Buffer.from(bytes.subarray(from + n, to)), done });
    return false;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    if (this.queued.length > 0) this.queued.push({ bytes: Buffer.from(chunk), done });
    else {
      this.taken.push(Buffer.from(chunk));
      done();
    }
  }
  override _read(): void {}
  release(): void {
    for (const q of this.queued.splice(0)) {
      this.taken.push(q.bytes);
      q.done();
    }
  }
}

describe("Writer turns larger than a slab", () => {
  const bigTurn = (w: Writer, id: number, size: number, fill: number) => {
    const message = Buffer.alloc(size, fill);
    const q = new SendQueue();
    q.push(message);
    q.flush(w, id, streamWindow(1 << 30), new OutFlow(1 << 30), 16_384, true);
    return dataFrames(id, message, 16_384);
  };

  test("on a socket that takes every write whole, turn after turn reuse the same slabs", async () => {
    const sink = new TakingSink();
    const w = new Writer(sink, true);
    const expected: Buffer[] = [];
    for (let round = 0; round < 10; round++) {
      expected.push(bigTurn(w, 1 + 2 * round, 600_000 + round, round + 1));
      await turn();
    }
    expect(Buffer.concat(sink.taken).equals(Buffer.concat(expected))).toBe(true);
    // Written out as it fills, a slab is started over, not replaced by a new one each time it is full.
    expect(sink.slabs.size).toBeLessThanOrEqual(2);
  });

  test("on a socket that takes part and queues the rest, every byte goes out once, in order", async () => {
    const sink = new TakingSink(100_000);
    const w = new Writer(sink, true);
    const expected: Buffer[] = [];
    for (let round = 0; round < 6; round++) {
      expected.push(bigTurn(w, 1 + 2 * round, 500_000 + round * 777, round + 1));
      await turn();
      if (round % 2 === 1) sink.release();
    }
    sink.release();
    expect(Buffer.concat(sink.taken).equals(Buffer.concat(expected))).toBe(true);
  });

  test("a socket that calls back late never sees a slab written over while it holds it", async () => {
    const sink = new HoldingSink();
    const w = new Writer(sink, true);
    const expected: Buffer[] = [];
    for (let round = 0; round < 8; round++) {
      expected.push(bigTurn(w, 1 + 2 * round, 400_000 + round * 1000, round + 1));
      await turn();
      if (round % 3 === 2) sink.release();
    }
    for (let i = 0; i < 100 && Buffer.concat(sink.sent).length < Buffer.concat(expected).length; i++) {
      sink.release();
      await turn();
    }
    expect(Buffer.concat(sink.sent).equals(Buffer.concat(expected))).toBe(true);
  });
});
