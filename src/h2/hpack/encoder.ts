// HPACK encoding of header blocks, without a dynamic table: everything is an indexed static field or a
// literal without indexing, so the bytes of a block depend on nothing but its fields and can be built once
// per channel and path and reused for every call. The server's table size settings cannot affect them.
// Blocks are written straight into one Buffer sized from the fields (not an array of numbers): an error
// answer is built per call, and its cost must stay linear in what it quotes.
import { STATIC_TABLE } from "./static-table.ts";

/** Appends an HPACK integer (§5.1) with an N-bit prefix; `first` holds the pattern bits above the prefix. */
export function encodeInt(out: number[], value: number, prefixBits: number, first: number): void {
  const bytes = Buffer.allocUnsafe(INT_MAX_BYTES);
  const n = writeInt(bytes, 0, value, prefixBits, first);
  for (let i = 0; i < n; i++) out.push(bytes[i] as number);
}

// An integer below 2^32 takes at most 1 + 5 bytes.
const INT_MAX_BYTES = 6;

/** Writes an HPACK integer at out[at]; returns the position after it. */
function writeInt(out: Buffer, at: number, value: number, prefixBits: number, first: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[at] = first | value;
    return at + 1;
  }
  let p = at;
  out[p++] = first | max;
  let rest = value - max;
  while (rest >= 0x80) {
    out[p++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[p++] = rest;
  return p;
}

/** A string literal, not Huffman-coded: one byte per character (latin1, as header values are bytes). */
function writeString(out: Buffer, at: number, text: string): number {
  const p = writeInt(out, at, text.length, 7, 0);
  return p + out.write(text, p, "latin1");
}

const staticIndex = new Map<string, number>();
const staticNameIndex = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (i === 0) return;
  staticIndex.set(`${name}\0${value}`, i);
  if (!staticNameIndex.has(name)) staticNameIndex.set(name, i);
});

/** Writes one field at out[at]: indexed if the static table has it whole, else a literal without indexing. */
function writeField(out: Buffer, at: number, name: string, value: string): number {
  const whole = staticIndex.get(`${name}\0${value}`);
  if (whole !== undefined) return writeInt(out, at, whole, 7, 0x80);
  const nameIndex = staticNameIndex.get(name);
  let p: number;
  if (nameIndex !== undefined) {
    p = writeInt(out, at, nameIndex, 4, 0x00);
  } else {
    out[at] = 0x00;
    p = writeString(out, at + 1, name);
  }
  return writeString(out, p, value);
}

/** A header block of the given fields, in order. */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  // The most a field can take: a type byte, two length integers and its characters.
  let bound = 0;
  for (const [name, value] of fields) bound += 1 + 2 * INT_MAX_BYTES + name.length + value.length;
  const out = Buffer.allocUnsafe(bound);
  let p = 0;
  for (const [name, value] of fields) p = writeField(out, p, name, value);
  return out.subarray(0, p);
}
