// The response messages of a call whose caller wants the outcome only (a load generator's): each prefix is
// checked as MessageDecoder checks it (flag, size limit), the messages are counted, and no body is
// gathered. A 64 KiB response spread over DATA frames thus costs no buffer and no copy, where
// MessageDecoder would join its pieces into a Buffer nobody reads.
import { MESSAGE_HEADER_BYTES, prefixError } from "../message.ts";
import type { RpcError } from "../status.ts";

export class MessageCount {
  /** Complete messages so far. */
  count = 0;
  // Prefix bytes of the current message seen (0..5), its length as far as read, and body bytes still due.
  private headFill = 0;
  private flag = 0;
  private length = 0;
  private left = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Whether the stream stopped inside a message (prefix or body). */
  get partial(): boolean {
    return this.headFill > 0;
  }

  /** Reads buf[start, end); an error (bad flag, too large) ends the call. */
  read(buf: Buffer, start: number, end: number): RpcError | undefined {
    let pos = start;
    while (pos < end) {
      if (this.headFill < MESSAGE_HEADER_BYTES) {
        const b = buf[pos++] as number;
        if (this.headFill === 0) {
          this.flag = b;
          this.length = 0;
        } else this.length = this.length * 256 + b;
        if (++this.headFill < MESSAGE_HEADER_BYTES) continue;
        // The lean client negotiates no compression, so a compressed message is an error (as in MessageDecoder).
        const err = prefixError(this.flag, this.length, this.maxMessageBytes, false);
        if (err) return err;
        this.left = this.length;
      }
      const n = Math.min(end - pos, this.left);
      this.left -= n;
      pos += n;
      if (this.left === 0) {
        this.headFill = 0;
        this.count++;
      }
    }
    return undefined;
  }
}
