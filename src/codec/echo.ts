// grpcperf.v1.EchoRequest and EchoResponse (proto/grpcperf/v1/echo.proto) by hand, for `call echo` and
// `call smoke`: protobufjs, the generated code and the `long` package (which compiles a WebAssembly module
// when it loads) cost ~10 ms of a ~60 ms `call echo` (docs/performance.md, "Start-up"). The bytes written
// are those protobufjs writes for the same fields, and decoding follows protobufjs's reader, errors
// included; test/codec/echo.test.ts checks both against protobufjs.

interface EchoRequestFields {
  readonly payload?: Uint8Array;
  readonly sequence?: bigint;
  readonly clientSendUnixNanos?: bigint;
  readonly serverDelayUs?: number;
  readonly serverBusyUs?: number;
}

/** A decoded EchoResponse: absent fields are proto3's defaults (empty, 0). */
export interface EchoResponseFields {
  readonly payload: Uint8Array;
  readonly sequence: bigint;
  readonly clientSendUnixNanos: bigint;
  readonly serverRecvUnixNanos: bigint;
  readonly serverSendUnixNanos: bigint;
}

function varintLength(v: bigint): number {
  let n = 1;
  for (let x = v; x >= 0x80n; x >>= 7n) n++;
  return n;
}

function writeVarint(out: Buffer, at: number, v: bigint): number {
  let x = v;
  let i = at;
  while (x >= 0x80n) {
    out[i++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  out[i++] = Number(x);
  return i;
}

/**
 * Encodes as protobufjs's generated EchoRequest.encode does: fields in number order, proto3 defaults (empty,
 * 0) left out, uint32 fields taken modulo 2^32 after the zero check, int64 as its 64-bit two's complement.
 */
export function encodeEchoRequest(m: EchoRequestFields): Buffer {
  const fields: Array<[number, bigint | Uint8Array]> = [];
  if (m.payload !== undefined && m.payload.length > 0) fields.push([10, m.payload]);
  if (m.sequence !== undefined && m.sequence !== 0n) fields.push([16, BigInt.asUintN(64, m.sequence)]);
  if (m.clientSendUnixNanos !== undefined && m.clientSendUnixNanos !== 0n) {
    fields.push([24, BigInt.asUintN(64, m.clientSendUnixNanos)]);
  }
  if (m.serverDelayUs !== undefined && m.serverDelayUs !== 0) fields.push([32, BigInt(m.serverDelayUs >>> 0)]);
  if (m.serverBusyUs !== undefined && m.serverBusyUs !== 0) fields.push([40, BigInt(m.serverBusyUs >>> 0)]);
  let size = 0;
  for (const [, v] of fields) {
    size += 1 + (typeof v === "bigint" ? varintLength(v) : varintLength(BigInt(v.length)) + v.length);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [tag, v] of fields) {
    out[at++] = tag;
    if (typeof v === "bigint") {
      at = writeVarint(out, at, v);
    } else {
      at = writeVarint(out, at, BigInt(v.length));
      out.set(v, at);
      at += v.length;
    }
  }
  return out;
}

/** protobufjs's Reader.recursionLimit: how deeply groups of unknown fields may nest. */
const RECURSION_LIMIT = 100;

/** A tag's fifth byte carries 4 bits and ends the varint; a length's keeps it below 2^31. */
const TAG_FIFTH = (b: number) => b < 128 && (b & 112) === 0;
const SIZE_FIFTH = (b: number) => b <= 7;

/** A cursor over a message, with protobufjs's Reader semantics and error messages. */
class Reader {
  pos = 0;
  readonly len: number;
  constructor(readonly buf: Uint8Array) {
    this.len = buf.length;
  }

  outOfRange(length = 1): RangeError {
    return new RangeError(`index out of range: ${this.pos} + ${length} > ${this.len}`);
  }

  /** The first four bytes of a tag or length varint: the value so far, and whether it ended. */
  private varint28(): [number, boolean] {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const b = this.buf[this.pos++] as number;
      value = (value | ((b & 127) << (i * 7))) >>> 0;
      if (b < 128) return [value, true];
    }
    return [value, false];
  }

  /** A field's tag (protobufjs's tag): at most five bytes, the fifth holding no bits above 32. */
  tag(): number {
    return this.varint32(TAG_FIFTH, "invalid tag encoding");
  }

  /** A length prefix (protobufjs's size): below 2^31. */
  size(): number {
    return this.varint32(SIZE_FIFTH, "invalid length encoding");
  }

  /** A tag or a length: up to five bytes, the fifth checked by `fifthFits` (protobufjs's two rules). */
  private varint32(fifthFits: (b: number) => boolean, invalid: string): number {
    if (this.len - this.pos < 5) {
      if (this.pos >= this.len) throw this.outOfRange();
      if ((this.buf[this.pos] as number) >= 128) return this.varint32NearEnd();
    }
    const [value, ended] = this.varint28();
    if (ended) return value;
    const b = this.buf[this.pos++] as number;
    if (fifthFits(b)) return (value | ((b & 15) << 28)) >>> 0;
    throw new Error(invalid);
  }

  /** At most four bytes of a varint that the message's end cuts short. */
  private varint32NearEnd(): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.len) throw this.outOfRange();
      const b = this.buf[this.pos++] as number;
      value = (value | ((b & 127) << (i * 7))) >>> 0;
      if (b < 128) return value;
    }
    throw this.outOfRange();
  }

  /** A varint as its low 64 bits, unsigned (protobufjs's readLongVarint). */
  uint64(): bigint {
    let lo = 0;
    let hi = 0;
    const fast = this.len - this.pos > 4;
    for (let i = 0; i < 4; i++) {
      if (!fast && this.pos >= this.len) throw this.outOfRange();
      const b = this.buf[this.pos++] as number;
      lo = (lo | ((b & 127) << (i * 7))) >>> 0;
      if (b < 128) return BigInt(lo);
    }
    if (!fast) throw this.outOfRange();
    const fifth = this.buf[this.pos++] as number;
    lo = (lo | ((fifth & 127) << 28)) >>> 0;
    hi = (hi | ((fifth & 127) >> 4)) >>> 0;
    if (fifth < 128) return (BigInt(hi) << 32n) | BigInt(lo);
    const fastHigh = this.len - this.pos > 4;
    for (let i = 0; i < 5; i++) {
      if (!fastHigh && this.pos >= this.len) throw this.outOfRange();
      const b = this.buf[this.pos++] as number;
      hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0;
      if (b < 128) return (BigInt(hi) << 32n) | BigInt(lo);
    }
    throw new Error("invalid varint encoding");
  }

  bytes(): Uint8Array {
    const length = this.size();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw this.outOfRange(length);
    this.pos = end;
    return this.buf.subarray(start, end);
  }

  skip(length?: number): void {
    if (length !== undefined) {
      if (this.pos + length > this.len) throw this.outOfRange(length);
      this.pos += length;
      return;
    }
    do {
      if (this.pos >= this.len) throw this.outOfRange();
    } while ((this.buf[this.pos++] as number) & 128);
  }

  /** Skips an unknown field's value, groups (wire types 3 and 4) included. */
  skipType(wireType: number, depth: number, fieldNumber: number | undefined): void {
    if (depth > RECURSION_LIMIT) throw new Error("max depth exceeded");
    if (fieldNumber === 0) throw new Error("illegal tag: field number 0");
    if (wireType === 0) this.skip();
    else if (wireType === 1) this.skip(8);
    else if (wireType === 2) this.skip(this.size());
    else if (wireType === 5) this.skip(4);
    else if (wireType === 3) this.skipGroup(depth, fieldNumber);
    else throw new Error(`invalid wire type ${wireType} at offset ${this.pos}`);
  }

  private skipGroup(depth: number, fieldNumber: number | undefined): void {
    for (;;) {
      const tag = this.tag();
      const nested = tag >>> 3;
      const wireType = tag & 7;
      if (nested === 0) throw new Error("illegal tag: field number 0");
      if (wireType === 4) {
        if (fieldNumber !== undefined && nested !== fieldNumber) throw new Error("invalid end group tag");
        return;
      }
      this.skipType(wireType, depth + 1, nested);
    }
  }
}

