// HTTP/2 frame cutting: frames split across reads at every byte, several frames per read, bad lengths.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  encodeFrame,
  Flag,
  FrameParser,
  FrameType,
  goawayFrame,
  settingsFrame,
  windowUpdateFrame,
} from "../../src/h2/frame.ts";

type Seen = [number, number, number, string];

function parseAll(parser: FrameParser, chunks: Buffer[]): Seen[] | Error {
  const seen: Seen[] = [];
  for (const c of chunks) {
    const err = parser.push(c, (type, flags, id, buf, s, e) => seen.push([type, flags, id, buf.toString("hex", s, e)]));
    if (err) return err;
  }
  return seen;
}

const stream = Buffer.concat([
  settingsFrame([[4, 1000]]),
  encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x88])),
  encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("hello")),
  windowUpdateFrame(3, 0x7fffffff),
  goawayFrame(7, 0, "bye"),
]);
const expected: Seen[] = [
  [FrameType.SETTINGS, 0, 0, "0004000003e8"],
  [FrameType.HEADERS, Flag.END_HEADERS, 1, "88"],
  [FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("hello").toString("hex")],
  [FrameType.WINDOW_UPDATE, 0, 3, "7fffffff"],
  [FrameType.GOAWAY, 0, 0, `0000000700000000${Buffer.from("bye").toString("hex")}`],
];

describe("FrameParser", () => {
  test("several frames in one read", () => {
    expect(parseAll(new FrameParser(), [stream])).toEqual(expected);
  });
  test("split at every byte boundary", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parseAll(new FrameParser(), [stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
    }
  });
  test("one byte at a time", () => {
    const parser = new FrameParser();
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(parseAll(parser, bytes)).toEqual(expected);
    expect(parser.buffered).toBe(0);
  });
  test("any cutting into any number of reads gives the same frames", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 12 }), (cuts) => {
        const at = [...new Set(cuts)].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let last = 0;
        for (const c of at) {
          chunks.push(stream.subarray(last, c));
          last = c;
        }
        chunks.push(stream.subarray(last));
        const parser = new FrameParser();
        expect(parseAll(parser, chunks)).toEqual(expected);
        expect(parser.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
  });
  test("an oversized frame is refused when its header completes across reads", () => {
    const header = Buffer.from([0x00, 0x40, 0x01, 0, 0, 0, 0, 0, 1]); // 16385 bytes
    const r = parseAll(new FrameParser(16_384), [header.subarray(0, 4), header.subarray(4), Buffer.alloc(10)]);
    expect(r).toBeInstanceOf(Error);
  });
  test("the reserved bit of the stream id is ignored", () => {
    const f = encodeFrame(FrameType.DATA, 0, 5, Buffer.alloc(0));
    f[5] = (f[5] as number) | 0x80;
    expect(parseAll(new FrameParser(), [f])).toEqual([[FrameType.DATA, 0, 5, ""]]);
  });
  test("a frame longer than the advertised maximum is an error before its body arrives", () => {
    const header = Buffer.from([0x00, 0x40, 0x01, 0, 0, 0, 0, 0, 1]); // 16385 bytes
    const r = parseAll(new FrameParser(16_384), [header]);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toContain("16385");
  });
});
