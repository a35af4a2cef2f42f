// The field rules of RFC 9113 §8.2 that hold in requests and responses alike, for the checks each side
// makes of what its peer sends (server/h2/request-headers.ts, rpc/lean/field-check.ts). Pure and
// allocation-free: they run on the hot path, once per field the HPACK decoder emits.

const COLON = 0x3a;

/** §8.2.1: a field name is visible ASCII without upper case; a colon only opens a pseudo-header's name. */
export function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || (c >= 0x41 && c <= 0x5a) || c === COLON) return false;
  }
  return true;
}

/** §8.2.1: no NUL, CR or LF anywhere in a value, no space or tab at either end. */
export function isFieldValue(v: string): boolean {
  const n = v.length;
  if (n === 0) return true;
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/**
 * §8.2.2: the fields of HTTP/1.1 connection management, which HTTP/2 forbids (told apart by length
 * first). `te` is the exception the caller checks: allowed, but only as "trailers".
 */
export function isConnectionSpecific(name: string): boolean {
  switch (name.length) {
    case 7:
      return name === "upgrade";
    case 10:
      return name === "connection" || name === "keep-alive";
    case 16:
      return name === "proxy-connection";
    case 17:
      return name === "transfer-encoding";
    default:
      return false;
  }
}

/** A content-length value as a number, or -1 when it is not 1 to 15 decimal digits (x/net's 63-bit parse). */
export function contentLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Field names found valid lately. A peer sends the same few names on every block, and they come as the
 * same string objects (HPACK's static table, the decoder's cache of literals), so most are found here by
 * identity, a pointer compare, instead of a walk over their characters.
 */
export class RecentNames {
  private readonly names: string[];
  private next = 0;

  constructor(size: number) {
    this.names = new Array<string>(size).fill("");
  }

  has(name: string): boolean {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return true;
    return false;
  }

  add(name: string): void {
    this.names[this.next] = name;
    this.next = (this.next + 1) % this.names.length;
  }
}
