// An HTTP/1.1 response as bytes arrive (RFC 9112): the status line and header fields, then the body by
// Content-Length, chunked transfer coding, or (neither) until the connection closes. Everything a peer
// could make us hold is bounded before it is kept: the head (64 KiB), a chunk-size line, trailer fields.
// A response that two parsers could read two ways is refused, as a smuggling defence (§6.3: both
// Transfer-Encoding and Content-Length, two different Content-Lengths, a coding other than chunked).
import { contentLength } from "../../h2/fields.ts";

const MAX_HEAD = 64 * 1024;
const MAX_LINE = 4 * 1024;
const CRLF = Buffer.from("\r\n");

interface ResponseSink {
  /** The head: status and fields (names lower-cased, in order). */
  head(status: number, fields: [string, string][]): void;
  /** A piece of the body, buf[start, end) (a view of the socket's read). */
  body(buf: Buffer, start: number, end: number): void;
  /** The body is whole. `close`: the server will close the connection (or the body ran to its close). */
  end(close: boolean): void;
}

type State = "head" | "length" | "chunk-size" | "chunk" | "chunk-end" | "trailers" | "until-close" | "done";

export class ResponseParser {
  private state: State = "head";
  private pending: Buffer = Buffer.alloc(0);
  private left = 0;
  private close = false;
  /** Why the response is not one we read (the connection must go), once it is known. */
  problem: string | undefined;

  constructor(private readonly sink: ResponseSink) {}

  get done(): boolean {
    return this.state === "done";
  }

  /** The connection closed: ends a body that runs to the close; anything else was cut short. */
  closed(): string | undefined {
    if (this.state === "until-close") {
      this.state = "done";
      this.sink.end(true);
      return undefined;
    }
    return this.state === "done" ? undefined : "connection closed inside the response";
  }

  /** Feeds bytes; what comes after the response's end is a problem (no other response was asked for). */
  push(chunk: Buffer): void {
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    let pos = 0;
    while (pos < buf.length && this.problem === undefined && this.state !== "done") {
      const next = this.step(buf, pos);
      if (next < 0) {
        // A line is not whole yet: keep it, within its bound.
        this.pending = buf.subarray(pos);
        const bound = this.state === "head" || this.state === "trailers" ? MAX_HEAD : MAX_LINE;
        if (this.pending.length > bound)
          this.problem = `response ${this.state === "head" ? "head" : "line"} over ${bound} bytes`;
        return;
      }
      pos = next;
    }
    if (this.state === "done" && pos < buf.length) this.problem = "bytes after the response (none was asked for)";
  }

  private step(buf: Buffer, pos: number): number {
    switch (this.state) {
      case "head":
        return this.readHead(buf, pos);
      case "length":
      case "chunk":
      case "until-close": {
        const n = this.state === "until-close" ? buf.length - pos : Math.min(this.left, buf.length - pos);
        if (n > 0) this.sink.body(buf, pos, pos + n);
        this.left -= n;
        if (this.state === "length" && this.left === 0) this.finish();
        if (this.state === "chunk" && this.left === 0) this.state = "chunk-end";
        return pos + n;
      }
      case "chunk-end": {
        if (buf.length - pos < 2) return -1;
        if (buf[pos] !== 0x0d || buf[pos + 1] !== 0x0a) this.problem = "chunk not followed by CRLF";
        this.state = "chunk-size";
        return pos + 2;
      }
      case "chunk-size":
        return this.readChunkSize(buf, pos);
      case "trailers": {
        const end = buf.indexOf(CRLF, pos);
        if (end < 0) return -1;
        if (end === pos) this.finish(); // trailer fields are read past: gRPC-Web's trailers are in the body
        return end + 2;
      }
      default:
        return buf.length;
    }
  }

  private readHead(buf: Buffer, pos: number): number {
    const end = buf.indexOf("\r\n\r\n", pos);
    if (end < 0) return -1;
    const lines = buf.toString("latin1", pos, end).split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
    if (m === null) {
      this.problem = `not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? "").slice(0, 40))}`;
      return end + 4;
    }
    const status = Number(m[2]);
    const fields: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) {
        this.problem = "malformed response header field";
        return end + 4;
      }
      fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
    }
    // 1xx: informational, another head follows.
    if (status >= 100 && status < 200) return end + 4;
    this.framing(fields, m[1] === "0", status);
    if (this.problem === undefined) this.sink.head(status, fields);
    if (this.state === "length" && this.left === 0) this.finish();
    return end + 4;
  }

  /** How the body is delimited (RFC 9112 §6.3), refusing what is ambiguous. */
  private framing(fields: [string, string][], http10: boolean, status: number): void {
    const te = fields.filter(([k]) => k === "transfer-encoding").map(([, v]) => v.toLowerCase());
    const cl = [...new Set(fields.filter(([k]) => k === "content-length").map(([, v]) => v))];
    const connection = fields.find(([k]) => k === "connection")?.[1].toLowerCase() ?? "";
    this.close = http10 ? !connection.includes("keep-alive") : connection.includes("close");
    if (te.length > 0 && cl.length > 0) {
      this.problem = "response with both Transfer-Encoding and Content-Length";
      return;
    }
    if (cl.length > 1) {
      this.problem = "response with conflicting Content-Length fields";
      return;
    }
    if (status === 204 || status === 304) {
      this.state = "length";
      this.left = 0;
      return;
    }
    if (te.length > 0) {
      if (te.join(",").replace(/\s/g, "") !== "chunked") {
        this.problem = `unsupported Transfer-Encoding "${te.join(", ")}"`;
        return;
      }
      this.state = "chunk-size";
      return;
    }
    if (cl.length === 1) {
      const n = contentLength(cl[0] as string);
      if (n < 0) {
        this.problem = "Content-Length is not a number";
        return;
      }
      this.state = "length";
      this.left = n;
      return;
    }
    this.state = "until-close";
    this.close = true;
  }

  private readChunkSize(buf: Buffer, pos: number): number {
    const end = buf.indexOf(CRLF, pos);
    if (end < 0) return -1;
    const text = buf.toString("latin1", pos, end).split(";")[0]?.trim() ?? "";
    if (!/^[0-9a-fA-F]{1,8}$/.test(text)) {
      this.problem = "malformed chunk size";
      return end + 2;
    }
    this.left = Number.parseInt(text, 16);
    this.state = this.left === 0 ? "trailers" : "chunk";
    return end + 2;
  }

  private finish(): void {
    this.state = "done";
    this.sink.end(this.close);
  }
}
