// The frame rules both ends share (src/h2/reader.ts), by RFC 9113 section: each case feeds real frame bytes
// to a FrameReader and records what it hands on. The connections over sockets are tested elsewhere; here
// is what holds whichever side reads.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ConnectionError, ErrorCode, errorName } from "../../src/h2/errors.ts";
import { encodeFrame, Flag, FrameType, Setting, settingsFrame } from "../../src/h2/frame.ts";
import { type FrameHandler, FrameReader } from "../../src/h2/reader.ts";
import { isIdle } from "../../src/h2/streams.ts";

type Event = readonly [string, ...unknown[]];

/** Records every call the reader makes, as [name, ...numbers and hex]. */
class Recorder implements FrameHandler {
  readonly events: Event[] = [];
  onData(id: number, flags: number, buf: Buffer, from: number, to: number, length: number) {
    this.events.push(["data", id, flags, buf.toString("hex", from, to), length]);
  }
  onHeaderBlock(id: number, flags: number, buf: Buffer, start: number, end: number, streamError: number) {
    this.events.push(["headers", id, flags, buf.toString("hex", start, end), streamError]);
  }
  onRstStream(id: number, code: number) {
    this.events.push(["rst", id, code]);
  }
  onSettings(delta: number) {
    this.events.push(["settings", delta]);
  }
  onSettingsAck() {
    this.events.push(["settings-ack"]);
  }
  onPing(ack: boolean, buf: Buffer, start: number) {
    this.events.push(["ping", ack, buf.toString("hex", start, start + 8)]);
  }
  onGoaway(last: number, code: number, debug: Buffer) {
    this.events.push(["goaway", last, code, debug.toString()]);
  }
  onWindowUpdate(id: number, increment: number) {
    this.events.push(["window-update", id, increment]);
  }
  onStreamError(id: number, _type: number, code: number, _message: string) {
    this.events.push(["stream-error", id, errorName(code)]);
  }
  onIgnored(type: number) {
    this.events.push(["ignored", type]);
  }
  onConnectionError(err: ConnectionError) {
    this.events.push(["connection-error", errorName(err.code)]);
  }
}

function read(frames: Buffer[], peerIsClient = true): Event[] {
  const r = new Recorder();
  const reader = new FrameReader(r, { maxHeaderBlock: 1024, peerIsClient });
  for (const f of frames) reader.push(f);
  return r.events;
}

const frame = (type: number, flags: number, id: number, payload: number[] | Buffer = []) =>
  encodeFrame(type, flags, id, Buffer.from(payload));
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

describe("§6.1 DATA", () => {
  test("on stream 0: connection PROTOCOL_ERROR", () => {
    expect(read([frame(FrameType.DATA, 0, 0, [1])])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
  });
  test("padding removed; flow control is told the whole frame", () => {
    expect(read([frame(FrameType.DATA, Flag.PADDED, 1, [2, 0xaa, 0, 0])])).toEqual([["data", 1, Flag.PADDED, "aa", 4]]);
  });
  test("pad length equal to the payload, or past it: connection PROTOCOL_ERROR", () => {
    for (const payload of [[3, 0, 0], [9, 0], []]) {
      expect(read([frame(FrameType.DATA, Flag.PADDED, 1, payload)])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
    }
  });
});

describe("§6.2 HEADERS and §6.10 CONTINUATION", () => {
  test("padding and priority fields removed", () => {
    const payload = [1, ...u32(3), 16, 0x88, 0];
    const events = read([frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY, 1, payload)]);
    expect(events).toEqual([["headers", 1, Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY, "88", 0]]);
  });
  test("padding past the fragment: connection PROTOCOL_ERROR", () => {
    const events = read([frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED, 1, [5, 0x88])]);
    expect(events).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
  });
  test("§5.3.1 a stream that depends on itself: decoded, then a stream error PROTOCOL_ERROR", () => {
    const events = read([frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY, 3, [...u32(3), 16, 0x88])]);
    expect(events).toEqual([["headers", 3, Flag.END_HEADERS | Flag.PRIORITY, "88", ErrorCode.PROTOCOL_ERROR]]);
  });
  test("§5.1.1 a client opens odd streams only; stream 0 never", () => {
    expect(read([frame(FrameType.HEADERS, Flag.END_HEADERS, 2, [0x88])])).toEqual([
      ["connection-error", "PROTOCOL_ERROR"],
    ]);
    expect(read([frame(FrameType.HEADERS, Flag.END_HEADERS, 0, [0x88])], false)).toEqual([
      ["connection-error", "PROTOCOL_ERROR"],
    ]);
  });
  test("a block over CONTINUATIONs comes whole; another frame in between is a connection error", () => {
    const head = frame(FrameType.HEADERS, 0, 1, [0x82]);
    const tail = frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, [0x86]);
    expect(read([head, tail])).toEqual([["headers", 1, 0, "8286", 0]]);
    expect(read([head, frame(FrameType.PING, 0, 0, Array(8).fill(0)), tail])).toEqual([
      ["connection-error", "PROTOCOL_ERROR"],
    ]);
    expect(read([tail])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
  });
  test("a block past its byte bound: ENHANCE_YOUR_CALM", () => {
    const events = read([
      frame(FrameType.HEADERS, 0, 1, Buffer.alloc(800)),
      frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(800)),
    ]);
    expect(events).toEqual([["connection-error", "ENHANCE_YOUR_CALM"]]);
  });
});

