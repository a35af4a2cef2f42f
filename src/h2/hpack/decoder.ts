// HPACK decoding (RFC 7541) for response header blocks: static and dynamic table, size updates, Huffman.
// One decoder per connection, fed every header block in order, even those of streams we no longer care
// about: skipping one would leave the dynamic table out of step with the server's.

import { huffmanDecode } from "./huffman.ts";
import { STATIC_COUNT, STATIC_TABLE } from "./static-table.ts";

/** Receives each decoded field; names are lower-case as HTTP/2 requires. */
export type HeaderSink = (name: string, value: string) => void;

// RFC 7541 §4.1: an entry's size is its name and value lengths plus 32.
const ENTRY_OVERHEAD = 32;

export class HpackDecoder {
  // Newest entry last, so adding is a push; eviction takes from the front, which is rare.
  private readonly entries: Array<readonly [string, string]> = [];
  private readonly literals = new LiteralCache();
  private size = 0;
  private maxSize: number;

  /** maxTableSize: SETTINGS_HEADER_TABLE_SIZE we advertised (4096 unless we sent another). */
  constructor(private readonly maxTableSize = 4096) {
    this.maxSize = maxTableSize;
  }

  get tableSize(): number {
    return this.size;
  }

  get tableLength(): number {
    return this.entries.length;
  }

  /**
   * The decoded size (RFC 9113 §6.5.2: names, values and 32 per field) of the last block, counted up to
   * the point where it passed the list cap; and whether it did.
   */
  listSize = 0;
  oversized = false;

  /**
   * Decodes one complete header block, block[start, end); an Error means the connection must end
   * (COMPRESSION_ERROR). Takes a range rather than a view so the caller need not slice the read buffer.
   *
   * maxListSize: every field counts towards it before it is emitted, an indexed reference to the table as
   * much as a literal ("HTTP/2 Bomb", CVE-2026-49975 class: a few bytes that name a large table entry
   * again and again). Past it nothing more is emitted and `oversized` is set; the rest of the block is
   * still read, at a cost linear in its bytes, because the table must stay in step with the peer's
   * (nghttp2 goes on inflating a block whose list it has refused, for the same reason).
   */
  decode(block: Buffer, sink: HeaderSink, start = 0, end = block.length, maxListSize = Infinity): Error | undefined {
    let pos = start;
    let fieldSeen = false;
    let size = 0;
    let emit = true;
    this.oversized = false;
    while (pos < end) {
      const b = block[pos] as number;
      if (b > 0x80 && b < 0xff) {
        // Indexed field with a one-byte index: nearly every field of a gRPC response after the first.
        const entry = this.lookup(b & 0x7f);
        if (entry === undefined) return new Error(`header index ${b & 0x7f} out of range`);
        fieldSeen = true;
        pos++;
        if (!emit) continue;
        size += entry[0].length + entry[1].length + ENTRY_OVERHEAD;
        if (size > maxListSize) emit = false;
        else sink(entry[0], entry[1]);
      } else if (b & 0x80) {
        // Indexed field.
        const index = readIntAt(block, pos, 7, end);
        if (index < 0) return new Error("truncated index");
        pos = intEnd;
        const entry = this.lookup(index);
        if (entry === undefined) return new Error(`header index ${index} out of range`);
        fieldSeen = true;
        if (!emit) continue;
        size += entry[0].length + entry[1].length + ENTRY_OVERHEAD;
        if (size > maxListSize) emit = false;
        else sink(entry[0], entry[1]);
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update: only allowed before the first field of a block.
        if (fieldSeen) return new Error("table size update after a header field");
        const tableSize = readIntAt(block, pos, 5, end);
        if (tableSize < 0) return new Error("truncated table size update");
        if (tableSize > this.maxTableSize) {
          return new Error(`table size update to ${tableSize} exceeds the advertised ${this.maxTableSize}`);
        }
        pos = intEnd;
        this.maxSize = tableSize;
        this.evict(0);
      } else {
        // Literal: with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        const nameIndex = readIntAt(block, pos, indexing ? 6 : 4, end);
        if (nameIndex < 0) return new Error("truncated literal");
        pos = intEnd;
        let name: string;
        if (nameIndex === 0) {
          const s = this.readString(block, pos, end);
          if (typeof s !== "string") return s;
          name = s;
          pos = this.stringEnd;
        } else {
          const entry = this.lookup(nameIndex);
          if (entry === undefined) return new Error(`header name index ${nameIndex} out of range`);
          name = entry[0];
        }
        const value = this.readString(block, pos, end);
        if (typeof value !== "string") return value;
        pos = this.stringEnd;
        if (indexing) this.add(name, value);
        fieldSeen = true;
        if (!emit) continue;
        size += name.length + value.length + ENTRY_OVERHEAD;
        if (size > maxListSize) emit = false;
        else sink(name, value);
      }
    }
    this.listSize = size;
    this.oversized = !emit;
    return undefined;
  }

