// DATA that waits for flow-control window on one stream, as grpc-go's controlbuf keeps a stream's data
// frames and x/net/http2 its per-stream write queue: pieces in order, handed to the writer as DATA frames
// of at most the peer's frame size within the stream's and the connection's windows. A frame may span
// pieces (a prefix and the message after it, say); pieces go out as views, never copied into a frame of
// their own, so whoever queues one must not change it afterwards.
import type { OutFlow, StreamFlow } from "./flow.ts";
import { Flag, FRAME_HEADER, FrameType, writeFrameHeader } from "./frame.ts";
import type { Writer } from "./writer.ts";

export class SendQueue {
  private readonly pieces: Buffer[] = [];
  /** Bytes of pieces[0] already sent. */
  private offset = 0;
  /** Bytes queued and not yet sent. */
  bytes = 0;
  /** END_STREAM is on the wire. */
  endSent = false;

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.bytes += piece.length;
  }

  /** Nothing is sent from here any more (the stream is gone). */
  clear(): void {
    this.pieces.length = 0;
    this.offset = 0;
    this.bytes = 0;
  }

  /**
   * Sends what both windows allow, in frames of at most maxFrame; returns the bytes sent. With `end`,
   * END_STREAM goes on the last byte, or alone in an empty DATA frame when nothing is left to send.
   */
  flush(w: Writer, id: number, stream: StreamFlow, connection: OutFlow, maxFrame: number, end: boolean): number {
    if (this.endSent) return 0;
    let sent = 0;
    while (this.bytes > 0) {
      const n = Math.min(this.bytes, stream.sendWindow, connection.avail, maxFrame);
      if (n <= 0) return sent;
      const last = end && n === this.bytes;
      const at = w.reserve(FRAME_HEADER);
      writeFrameHeader(w.slab, at, n, FrameType.DATA, last ? Flag.END_STREAM : 0, id);
      this.take(w, n);
      stream.sendWindow -= n;
      connection.avail -= n;
      sent += n;
      if (last) this.endSent = true;
    }
    if (end && !this.endSent) {
      const at = w.reserve(FRAME_HEADER);
      writeFrameHeader(w.slab, at, 0, FrameType.DATA, Flag.END_STREAM, id);
      this.endSent = true;
    }
    return sent;
  }

  /** Appends the next n queued bytes to the writer, as views of the pieces. */
  private take(w: Writer, n: number): void {
    const pieces = this.pieces;
    this.bytes -= n;
    for (let left = n; left > 0; ) {
      const piece = pieces[0] as Buffer;
      const from = this.offset;
      const k = Math.min(piece.length - from, left);
      w.append(from === 0 && k === piece.length ? piece : piece.subarray(from, from + k), false);
      left -= k;
      if (from + k === piece.length) {
        pieces.shift();
        this.offset = 0;
      } else this.offset = from + k;
    }
  }
}
