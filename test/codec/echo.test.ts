// The hand-written Echo codec against protobufjs's generated code: the same request bytes, the same decoded
// response (or the same error) for well-formed messages, unknown fields and malformed input.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import Long from "long";
import { EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { decodeEchoResponse, encodeEchoRequest } from "../../src/codec/echo.ts";
import type { grpcperf } from "../../src/gen/pb.js";

const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function viaProtobufjs(m: {
  payload?: Uint8Array;
  sequence?: bigint;
  clientSendUnixNanos?: bigint;
  serverDelayUs?: number;
  serverBusyUs?: number;
}): Buffer {
  const fields: grpcperf.v1.IEchoRequest = {};
  if (m.payload !== undefined) fields.payload = m.payload;
  if (m.sequence !== undefined) fields.sequence = Long.fromBigInt(m.sequence, true);
  if (m.clientSendUnixNanos !== undefined) fields.clientSendUnixNanos = Long.fromBigInt(m.clientSendUnixNanos);
  if (m.serverDelayUs !== undefined) fields.serverDelayUs = m.serverDelayUs;
  if (m.serverBusyUs !== undefined) fields.serverBusyUs = m.serverBusyUs;
  return Buffer.from(EchoRequest.encode(fields).finish());
}

const big = (v: number | Long | null | undefined, unsigned: boolean): bigint => {
  if (v == null) return 0n;
  if (typeof v === "number") return BigInt(v);
  return unsigned ? BigInt.asUintN(64, v.toBigInt()) : BigInt.asIntN(64, v.toBigInt());
};

/** protobufjs's decode as the fields the hand codec returns, or the error message it throws. */
function protobufjsDecode(bytes: Uint8Array): unknown {
  try {
    const r = EchoResponse.decode(bytes);
    return {
      payload: Buffer.from(r.payload ?? []).toString("hex"),
      sequence: big(r.sequence, true),
      clientSendUnixNanos: big(r.clientSendUnixNanos, false),
      serverRecvUnixNanos: big(r.serverRecvUnixNanos, false),
      serverSendUnixNanos: big(r.serverSendUnixNanos, false),
    };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

function handDecode(bytes: Uint8Array): unknown {
  try {
    const r = decodeEchoResponse(bytes);
    return { ...r, payload: Buffer.from(r.payload).toString("hex") };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

const response = (m: grpcperf.v1.IEchoResponse) => Buffer.from(EchoResponse.encode(m).finish());

describe("encodeEchoRequest", () => {
  test("the bytes protobufjs writes: defaults, edges, sizes", () => {
    const cases = [
      {},
      { payload: new Uint8Array(0), sequence: 0n, clientSendUnixNanos: 0n, serverDelayUs: 0, serverBusyUs: 0 },
      { payload: Buffer.from("Hello from grpcperf, message 1 of 4"), sequence: 1n, clientSendUnixNanos: 1n },
      { sequence: U64_MAX, clientSendUnixNanos: I64_MIN },
      { sequence: 2n ** 63n, clientSendUnixNanos: I64_MAX },
      { clientSendUnixNanos: -1n, serverDelayUs: 60_000_000, serverBusyUs: 1_000_000 },
      { serverDelayUs: 2 ** 32, serverBusyUs: 2 ** 32 + 5 },
      { serverDelayUs: 2 ** 32 - 1, serverBusyUs: 127 },
      { payload: new Uint8Array(127).fill(1) },
      { payload: new Uint8Array(128).fill(2) },
      { payload: new Uint8Array(16_384).fill(3) },
      { payload: new Uint8Array(4 * 1024 * 1024).fill(4), sequence: 1_796_667_317_915_487_987n },
    ];
    for (const m of cases) expect(encodeEchoRequest(m).equals(viaProtobufjs(m))).toBe(true);
  });

  test("the bytes protobufjs writes, for any fields", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            payload: fc.uint8Array({ maxLength: 300 }),
            sequence: fc.bigInt({ min: 0n, max: U64_MAX }),
            clientSendUnixNanos: fc.bigInt({ min: I64_MIN, max: I64_MAX }),
            serverDelayUs: fc.nat(),
            serverBusyUs: fc.nat(),
          },
          { requiredKeys: [] },
        ),
        (m) => encodeEchoRequest(m).equals(viaProtobufjs(m)),
      ),
      { numRuns: 500 },
    );
  });
});

describe("decodeEchoResponse", () => {
  test("what protobufjs decodes: defaults, edges, large payloads", () => {
    const cases: grpcperf.v1.IEchoResponse[] = [
      {},
      { payload: Buffer.from("hi"), sequence: Long.fromBigInt(U64_MAX, true) },
      {
        clientSendUnixNanos: Long.fromBigInt(I64_MIN),
        serverRecvUnixNanos: Long.fromBigInt(-1n),
        serverSendUnixNanos: Long.fromBigInt(I64_MAX),
      },
      { payload: new Uint8Array(1 << 20).fill(7), sequence: Long.fromNumber(4, true) },
    ];
    for (const m of cases) {
      const bytes = response(m);
      expect(handDecode(bytes)).toEqual(protobufjsDecode(bytes));
    }
  });

  test("unknown fields, known fields of another wire type, groups and repeats are read as protobufjs reads them", () => {
    const known = response({ payload: Buffer.from("abc"), sequence: Long.fromNumber(9, true) });
    const extras = [
      "3a0378797a", // field 7, length-delimited
      "4896 01", // field 9, varint
      "51 0102030405060708", // field 10, fixed64
      "5d 01020304", // field 11, fixed32
      "6b 7001 6c", // field 13, a group holding field 14
      "0d 01020304", // field 1 as fixed32: not the payload
      "10 05", // field 2 again: the last one wins
      "0a 00", // an empty payload after a non-empty one
      "6b 74", // a group cut short
      "6b 7001 74", // a group closed by another field's end tag
      "00", // field number 0
      "0f", // wire type 7
      "0c", // an end group at the top
      "10 ffffffffffffffffffff01", // an eleven-byte varint
      "10 ffff", // a varint cut short
      "0a 05 6162", // a payload longer than what is left
      "0a ffffffff0f", // a length near 2^32
    ].map((h) => Buffer.from(h.replaceAll(" ", ""), "hex"));
    for (const extra of extras) {
      for (const bytes of [extra, Buffer.concat([known, extra]), Buffer.concat([extra, known])]) {
        expect(handDecode(bytes)).toEqual(protobufjsDecode(bytes));
      }
    }
  });

  test("the same result or error as protobufjs, for any bytes", () => {
    const valid = response({
      payload: Buffer.from("payload"),
      sequence: Long.fromNumber(3, true),
      clientSendUnixNanos: Long.fromBigInt(1_796_667_317_915_487_987n),
      serverRecvUnixNanos: Long.fromBigInt(-5n),
      serverSendUnixNanos: Long.fromBigInt(I64_MAX),
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: valid.length }), (noise, at) => {
        for (const bytes of [noise, Buffer.concat([valid.subarray(0, at), noise]), valid.subarray(0, at)]) {
          expect(handDecode(bytes)).toEqual(protobufjsDecode(bytes));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