describe("§6.3 PRIORITY", () => {
  test("read past when well formed", () => {
    expect(read([frame(FrameType.PRIORITY, 0, 1, [...u32(3), 16])])).toEqual([["ignored", FrameType.PRIORITY]]);
  });
  test("on stream 0: connection PROTOCOL_ERROR", () => {
    expect(read([frame(FrameType.PRIORITY, 0, 0, [...u32(3), 16])])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
  });
  test("a length other than 5: stream FRAME_SIZE_ERROR", () => {
    expect(read([frame(FrameType.PRIORITY, 0, 1, [0, 0, 0, 3])])).toEqual([["stream-error", 1, "FRAME_SIZE_ERROR"]]);
  });
  test("§5.3.1 depending on itself: stream PROTOCOL_ERROR", () => {
    expect(read([frame(FrameType.PRIORITY, 0, 5, [...u32(5), 16])])).toEqual([["stream-error", 5, "PROTOCOL_ERROR"]]);
  });
});

describe("§6.4 RST_STREAM", () => {
  test("its code, as a number", () => {
    expect(read([frame(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL))])).toEqual([["rst", 1, ErrorCode.CANCEL]]);
  });
  test("on stream 0, or not 4 bytes: connection error", () => {
    expect(read([frame(FrameType.RST_STREAM, 0, 0, u32(8))])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
    expect(read([frame(FrameType.RST_STREAM, 0, 1, [0, 8])])).toEqual([["connection-error", "FRAME_SIZE_ERROR"]]);
  });
});

describe("§6.5 SETTINGS", () => {
  test("applied to the peer's settings; the initial window's change is handed on", () => {
    const r = new Recorder();
    const reader = new FrameReader(r, { maxHeaderBlock: 1024, peerIsClient: true });
    reader.push(
      settingsFrame([
        [Setting.INITIAL_WINDOW_SIZE, 65_535 + 100],
        [Setting.MAX_FRAME_SIZE, 32_768],
        [Setting.MAX_CONCURRENT_STREAMS, 7],
      ]),
    );
    reader.push(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 65_535 - 10]]));
    expect(r.events).toEqual([
      ["settings", 100],
      ["settings", -110],
    ]);
    expect([reader.peer.maxFrameSize, reader.peer.maxConcurrentStreams]).toEqual([32_768, 7]);
  });
  test("ACK with a payload: connection FRAME_SIZE_ERROR", () => {
    expect(read([frame(FrameType.SETTINGS, Flag.ACK, 0, [0, 4, 0, 0, 0, 1])])).toEqual([
      ["connection-error", "FRAME_SIZE_ERROR"],
    ]);
    expect(read([frame(FrameType.SETTINGS, Flag.ACK, 0)])).toEqual([["settings-ack"]]);
  });
  test("bad forms and values", () => {
    const cases: Array<[Buffer, string]> = [
      [frame(FrameType.SETTINGS, 0, 1, []), "PROTOCOL_ERROR"],
      [frame(FrameType.SETTINGS, 0, 0, [0, 4, 0]), "FRAME_SIZE_ERROR"],
      [settingsFrame([[Setting.ENABLE_PUSH, 2]]), "PROTOCOL_ERROR"],
      [settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31]]), "FLOW_CONTROL_ERROR"],
      [settingsFrame([[Setting.MAX_FRAME_SIZE, 16_383]]), "PROTOCOL_ERROR"],
      [settingsFrame([[Setting.MAX_FRAME_SIZE, 2 ** 24]]), "PROTOCOL_ERROR"],
    ];
    for (const [bytes, code] of cases) expect(read([bytes])).toEqual([["connection-error", code]]);
  });
  test("unknown settings are ignored (§6.5.2)", () => {
    expect(read([settingsFrame([[0x99, 1]])])).toEqual([["settings", 0]]);
  });
});

