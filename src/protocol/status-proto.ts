// google.rpc.Status in protobuf's binary form, by hand: gRPC carries error details as this message in the
// grpc-status-details-bin trailer, Connect as a JSON list of {type, value}. Turning one into the other
// here lets every protocol's errors reach the report the same way (as gRPC's trailer), with no schema.
// Fields: 1 code (int32), 2 message (string), 3 details (repeated google.protobuf.Any: 1 type_url, 2 value).

/** One error detail: the message's full name (no type URL prefix) and its bytes. */
export interface Detail {
  readonly type: string;
  readonly value: Uint8Array;
}

const TYPE_PREFIX = "type.googleapis.com/";

export function encodeRpcStatus(code: number, message: string, details: readonly Detail[]): Buffer {
  const parts: Buffer[] = [];
  if (code !== 0) parts.push(Buffer.from([0x08]), varint(code));
  if (message !== "") parts.push(lengthDelimited(2, Buffer.from(message, "utf8")));
  for (const d of details) {
    const any = Buffer.concat([
      lengthDelimited(1, Buffer.from(TYPE_PREFIX + d.type, "utf8")),
      lengthDelimited(2, Buffer.from(d.value)),
    ]);
    parts.push(lengthDelimited(3, any));
  }
  return Buffer.concat(parts);
}

/** The details of a google.rpc.Status; undefined when the bytes are not one. */
export function decodeRpcStatusDetails(bytes: Uint8Array): Detail[] | undefined {
  const out: Detail[] = [];
  const ok = fields(bytes, (field, wireType, value) => {
    if (field !== 3 || wireType !== 2) return true;
    let type = "";
    let data: Uint8Array = new Uint8Array(0);
    const anyOk = fields(value as Uint8Array, (f, w, v) => {
      if (w !== 2) return true;
      if (f === 1) type = Buffer.from(v as Uint8Array).toString("utf8");
      else if (f === 2) data = v as Uint8Array;
      return true;
    });
    if (!anyOk) return false;
    out.push({ type: type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : type, value: data });
    return true;
  });
  return ok ? out : undefined;
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function lengthDelimited(field: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2]), varint(data.length), data]);
}

/** Walks the fields of a message: varints as numbers, length-delimited as views; false if malformed. */
function fields(
  buf: Uint8Array,
  each: (field: number, wireType: number, value: number | Uint8Array) => boolean,
): boolean {
  let pos = 0;
  const readVarint = (): number | undefined => {
    let result = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++] as number;
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    return undefined;
  };
  while (pos < buf.length) {
    const key = readVarint();
    if (key === undefined) return false;
    const wireType = key & 7;
    let value: number | Uint8Array;
    if (wireType === 0) {
      const v = readVarint();
      if (v === undefined) return false;
      value = v;
    } else if (wireType === 2) {
      const len = readVarint();
      if (len === undefined || pos + len > buf.length) return false;
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wireType === 5 || wireType === 1) {
      pos += wireType === 5 ? 4 : 8;
      if (pos > buf.length) return false;
      continue;
    } else return false;
    if (!each(Math.floor(key / 8), wireType, value)) return false;
  }
  return true;
}
