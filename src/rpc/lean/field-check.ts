// RFC 9113 §8.1.1, §8.2 and §8.3 for the fields of one response header block, checked while the HPACK
// decoder emits them: no list of fields is kept, nothing is allocated unless a block is malformed. What
// makes a block malformed follows nghttp2's response checks (a 3-digit :status that is not 101, no other
// pseudo-header, pseudo-headers first and once, lower-case names, no connection-specific fields); the
// connection then resets the stream with PROTOCOL_ERROR and the call fails INTERNAL, as grpc-go does.

import { isConnectionSpecific, isFieldName, isFieldValue, RecentNames } from "../../h2/fields.ts";

/** What one header block's fields said about its shape; `reset()` before each block. */
export class FieldCheck {
  /** Why the block is malformed, or undefined while it is well-formed. */
  problem: string | undefined;
  /** A :status field was seen (it is valid: three digits, not 101). */
  status = false;
  private regular = false;
  /** Names that passed: a server's usual extra fields are found by identity. */
  private readonly okNames = new RecentNames(4);

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
    if (this.okNames.has(name)) return;
    if (!isFieldName(name)) this.problem ??= `invalid field name "${name}"`;
    // §8.2.2: te is let through only as "trailers", so it is checked each time and never remembered.
    else if (name === "te") {
      if (value !== "trailers") this.problem ??= "connection-specific field te";
    } else if (isConnectionSpecific(name)) this.problem ??= `connection-specific field ${name}`;
    else this.okNames.add(name);
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
