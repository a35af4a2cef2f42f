import { describe, expect, test } from "bun:test";
import { MessageCount } from "../../src/rpc/lean/message-count.ts";
import { MessageDecoder, prefixMessage } from "../../src/rpc/message.ts";
import { Status } from "../../src/rpc/status.ts";
import { encodeGrpcTimeout, parseGrpcTimeout } from "../../src/rpc/timeout.ts";

describe("MessageDecoder", () => {
  const a = prefixMessage(Buffer.from("hello"));
  const b = prefixMessage(Buffer.alloc(0));
  const c = prefixMessage(Buffer.alloc(300, 7));

  test("several messages packed into one chunk", () => {
    const out: Buffer[] = [];
    expect(new MessageDecoder(1024).push(Buffer.concat([a, b, c]), out)).toBeUndefined();
    expect(out.map((m) => m.length)).toEqual([5, 0, 300]);
    expect(out[0]?.toString()).toBe("hello");
  });

  test("a message split across chunks at every byte boundary", () => {
    const all = Buffer.concat([a, c]);
    for (let cut = 1; cut < all.length; cut++) {
      const d = new MessageDecoder(1024);
      const out: Buffer[] = [];
      d.push(all.subarray(0, cut), out);
      d.push(all.subarray(cut), out);
      expect(out.map((m) => m.toString("hex"))).toEqual([
        Buffer.from("hello").toString("hex"),
        c.subarray(5).toString("hex"),
      ]);
      expect(d.buffered).toBe(0);
    }
  });

  test("oversized message is refused from its header", () => {
    const header = Buffer.from([0, 0, 0, 4, 0]); // 1024 bytes announced, none sent
    const err = new MessageDecoder(1000).push(header, []);
    expect(err?.code).toBe(Status.RESOURCE_EXHAUSTED);
  });

  test("compressed flag without negotiated compression is an error", () => {
    const frame = prefixMessage(Buffer.from("x"));
    frame[0] = 1;
    expect(new MessageDecoder(1024).push(frame, [])?.code).toBe(Status.INTERNAL);
  });
});

describe("MessageDecoder.readRanges and MessageCount (the load generator's readers)", () => {
  const a = prefixMessage(Buffer.from("hello"));
  const b = prefixMessage(Buffer.alloc(0));
  const c = prefixMessage(Buffer.alloc(300, 7));
  const all = Buffer.concat([a, b, c, a]);

  test("ranges carry the same bytes as read()'s messages, whole or split at every boundary", () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const viaRead: string[] = [];
      const viaRanges: string[] = [];
      const d1 = new MessageDecoder(1024);
      const d2 = new MessageDecoder(1024);
      for (const part of [all.subarray(0, cut), all.subarray(cut)]) {
        expect(d1.read(part, 0, part.length, (m) => viaRead.push(m.toString("hex")))).toBeUndefined();
        const err = d2.readRanges(part, 0, part.length, (buf, start, end) => {
          viaRanges.push(buf.toString("hex", start, end));
          return undefined;
        });
        expect(err).toBeUndefined();
      }
      expect(viaRanges).toEqual(viaRead);
      expect(viaRanges.length).toBe(4);
    }
  });

  test("MessageCount counts what MessageDecoder delivers, at every split, and refuses the same prefixes", () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const n = new MessageCount(1024);
      expect(n.read(all, 0, cut)).toBeUndefined();
      expect(n.read(all, cut, all.length)).toBeUndefined();
      expect(n.count).toBe(4);
      expect(n.partial).toBe(false);
    }
    const half = new MessageCount(1024);
    half.read(c, 0, 100);
    expect(half.partial).toBe(true);
    expect(new MessageCount(1000).read(Buffer.from([0, 0, 0, 4, 0]), 0, 5)?.code).toBe(Status.RESOURCE_EXHAUSTED);
    const compressed = prefixMessage(Buffer.from("x"));
    compressed[0] = 1;
    const fromDecoder = new MessageDecoder(1024).push(compressed, []);
    expect(new MessageCount(1024).read(compressed, 0, compressed.length)).toEqual(fromDecoder);
  });
});

describe("grpc-timeout", () => {
  test.each([
    [1, "1m"],
    [1500, "1500m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
  ])("%d ms → %s", (ms, header) => {
    expect(encodeGrpcTimeout(ms)).toBe(header);
    expect(parseGrpcTimeout(header)).toBe(ms);
  });
  test("rejects malformed values", () => {
    expect(parseGrpcTimeout("123456789m")).toBeUndefined();
    expect(parseGrpcTimeout("10x")).toBeUndefined();
  });
});