  /** Where the last string readString() returned ends in its block. */
  private stringEnd = 0;

  /**
   * A string literal, its end left in stringEnd: a {value, next} pair per literal was most of what a
   * response's header blocks cost the load thread's GC (docs/performance.md, "Garbage per call").
   * Clients send the same literals on every request (nghttp2 never indexes :path, and encoders without a
   * dynamic table index nothing), so recent ones are remembered by their wire bytes: comparing a few
   * bytes is cheaper than Huffman-decoding them into a new string each time.
   */
  private readString(block: Buffer, pos: number, limit: number): string | Error {
    if (pos >= limit) return new Error("truncated string");
    const huffman = ((block[pos] as number) & 0x80) !== 0;
    const length = readIntAt(block, pos, 7, limit);
    if (length < 0) return new Error("truncated string length");
    const start = intEnd;
    const end = start + length;
    if (end > limit) return new Error("string runs past the end of the header block");
    this.stringEnd = end;
    const cached = this.literals.find(block, start, end, huffman);
    if (cached !== undefined) return cached;
    let value: string;
    if (huffman) {
      const s = huffmanDecode(block, start, end);
      if (s instanceof Error) return s;
      value = s;
    } else {
      value = block.toString("latin1", start, end);
    }
    this.literals.remember(block, start, end, huffman, value);
    return value;
  }

  private lookup(index: number): readonly [string, string] | undefined {
    if (index === 0) return undefined;
    if (index <= STATIC_COUNT) return STATIC_TABLE[index];
    return this.entries[this.entries.length - (index - STATIC_COUNT)];
  }

  private add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    // An entry larger than the table empties it and is not added (§4.4).
    this.evict(size);
    if (size <= this.maxSize) {
      this.entries.push([name, value]);
      this.size += size;
    }
  }

  /** Evicts oldest entries until `incoming` more bytes fit. */
  private evict(incoming: number): void {
    while (this.entries.length > 0 && this.size + incoming > this.maxSize) {
      const old = this.entries.shift() as readonly [string, string];
      this.size -= old[0].length + old[1].length + ENTRY_OVERHEAD;
    }
  }
}

/** Where the integer readIntAt() last read ends: module state, so that no object is made per integer. */
let intEnd = 0;

/**
 * An HPACK integer with an N-bit prefix (§5.1) starting at block[pos], or -1 when it is truncated or
 * past 2^31 (no sane header index, length or table size); where it ends is left in intEnd.
 */
function readIntAt(block: Uint8Array, pos: number, prefixBits: number, limit: number): number {
  const max = (1 << prefixBits) - 1;
  let value = (block[pos] as number) & max;
  let p = pos + 1;
  if (value < max) {
    intEnd = p;
    return value;
  }
  let shift = 0;
  for (;;) {
    if (p >= limit) return -1;
    const b = block[p++] as number;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (value > 0x7fffffff || shift > 35) return -1;
    if ((b & 0x80) === 0) {
      intEnd = p;
      return value;
    }
  }
}

/** An HPACK integer with an N-bit prefix (§5.1) starting at block[pos], and where it ends. */
export function readInt(
  block: Uint8Array,
  pos: number,
  prefixBits: number,
  limit = block.length,
): { value: number; next: number } | undefined {
  const value = readIntAt(block, pos, prefixBits, limit);
  return value < 0 ? undefined : { value, next: intEnd };
}

// Literals longer than this are not remembered: long values are rarely repeated and costly to compare.
const CACHE_MAX_BYTES = 64;
const CACHE_SLOTS = 16;

/** The last few string literals seen, by their wire bytes (Huffman-coded or not). */
class LiteralCache {
  private readonly bytes: Buffer[] = [];
  private readonly huffman: boolean[] = [];
  private readonly values: string[] = [];
  private next = 0;

  find(block: Buffer, start: number, end: number, huffman: boolean): string | undefined {
    const n = end - start;
    if (n > CACHE_MAX_BYTES) return undefined;
    const all = this.bytes;
    outer: for (let i = 0; i < all.length; i++) {
      const b = all[i] as Buffer;
      if (b.length !== n || this.huffman[i] !== huffman) continue;
      for (let j = 0; j < n; j++) if (b[j] !== block[start + j]) continue outer;
      return this.values[i];
    }
    return undefined;
  }

  remember(block: Buffer, start: number, end: number, huffman: boolean, value: string): void {
    if (end - start > CACHE_MAX_BYTES) return;
    const i = this.next;
    this.next = (i + 1) % CACHE_SLOTS;
    this.bytes[i] = Buffer.from(block.subarray(start, end));
    this.huffman[i] = huffman;
    this.values[i] = value;
  }
}
