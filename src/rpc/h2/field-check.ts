// RFC 9113 §8.1.1, §8.2 and §8.3 for the fields of one response header block, checked while the HPACK
// decoder emits them: no list of fields is kept, nothing is allocated unless a block is malformed. What
// makes a block malformed follows nghttp2's response checks (a 3-digit :status that is not 101, no other
// pseudo-header, pseudo-headers first and once, lower-case names, no connection-specific fields); the
// connection then resets the stream with PROTOCOL_ERROR and the call fails INTERNAL, as grpc-go does.

/** What one header block's fields said about its shape; `reset()` before each block. */
export class FieldCheck {
  /** Why the block is malformed, or undefined while it is well-formed. */
  problem: string | undefined;
  /** A :status field was seen (it is valid: three digits, not 101). */
  status = false;
  private regular = false;
  // Names that passed, by identity first: the HPACK decoder hands out the same string for a name it
  // has seen (table entry or remembered literal), so a server's usual extra fields cost one compare.
  private readonly okNames: string[] = ["", "", "", ""];
  private nextOk = 0;

  reset(): void {
    this.problem = undefined;
    this.status = false;
    this.regular = false;
  }

  /** The :status field. */
  onStatus(value: string): void {
    if (this.regular) this.problem ??= "pseudo-header :status after a regular field";
    else if (this.status) this.problem ??= "more than one :status";
    else if (!isStatusCode(value)) this.problem ??= `invalid :status "${value}"`;
    this.status = true;
    this.value(value);
  }

  /** A regular field the client knows by name (content-type, grpc-*): its name needs no check. */
  onKnown(value: string): void {
    this.regular = true;
    this.value(value);
  }

  /** Any other field: its name is checked too. */
  onOther(name: string, value: string): void {
    if (name.charCodeAt(0) === COLON) {
      // §8.3: responses carry :status only; request or unknown pseudo-headers make them malformed.
      this.problem ??= `pseudo-header ${name} in a response`;
      return;
    }
    this.regular = true;
    this.value(value);
    const ok = this.okNames;
    if (name === ok[0] || name === ok[1] || name === ok[2] || name === ok[3]) return;
    if (!isFieldName(name)) this.problem ??= `invalid field name "${name}"`;
    else if (isConnectionSpecific(name, value)) this.problem ??= `connection-specific field ${name}`;
    else if (name !== "te") {
      ok[this.nextOk] = name;
      this.nextOk = (this.nextOk + 1) & 3;
    }
  }

  private value(value: string): void {
    if (!isFieldValue(value)) this.problem ??= "invalid field value";
  }
}

const COLON = 0x3a;

/** §8.3.2 and RFC 9110 §15: three digits; 101 is not allowed in HTTP/2 (§8.6). */
function isStatusCode(v: string): boolean {
  if (v.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return v !== "101";
}

/** §8.2.1: visible ASCII without upper case; the colon only opens pseudo-headers, handled before. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || (c >= 0x41 && c <= 0x5a) || c === COLON) return false;
  }
  return true;
}

/** §8.2.1: no NUL, CR or LF anywhere, no space or tab at either end. */
function isFieldValue(v: string): boolean {
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

/** §8.2.2: fields of HTTP/1.1 connection management; TE is let through only as "trailers". */
function isConnectionSpecific(name: string, value: string): boolean {
  switch (name) {
    case "connection":
    case "keep-alive":
    case "proxy-connection":
    case "transfer-encoding":
    case "upgrade":
      return true;
    case "te":
      return value !== "trailers";
    default:
      return false;
  }
}
