// What both ends of our HTTP/2 code do the same way: a header block spread over HEADERS and CONTINUATION
// frames (RFC 9113 §6.10), read or written, and a SETTINGS frame's validated entries (§6.5). Protocol
// violations are thrown as ConnectionError, which each connection turns into GOAWAY.

import { ConnectionError, ErrorCode } from "./errors.ts";
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, Flag, FRAME_HEADER, FrameType, writeFrameHeader } from "./frame.ts";
import type { Writer } from "./writer.ts";

/**
 * A complete header block: its bytes are block[start, end); flags are those of its HEADERS frame.
 * streamError: a code the stream must be reset with once the block is decoded (0 if none).
 */
type BlockSink = (id: number, flags: number, block: Buffer, start: number, end: number, streamError: number) => void;

/**
 * Gathers one header block at a time; while one is open no other frame may come (§6.10).
 * Bounded by bytes and by frames: empty CONTINUATIONs add no bytes, yet each costs a frame's work
 * (CVE-2024-27316). Like nghttp2's max_continuations we count them; our count is the frames needed to
 * carry maxBytes at the smallest frame size a peer may use (16 KiB), so no honest block is refused.
 */
export class HeaderBlocks {
  /** The stream whose block is still open, 0 if none. */
  open = 0;
  private flags = 0;
  private streamError = 0;
  private parts: Buffer[] = [];
  private bytes = 0;
  private continuations = 0;
  private readonly maxContinuations: number;

  constructor(
    /** Larger compressed blocks are an attack (CONTINUATION flood), not headers. */
    private readonly maxBytes: number,
    private readonly sink: BlockSink,
  ) {
    this.maxContinuations = Math.ceil(maxBytes / DEFAULT_MAX_FRAME_SIZE);
  }

  /** Throws unless `type` may come now: a CONTINUATION of the open block, or anything when none is open. */
  check(type: number, id: number): void {
    if (this.open !== 0 && (type !== FrameType.CONTINUATION || id !== this.open)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "header block interrupted by another frame");
    }
  }

  /** A HEADERS frame without END_HEADERS: its fragment (padding and priority removed) opens a block. */
  begin(id: number, flags: number, fragment: Buffer, streamError: number): void {
    this.open = id;
    this.flags = flags;
    this.streamError = streamError;
    this.parts = [fragment];
    this.bytes = fragment.length;
    this.continuations = 0;
  }

  continuation(flags: number, id: number, payload: Buffer): void {
    if (this.open === 0 || id !== this.open) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    }
    this.bytes += payload.length;
    if (this.bytes > this.maxBytes) {
      this.drop();
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `header block over ${this.maxBytes} bytes`);
    }
    if (++this.continuations > this.maxContinuations) {
      this.drop();
      throw new ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        `header block over ${this.maxContinuations} CONTINUATIONs`,
      );
    }
    this.parts.push(payload);
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.parts, this.bytes);
    this.drop();
    this.sink(id, this.flags, block, 0, block.length, this.streamError);
  }

  /** Forgets the open block, so a refused one is freed now rather than with the connection. */
  private drop(): void {
    this.open = 0;
    this.parts = [];
    this.bytes = 0;
  }
}

/**
 * Writes a header block: one HEADERS frame when it fits the peer's frame size, else HEADERS then
 * CONTINUATIONs with nothing in between. endStream goes on the HEADERS frame, as §8.1 wants.
 */
export function writeHeaderBlock(w: Writer, id: number, block: Buffer, maxFrame: number, endStream: boolean): void {
  const end = endStream ? Flag.END_STREAM : 0;
  if (block.length <= maxFrame) {
    const at = w.reserve(FRAME_HEADER + block.length);
    writeFrameHeader(w.slab, at, block.length, FrameType.HEADERS, Flag.END_HEADERS | end, id);
    w.slab.set(block, at + FRAME_HEADER);
    return;
  }
  for (let off = 0; off < block.length; off += maxFrame) {
    const first = off === 0;
    const flags = (off + maxFrame >= block.length ? Flag.END_HEADERS : 0) | (first ? end : 0);
    const type = first ? FrameType.HEADERS : FrameType.CONTINUATION;
    w.append(encodeFrame(type, flags, id, block.subarray(off, off + maxFrame)));
  }
}
