// gRPC-Web's own pieces (PROTOCOL-WEB.md in grpc/grpc): the trailers sent as the body's last envelope
// (flag 0x80, HTTP/1 header lines), and text mode's base64 body, which may arrive cut anywhere and, from
// a server that encodes each write on its own, as several padded base64 runs one after another.
import { envelope, Flags } from "./envelope.ts";

type Fields = readonly (readonly [string, string])[];

/** The trailers envelope: "name: value\r\n" lines, names lower-case (the spec asks for it). */
export function trailersFrame(fields: Fields): Buffer {
  let text = "";
  for (const [name, value] of fields) text += `${name.toLowerCase()}: ${value}\r\n`;
  return envelope(Flags.WEB_TRAILERS, Buffer.from(text, "latin1"));
}

/** A trailers envelope's body as fields (names lower-cased); a line without a colon is skipped. */
export function parseTrailers(body: Uint8Array): [string, string][] {
  const out: [string, string][] = [];
  for (const line of Buffer.from(body).toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const ZERO = 0x30;

/**
 * Whether a trailers envelope's body, data[start, end), says OK and nothing a status needs besides
 * (grpc-status 0 once, no grpc-message): the usual end of a call, read in place without allocating. Any
 * other body is parseTrailers' to read, so both agree: lines end in CRLF, names match in any case, values
 * are trimmed.
 */
export function trailersSayOk(data: Uint8Array, start: number, end: number): boolean {
  let ok = false;
  let line = start;
  while (line < end) {
    let eol = line;
    while (eol < end && !(data[eol] === CR && data[eol + 1] === LF)) eol++;
    let colon = line;
    while (colon < eol && data[colon] !== COLON) colon++;
    if (colon < eol && colon > line) {
      let ns = line;
      let ne = colon;
      while (ns < ne && isBlank(data[ns] as number)) ns++;
      while (ne > ns && isBlank(data[ne - 1] as number)) ne--;
      let vs = colon + 1;
      let ve = eol;
      while (vs < ve && isBlank(data[vs] as number)) vs++;
      while (ve > vs && isBlank(data[ve - 1] as number)) ve--;
      if (nameIs(data, ns, ne, "grpc-status")) {
        if (ok || ve - vs !== 1 || data[vs] !== ZERO) return false;
        ok = true;
      } else if (ve > vs && nameIs(data, ns, ne, "grpc-message")) return false;
    }
    line = eol + 2;
  }
  return ok;
}

/** What String.prototype.trim takes off a latin1 line: space, tab and the other ASCII blanks, no-break space. */
function isBlank(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0;
}

/** data[start, end) is `lower` (lower-case ASCII) in any case. */
function nameIs(data: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const b = data[start + i] as number;
    const want = lower.charCodeAt(i);
    if (b !== want && !(b >= 0x41 && b <= 0x5a && (b | 0x20) === want)) return false;
  }
  return true;
}

/**
 * Decodes base64 text as it arrives: whole 4-character groups are decoded, a partial group waits for
 * the rest. A group that ends in padding ends one base64 run; the next run starts with the next group.
 */
export class Base64Reader {
  private pending = "";

  /** The bytes the chunk completes; undefined when it holds a character that is not base64. */
  push(chunk: Buffer, start: number, end: number): Buffer | undefined {
    const text = this.pending + chunk.toString("latin1", start, end);
    const whole = text.length - (text.length % 4);
    this.pending = text.slice(whole);
    if (!/^[A-Za-z0-9+/=]*$/.test(text)) return undefined;
    const parts: Buffer[] = [];
    for (let i = 0; i < whole; ) {
      // Decode up to the end of the next padded group (or all that is whole).
      let j = text.indexOf("=", i);
      j = j < 0 || j >= whole ? whole : j - (j % 4) + 4;
      parts.push(Buffer.from(text.slice(i, j), "base64"));
      i = j;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** Characters of an unfinished group: a body that ends with some is cut short. */
  get buffered(): number {
    return this.pending.length;
  }
}
