import { describe, expect, test } from "bun:test";
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