/** Field number → the wire type it is read with; any other pairing is an unknown field, skipped. */
const WIRE_TYPES: readonly number[] = [-1, 2, 0, 0, 0, 0];

/**
 * Decodes an EchoResponse as protobufjs's generated EchoResponse.decode does: the last occurrence of a field
 * wins, unknown fields (and known ones of another wire type) are skipped, malformed input throws the same
 * errors. The payload is a view of `bytes`, not a copy.
 */
export function decodeEchoResponse(bytes: Uint8Array): EchoResponseFields {
  const r = new Reader(bytes);
  let payload: Uint8Array = new Uint8Array(0);
  const ints = [0n, 0n, 0n, 0n, 0n, 0n];
  while (r.pos < r.len) {
    const tag = r.tag();
    const wireType = tag & 7;
    const field = tag >>> 3;
    if (field >= 1 && field <= 5 && WIRE_TYPES[field] === wireType) {
      if (field === 1) payload = r.bytes();
      else ints[field] = field === 2 ? r.uint64() : BigInt.asIntN(64, r.uint64());
      continue;
    }
    r.skipType(wireType, 0, field);
  }
  return {
    payload,
    sequence: ints[2] as bigint,
    clientSendUnixNanos: ints[3] as bigint,
    serverRecvUnixNanos: ints[4] as bigint,
    serverSendUnixNanos: ints[5] as bigint,
  };
}
