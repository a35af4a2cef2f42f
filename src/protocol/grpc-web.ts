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
