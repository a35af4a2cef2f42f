// HPACK against the known-answer vectors of RFC 7541 Appendix C, and malformed input.
import { describe, expect, test } from "bun:test";
import { HpackDecoder, readInt } from "../../src/h2/hpack/decoder.ts";
import { encodeHeaderBlock, encodeInt } from "../../src/h2/hpack/encoder.ts";
import { huffmanDecode } from "../../src/h2/hpack/huffman.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

function decode(d: HpackDecoder, block: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const err = d.decode(block, (n, v) => out.push([n, v]));
  if (err) throw err;
  return out;
}

describe("integers (C.1)", () => {
  test.each([
    [10, 5, "0a"],
    [1337, 5, "1f9a0a"],
    [42, 8, "2a"],
  ])("%d with a %d-bit prefix", (value, prefix, wire) => {
    const out: number[] = [];
    encodeInt(out, value, prefix, 0);
    expect(Buffer.from(out).toString("hex")).toBe(wire);
    expect(readInt(hex(wire), 0, prefix)).toEqual({ value, next: wire.length / 2 });
  });
});

describe("header field representations (C.2)", () => {
  test("C.2.1 literal with indexing", () => {
    const d = new HpackDecoder();
    expect(decode(d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([
      ["custom-key", "custom-header"],
    ]);
    expect(d.tableSize).toBe(55);
  });
  test("C.2.2 literal without indexing", () => {
    const d = new HpackDecoder();
    expect(decode(d, hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([[":path", "/sample/path"]]);
    expect(d.tableSize).toBe(0);
  });
  test("C.2.3 literal never indexed", () => {
    const d = new HpackDecoder();
    expect(decode(d, hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))).toEqual([["password", "secret"]]);
    expect(d.tableSize).toBe(0);
  });
  test("C.2.4 indexed", () => {
    expect(decode(new HpackDecoder(), hex("82"))).toEqual([[":method", "GET"]]);
  });
});

const req1 = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const req2 = [...req1, ["cache-control", "no-cache"]];
const req3 = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];

describe.each([
  [
    "C.3 requests without Huffman",
    [
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ],
  ],
  [
    "C.4 requests with Huffman",
    [
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ],
  ],
])("%s", (_name, blocks) => {
  test("three requests on one decoder, dynamic table in step", () => {
    const d = new HpackDecoder();
    expect(decode(d, hex(blocks[0] as string))).toEqual(req1 as Array<[string, string]>);
    expect(d.tableSize).toBe(57);
    expect(decode(d, hex(blocks[1] as string))).toEqual(req2 as Array<[string, string]>);
    expect(d.tableSize).toBe(110);
    expect(decode(d, hex(blocks[2] as string))).toEqual(req3 as Array<[string, string]>);
    expect(d.tableSize).toBe(164);
    expect(d.tableLength).toBe(3);
  });
});

const date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const loc = "https://www.example.com";
const cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

describe.each([
  [
    "C.5 responses without Huffman",
    [
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32
       3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
      "4803 3330 37c1 c0bf",
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970
       7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61
       6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
    ],
  ],
  [
    "C.6 responses with Huffman",
    [
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad
       1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      "4883 640e ffc1 c0bf",
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2
       e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    ],
  ],
])("%s (table size 256, with eviction)", (_name, blocks) => {
  test("three responses on one decoder", () => {
    const d = new HpackDecoder(256);
    expect(decode(d, hex(blocks[0] as string))).toEqual([
      [":status", "302"],
      ["cache-control", "private"],
      ["date", date1],
      ["location", loc],
    ]);
    expect(d.tableSize).toBe(222);
    expect(decode(d, hex(blocks[1] as string))).toEqual([
      [":status", "307"],
      ["cache-control", "private"],
      ["date", date1],
      ["location", loc],
    ]);
    expect(d.tableSize).toBe(222);
    expect(decode(d, hex(blocks[2] as string))).toEqual([
      [":status", "200"],
      ["cache-control", "private"],
      ["date", date2],
      ["location", loc],
      ["content-encoding", "gzip"],
      ["set-cookie", cookie],
    ]);
    expect(d.tableSize).toBe(215);
    expect(d.tableLength).toBe(3);
  });
});

describe("dynamic table size updates", () => {
  test("an update to 0 empties the table; a later field may not be followed by one", () => {
    const d = new HpackDecoder();
    decode(d, hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    expect(d.tableLength).toBe(1);
    expect(decode(d, hex("20 82"))).toEqual([[":method", "GET"]]);
    expect(d.tableLength).toBe(0);
    expect(d.decode(hex("82 20"), () => {})?.message).toContain("after a header field");
  });
  test("an update above the advertised size is an error", () => {
    expect(new HpackDecoder(4096).decode(hex("3fe21f"), () => {})?.message).toContain("exceeds"); // 4097
  });
});

describe("malformed input is an error, never a throw", () => {
  test.each([
    ["index 0", "80"],
    ["index past the tables", "ff00"],
    ["truncated integer", "ff"],
    ["string past the end", "400a 6375"],
    ["huge integer", "ff ff ff ff ff ff 7f"],
  ])("%s", (_name, wire) => {
    expect(new HpackDecoder().decode(hex(wire), () => {})).toBeInstanceOf(Error);
  });
  test("Huffman: EOS inside, bad padding", () => {
    expect(huffmanDecode(hex("ffffffff"), 0, 4)).toBeInstanceOf(Error); // 30 ones = EOS
    expect(huffmanDecode(hex("00"), 0, 1)).toBeInstanceOf(Error); // '0' (00000) then 000 padding
    expect(huffmanDecode(hex("07"), 0, 1)).toBe("0"); // '0' then 111 padding
  });
});

describe("encoder", () => {
  test("request headers round-trip through the decoder and leave its table empty", () => {
    const fields: Array<[string, string]> = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/grpcperf.v1.Echo/Echo"],
      [":authority", "127.0.0.1:50051"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ["grpc-timeout", "10S"],
      ["x-long", "v".repeat(300)],
    ];
    const d = new HpackDecoder();
    expect(decode(d, encodeHeaderBlock(fields))).toEqual(fields);
    expect(d.tableLength).toBe(0);
  });
});

describe("repeated literals (remembered by their wire bytes)", () => {
  test("the same block decodes the same every time; same-length literals stay apart", () => {
    const d = new HpackDecoder();
    const fields = (block: Buffer) => {
      const out: string[] = [];
      expect(d.decode(block, (n, v) => out.push(`${n}=${v}`))).toBeUndefined();
      return out;
    };
    const a = encodeHeaderBlock([
      [":path", "/grpcperf.v1.Echo/Echo"],
      ["x-a", "aaaa"],
    ]);
    const b = encodeHeaderBlock([
      [":path", "/grpcperf.v1.Echo/Ecxo"],
      ["x-a", "bbbb"],
    ]);
    for (let i = 0; i < 3; i++) {
      expect(fields(a)).toEqual([":path=/grpcperf.v1.Echo/Echo", "x-a=aaaa"]);
      expect(fields(b)).toEqual([":path=/grpcperf.v1.Echo/Ecxo", "x-a=bbbb"]);
    }
    // RFC 7541 C.4.1: the Huffman-coded "www.example.com", twice on one decoder.
    const huff = Buffer.from("828684418cf1e3c2e5f23a6ba0ab90f4ff", "hex");
    const d2 = new HpackDecoder();
    for (let i = 0; i < 2; i++) {
      const seen: string[] = [];
      d2.decode(huff, (n, v) => seen.push(`${n}=${v}`));
      expect(seen).toContain(":authority=www.example.com");
    }
  });
});
