// Where a request head ends, found as its bytes arrive, in one pass over each byte however the client
// splits them (a slow client's one byte per packet costs one step each, never a rescan). Every line must
// end in CRLF: a bare CR or a bare LF is refused at once (RFC 9112 §2.2; llhttp's strict mode and Go's
// net/http do so too), so no second parser can see a line end where this one saw none. The head's bytes
// are bounded as they come (the server's header-list cap, ../h2/core.ts's MAX_HEADER_LIST, as Go's
// MaxHeaderBytes and llhttp's max header size bound theirs), and so are its lines (./head.ts's MAX_FIELDS).
// The method is checked as it comes, so bytes that are no request at all are refused at their first, not
// after the head's whole budget (llhttp does the same).
import type { HeadError } from "./head.ts";
import { MAX_FIELDS } from "./head.ts";
import { isTokenChar } from "./preface.ts";

const CR = 0x0d;
const LF = 0x0a;

export class HeadScanner {
  /** Bytes of this head so far, line ends and empty lines before the request line counted. */
  private bytes = 0;
  private lines = 0;
  private lineLength = 0;
  private afterCr = false;
  /** Still in the request line's method. */
  private inMethod = true;

  constructor(private readonly maxBytes: number) {}

  /** A new head begins. */
  reset(): void {
    this.bytes = 0;
    this.lines = 0;
    this.lineLength = 0;
    this.afterCr = false;
    this.inMethod = true;
  }

  /** Whether any byte of a head came since reset (an idle keep-alive connection has none). */
  get started(): boolean {
    return this.bytes > 0;
  }

  /**
   * Scans buf[from, to): the index just past the empty line that ends the head, -1 if it has not come,
   * or why the head is refused.
   */
  scan(buf: Buffer, from: number, to: number): number | HeadError {
    for (let i = from; i < to; i++) {
      const c = buf[i] as number;
      if (this.afterCr) {
        if (c !== LF) return { status: 400, reason: "bare CR in the request head" };
        this.afterCr = false;
        if (this.lineLength === 0) {
          // An empty line: the end of the head, or one of the empty lines a server skips before a request (§2.2).
          if (this.lines > 0) return i + 1;
          continue;
        }
        this.lineLength = 0;
        this.inMethod = false;
        if (++this.lines > MAX_FIELDS + 1) return { status: 431, reason: `more than ${MAX_FIELDS} header fields` };
        continue;
      }
      if (c === LF) return { status: 400, reason: "bare LF in the request head" };
      if (c === CR) {
        this.afterCr = true;
      } else {
        if (this.inMethod) {
          if (c === 0x20) this.inMethod = false;
          else if (!isTokenChar(c)) return { status: 400, reason: "malformed method" };
        }
        this.lineLength++;
      }
      if (++this.bytes > this.maxBytes)
        return { status: 431, reason: `request head larger than ${this.maxBytes} bytes` };
    }
    return -1;
  }
}
