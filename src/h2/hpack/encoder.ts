// HPACK encoding of request headers, without a dynamic table: everything is an indexed static field or a
// literal without indexing, so the bytes of a block depend on nothing but its fields and can be built once
// per channel and path and reused for every call. The server's table size settings cannot affect them.
import { STATIC_TABLE } from "./static-table.ts";

/** Appends an HPACK integer (§5.1) with an N-bit prefix; `first` holds the pattern bits above the prefix. */
export function encodeInt(out: number[], value: number, prefixBits: number, first: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function encodeString(out: number[], text: string): void {
  const bytes = Buffer.from(text, "latin1");
  encodeInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

const staticIndex = new Map<string, number>();
const staticNameIndex = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (i === 0) return;
  staticIndex.set(`${name}\0${value}`, i);
  if (!staticNameIndex.has(name)) staticNameIndex.set(name, i);
});

/** Appends one field: indexed if the static table has it whole, else a literal without indexing. */
export function encodeField(out: number[], name: string, value: string): void {
  const whole = staticIndex.get(`${name}\0${value}`);
  if (whole !== undefined) {
    encodeInt(out, whole, 7, 0x80);
    return;
  }
  const nameIndex = staticNameIndex.get(name);
  if (nameIndex !== undefined) {
    encodeInt(out, nameIndex, 4, 0x00);
  } else {
    out.push(0x00);
    encodeString(out, name);
  }
  encodeString(out, value);
}

/** A header block of the given fields, in order. */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) encodeField(out, name, value);
  return Buffer.from(out);
}
