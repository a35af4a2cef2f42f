// A chunked request body (RFC 9112 §7.1) decoded as it arrives, each data range handed on as a view of the
// read buffer (nothing is copied or kept here). Strict where parsers have been made to disagree: the size
// is hex digits alone (no sign, no whitespace, at most 8: Go's net/http refuses longer ones), an extension
// after ";" is read past but its line is bounded (4 KiB, as Go's maxLineLength: CVE-2024-22019 made
// Node read unbounded extension bytes), every line ends in CRLF (a bare CR or LF is refused), the CRLF
// after each chunk's data must be there, and the trailer section is bounded like a head and then ignored.

import type { HeadError } from "./head.ts";

const CR = 0x0d;
const LF = 0x0a;
const MAX_LINE = 4096;
const MAX_SIZE_DIGITS = 8;

enum State {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  Done,
}

const bad = (reason: string): HeadError => ({ status: 400, reason });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

export class ChunkedReader {
  private state = State.Size;
  /** The chunk's size as read, then what is left of its data. */
  private size = 0;
  private digits = 0;
  private line = 0;
  private trailerBytes = 0;

  constructor(private readonly maxTrailerBytes: number) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Reads buf[from, to), handing each data range to `data`: the index just past the body's end once it
   * came (bytes after it are the next request's), `to` while it goes on, or why the body is refused.
   */
  push(
    buf: Buffer,
    from: number,
    to: number,
    data: (buf: Buffer, start: number, end: number) => void,
  ): number | HeadError {
    let i = from;
    while (i < to) {
      if (this.state === State.Data) {
        const n = Math.min(this.size, to - i);
        data(buf, i, i + n);
        i += n;
        this.size -= n;
        if (this.size === 0) this.state = State.DataCr;
        continue;
      }
      const err = this.step(buf[i] as number);
      i++;
      if (err) return err;
      if (this.state === State.Done) return i;
    }
    return to;
  }

  /** One byte of a size line, the CRLF after data, or the trailer section. */
  private step(c: number): HeadError | undefined {
    switch (this.state) {
      case State.Size: {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.digits > MAX_SIZE_DIGITS) return bad("chunk size too long");
          this.size = this.size * 16 + v;
          return undefined;
        }
        if (this.digits === 0) return bad("chunk size is not hex");
        if (c === CR) this.state = State.SizeLf;
        else if (c === 0x3b /* ; */) this.state = State.Extension;
        else return bad("chunk size followed by neither CRLF nor an extension");
        return undefined;
      }
      case State.Extension:
        if (++this.line + this.digits > MAX_LINE) return bad("chunk line too long");
        if (c === LF) return bad("bare LF in a chunk line");
        if (c === CR) this.state = State.SizeLf;
        return undefined;
      case State.SizeLf:
        if (c !== LF) return bad("bare CR in a chunk line");
        this.digits = 0;
        this.line = 0;
        // The last chunk (size 0) is followed by the trailer section, and its empty line.
        this.state = this.size === 0 ? State.Trailer : State.Data;
        return undefined;
      case State.DataCr:
        if (c !== CR) return bad("chunk data not followed by CRLF");
        this.state = State.DataLf;
        return undefined;
      case State.DataLf:
        if (c !== LF) return bad("chunk data not followed by CRLF");
        this.state = State.Size;
        return undefined;
      case State.Trailer:
        if (++this.trailerBytes > this.maxTrailerBytes) return { status: 431, reason: "trailer section too large" };
        if (c === LF) return bad("bare LF in the trailer section");
        if (c === CR) this.state = State.TrailerLf;
        else this.line++;
        return undefined;
      case State.TrailerLf:
        if (c !== LF) return bad("bare CR in the trailer section");
        this.state = this.line === 0 ? State.Done : State.Trailer;
        this.line = 0;
        return undefined;
    }
    return bad("bytes after the body's end");
  }
}
