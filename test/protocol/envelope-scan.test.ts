// The readers under the gRPC-Web and Connect unary paths (src/protocol/): EnvelopeReader.scan, which hands
// envelopes on as ranges and may skip the bodies of messages cut across chunks, and trailersSayOk, which
// reads an OK trailers envelope in place. Each must agree with the general reader it stands in for.
import { describe, expect, test } from "bun:test";
import { type Envelope, EnvelopeReader, envelope, Flags } from "../../src/protocol/envelope.ts";
import { parseTrailers, trailersSayOk } from "../../src/protocol/grpc-web.ts";
import { Status, statusOf } from "../../src/rpc/status.ts";

const body = Buffer.concat([
  envelope(0, Buffer.from("first message")),
  envelope(0, Buffer.alloc(0)),
  envelope(0, Buffer.from("second")),
  envelope(Flags.WEB_TRAILERS, Buffer.from("grpc-status: 0\r\n")),
]);
const whole: Array<[number, string]> = [
  [0, "first message"],
  [0, ""],
  [0, "second"],
  [Flags.WEB_TRAILERS, "grpc-status: 0\r\n"],
];

/** Envelopes scan() hands on when `chunks` arrive one after another. */
function scanned(chunks: Buffer[], skipMessages: boolean): Array<[number, string]> {
  const reader = new EnvelopeReader(1024, Flags.WEB_TRAILERS, true, skipMessages);
  const out: Array<[number, string]> = [];
  const sink = {
    onEnvelope(flags: number, data: Buffer, start: number, end: number) {
      out.push([flags, data.toString("latin1", start, end)]);
    },
  };
  for (const c of chunks) expect(reader.scan(c, 0, c.length, sink)).toBeUndefined();
  expect(reader.buffered).toBe(0);
  return out;
}

describe("EnvelopeReader.scan", () => {
  test("the same envelopes at every cut, in pieces or whole", () => {
    expect(scanned([body], false)).toEqual(whole);
    for (let cut = 1; cut < body.length; cut++) {
      const chunks = [body.subarray(0, cut), body.subarray(cut)];
      expect({ cut, got: scanned(chunks, false) }).toEqual({ cut, got: whole });
      // Skipping: a message cut across chunks comes with no body; every other envelope as it is.
      const skipped = scanned(chunks, true);
      const filled = skipped.map((e, i) => (e[0] === 0 && e[1] === "" ? whole[i] : e));
      expect({ cut, got: filled }).toEqual({ cut, got: whole });
    }
  });

  test("byte by byte", () => {
    const bytes = [...body].map((b) => Buffer.from([b]));
    expect(scanned(bytes, false)).toEqual(whole);
    expect(scanned(bytes, true).map(([f]) => f)).toEqual(whole.map(([f]) => f));
  });

  test("read() without views copies: the chunk may be reused after it", () => {
    const chunk = Buffer.from(body);
    const got: Envelope[] = [];
    new EnvelopeReader(1024, Flags.WEB_TRAILERS).read(chunk, 0, chunk.length, (e) => got.push(e));
    chunk.fill(0);
    expect(got.map((e) => [e.flags, e.data.toString("latin1")])).toEqual(whole);
  });

  test("a bad prefix is refused before its body, whole or cut", () => {
    const big = envelope(0, Buffer.alloc(2000));
    const compressed = Buffer.from(envelope(0, Buffer.from("x")));
    compressed[0] = Flags.COMPRESSED;
    const sink = { onEnvelope() {} };
    for (const [bytes, code] of [
      [big, Status.RESOURCE_EXHAUSTED],
      [compressed, Status.INTERNAL],
      [envelope(Flags.CONNECT_END, Buffer.from("{}")), Status.INTERNAL],
    ] as const) {
      for (const cut of [bytes.length, 3]) {
        const reader = new EnvelopeReader(1024, Flags.WEB_TRAILERS, true, true);
        const err = reader.scan(bytes, 0, cut, sink) ?? reader.scan(bytes, cut, bytes.length, sink);
        expect(err?.code).toBe(code);
      }
    }
  });
});

describe("trailersSayOk", () => {
  const status = (text: string) => {
    const t = parseTrailers(Buffer.from(text, "latin1"));
    const get = (name: string) => t.find(([k]) => k === name)?.[1];
    return statusOf(get("grpc-status"), get("grpc-message"));
  };
  const ok = [
    "grpc-status: 0\r\n",
    "grpc-status:0",
    "Grpc-Status: 0\r\n",
    "x-extra: 1\r\ngrpc-status: 0\r\n",
    "grpc-status: 0\r\ngrpc-message: \r\n",
    "grpc-status:\t0 \r\n\r\n",
  ];
  const notOk = [
    "",
    "grpc-status: 1\r\n",
    "grpc-status: 00\r\n",
    "grpc-status: 0\r\ngrpc-message: fine\r\n",
    "grpc-status: 0\r\ngrpc-status: 5\r\n",
    "grpc-status: 0\ngrpc-message: x",
    "grpc-status\r\n",
    "grpc-statuses: 0\r\n",
  ];
  test.each(ok)("%j says OK, as the parser does", (text) => {
    expect(trailersSayOk(Buffer.from(text, "latin1"), 0, text.length)).toBe(true);
    expect(status(text)).toEqual({ code: Status.OK, details: "" });
  });
  test.each(notOk)("%j is left to the parser", (text) => {
    expect(trailersSayOk(Buffer.from(text, "latin1"), 0, text.length)).toBe(false);
  });
  test("reads only its range", () => {
    const b = Buffer.from("grpc-status: 7\r\ngrpc-status: 0\r\nx: y");
    expect(trailersSayOk(b, 16, 31)).toBe(true);
    expect(trailersSayOk(b, 0, 16)).toBe(false);
  });
});
