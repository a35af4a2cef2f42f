// HTTP/2 framing and HPACK for the frame-level test peers (test/support/peer.ts, test/support/server-peer.ts), written
// apart from src/h2: frames are read and written here from RFC 9113 §4.1, and header blocks go through
// hpack.js, an HPACK implementation the project did not write. A bug shared by the project's encoder and
// decoder would otherwise pass every test that uses the peers.
import hpack from "hpack.js";

/** RFC 9113 §4.1: a 9-byte header, then the payload. */
const HEADER = 9;
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE's initial value. */
const TABLE_SIZE = 4096;

export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly id: number;
  readonly payload: Buffer;
}

/** One frame's bytes. */
export function writeFrame(type: number, flags: number, id: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(HEADER + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(id & 0x7fffffff, 5);
  out.set(payload, HEADER);
  return out;
}

/** A SETTINGS frame (not an ACK) with these (identifier, value) pairs. */
export function writeSettings(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.alloc(settings.length * 6);
  settings.forEach(([key, value], i) => {
    payload.writeUInt16BE(key, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return writeFrame(0x4, 0, 0, payload);
}

/** Cuts a byte stream into frames, whatever the chunking; frames of any length are accepted. */
export class FrameReader {
  private held: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RawFrame[] {
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const out: RawFrame[] = [];
    while (this.held.length >= HEADER) {
      const length = this.held.readUIntBE(0, 3);
      if (this.held.length < HEADER + length) break;
      out.push({
        type: this.held[3] as number,
        flags: this.held[4] as number,
        id: this.held.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.held.subarray(HEADER, HEADER + length)),
      });
      this.held = this.held.subarray(HEADER + length);
    }
    return out;
  }
}

/** The header block fragment of a HEADERS frame: without its padding and priority fields (§6.2). */
export function headerFragment(f: RawFrame): Buffer {
  if (f.type !== HEADERS) return f.payload;
  let start = 0;
  let end = f.payload.length;
  if (f.flags & PADDED) {
    start = 1;
    end -= f.payload[0] ?? 0;
  }
  if (f.flags & PRIORITY) start += 5;
  return f.payload.subarray(start, Math.max(start, end));
}

/**
 * One connection's HPACK decoding context (its dynamic table lives across blocks), fed HEADERS and
 * CONTINUATION frames in order; answers the fields once END_HEADERS closes a block, else undefined.
 */
export class BlockDecoder {
  private readonly hpack = hpack.decompressor.create({ table: { maxSize: TABLE_SIZE } });
  private parts: Buffer[] = [];
  private failed: Error | undefined;

  constructor() {
    this.hpack.on("error", (err) => {
      this.failed = err;
    });
  }

  /** The fields of a block this frame completes; an Error once the context is broken. */
  feed(f: RawFrame): Array<[string, string]> | Error | undefined {
    if (f.type !== HEADERS && f.type !== CONTINUATION) return undefined;
    this.parts.push(headerFragment(f));
    if ((f.flags & END_HEADERS) === 0) return undefined;
    const block = Buffer.concat(this.parts);
    this.parts = [];
    if (this.failed) return this.failed;
    this.hpack.write(block);
    this.hpack.execute();
    const fields: Array<[string, string]> = [];
    for (let field = this.hpack.read(); field !== null; field = this.hpack.read())
      fields.push([field.name, field.value]);
    return this.failed ?? fields;
  }
}

/**
 * A header block that needs no dynamic table on either side: literals without indexing (RFC 7541 §6.2.2),
 * names from the static table where they are there, values Huffman-coded, as hpack.js encodes them.
 */
export function encodeFields(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const c = hpack.compressor.create({ table: { maxSize: TABLE_SIZE } });
  c.write(fields.map(([name, value]) => ({ name, value, incremental: false })));
  const out: Buffer[] = [];
  for (let b = c.read(); b !== null; b = c.read()) out.push(b);
  return Buffer.concat(out);
}