describe("§6.6 PUSH_PROMISE", () => {
  test("from either side: connection PROTOCOL_ERROR (ours never enable push)", () => {
    for (const peerIsClient of [true, false]) {
      expect(read([frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, [...u32(2), 0x88])], peerIsClient)).toEqual([
        ["connection-error", "PROTOCOL_ERROR"],
      ]);
    }
  });
});

describe("§6.7 PING and §6.8 GOAWAY", () => {
  test("PING: 8 bytes on stream 0", () => {
    expect(read([frame(FrameType.PING, Flag.ACK, 0, [1, 2, 3, 4, 5, 6, 7, 8])])).toEqual([
      ["ping", true, "0102030405060708"],
    ]);
    expect(read([frame(FrameType.PING, 0, 1, Array(8).fill(0))])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
    expect(read([frame(FrameType.PING, 0, 0, [1])])).toEqual([["connection-error", "FRAME_SIZE_ERROR"]]);
  });
  test("GOAWAY: last stream, code and debug data; at least 8 bytes on stream 0", () => {
    expect(read([frame(FrameType.GOAWAY, 0, 0, [...u32(7), ...u32(11), 0x68, 0x69])])).toEqual([
      ["goaway", 7, 11, "hi"],
    ]);
    expect(read([frame(FrameType.GOAWAY, 0, 3, [...u32(7), ...u32(0)])])).toEqual([
      ["connection-error", "PROTOCOL_ERROR"],
    ]);
    expect(read([frame(FrameType.GOAWAY, 0, 0, [0, 0])])).toEqual([["connection-error", "FRAME_SIZE_ERROR"]]);
  });
});

describe("§6.9 WINDOW_UPDATE", () => {
  test("an increment of 0: stream PROTOCOL_ERROR on a stream, connection PROTOCOL_ERROR on stream 0", () => {
    expect(read([frame(FrameType.WINDOW_UPDATE, 0, 3, u32(0))])).toEqual([["stream-error", 3, "PROTOCOL_ERROR"]]);
    expect(read([frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0))])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
  });
  test("the reserved bit is dropped; not 4 bytes is a connection FRAME_SIZE_ERROR", () => {
    expect(read([frame(FrameType.WINDOW_UPDATE, 0, 1, u32(0x80000005))])).toEqual([["window-update", 1, 5]]);
    expect(read([frame(FrameType.WINDOW_UPDATE, 0, 1, [0, 0, 5])])).toEqual([["connection-error", "FRAME_SIZE_ERROR"]]);
  });
});

describe("§4.1 and §5.5", () => {
  test("unknown frame types are read past", () => {
    expect(read([frame(0x42, 0xff, 1, [1, 2, 3])])).toEqual([["ignored", 0x42]]);
  });
  test("nothing is read after a connection error, in the same read or later", () => {
    const bad = frame(FrameType.PING, 0, 1, Array(8).fill(0));
    const ok = frame(FrameType.PING, 0, 0, Array(8).fill(0));
    expect(read([Buffer.concat([bad, ok]), ok])).toEqual([["connection-error", "PROTOCOL_ERROR"]]);
  });
  test("a frame over the advertised size: connection FRAME_SIZE_ERROR", () => {
    expect(read([frame(FrameType.DATA, 0, 1, Buffer.alloc(16_385))])).toEqual([
      ["connection-error", "FRAME_SIZE_ERROR"],
    ]);
  });
  test("a handler's own ConnectionError ends the connection the same way", () => {
    const r = new Recorder();
    r.onData = () => {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "past the window");
    };
    const reader = new FrameReader(r, { maxHeaderBlock: 1024, peerIsClient: true });
    reader.push(Buffer.concat([frame(FrameType.DATA, 0, 1, [1]), frame(FrameType.DATA, 0, 1, [2])]));
    expect(r.events).toEqual([["connection-error", "FLOW_CONTROL_ERROR"]]);
  });
});

describe("any bytes", () => {
  test("end in frames handed on, or in one connection error and nothing after it (fuzz)", () => {
    const anyFrame = fc
      .tuple(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0, 1, 2, 3),
        fc.uint8Array({ maxLength: 24 }),
      )
      .map(([type, flags, id, payload]) => encodeFrame(type, flags, id, payload));
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 12 }), fc.boolean(), (frames, peerIsClient) => {
        const events = read(frames, peerIsClient);
        const errors = events.filter((e) => e[0] === "connection-error");
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) expect(events.at(-1)?.[0]).toBe("connection-error");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("§5.1 stream states (src/h2/streams.ts)", () => {
  test("even ids are always idle (neither end pushes); odd ones above the highest opened are idle", () => {
    expect([isIdle(1, 0), isIdle(2, 7), isIdle(7, 7), isIdle(5, 7), isIdle(9, 7), isIdle(1, -1)]).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
  });
});
