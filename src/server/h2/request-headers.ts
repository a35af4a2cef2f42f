// Request header validation, RFC 9113 §8.1.1-§8.3: what makes a request (or its trailers) malformed. A
// malformed request is one a proxy in front of us may read differently than we do (two :path fields, a
// :path after a regular field, a transfer-encoding an HTTP/1.1 hop would honour), so it is refused with
// a stream error PROTOCOL_ERROR rather than served. The rules are those x/net/http2's server applies
// (checkValidHTTP2RequestHeaders, newWriterAndRequest, processTrailerHeaders) and grpc-go's operateHeaders.
//
// Checked field by field as the HPACK decoder emits them, into a small integer: no allocation, a few
// compares per field, so the unary hot path pays next to nothing. The state is the pseudo-headers seen
// (bits) and the first problem found (a reason number in the high bits); the block's verdict is read
// from it once the block is decoded.

import { contentLength, isConnectionSpecific, isFieldName, RecentNames } from "../../h2/fields.ts";

/** Field state of a block before its first field. */
export const NO_FIELDS = 0;

const METHOD = 1;
const SCHEME = 2;
const PATH = 4;
const AUTHORITY = 8;
/** A :path of length 0 (§8.3.1: it MUST NOT be empty for http and https URIs). */
const EMPTY_PATH = 16;
/** :method CONNECT, whose pseudo-headers are another set (§8.5). */
const CONNECT = 32;
/** A regular field came: no pseudo-header may follow (§8.3). */
const REGULAR = 64;
/** Any field whose name starts with a colon: a trailer block must have none (§8.1). */
const PSEUDO = 128;

const REASON_SHIFT = 8;

// Why a block is malformed: an index into REASONS, kept in the state's high bits (the first one wins).
const BAD_NAME = 1;
const UNKNOWN_PSEUDO = 2;
const PSEUDO_AFTER_REGULAR = 3;
const DUPLICATE_PSEUDO = 4;
const CONNECTION_SPECIFIC = 5;
const BAD_TE = 6;
const BAD_CONTENT_LENGTH = 7;
const BAD_PATH = 8;

const REASONS: readonly string[] = [
  "",
  "field name with an uppercase letter, a colon or a character outside visible ASCII (§8.2.1)",
  "unknown or response pseudo-header in a request (§8.3)",
  "pseudo-header after a regular field (§8.3)",
  "duplicated pseudo-header (§8.3.1)",
  "connection-specific header field (§8.2.2)",
  "te other than trailers (§8.2.2)",
  "content-length not a single decimal number (§8.1.1)",
  ":path with whitespace, a control character or no leading / (§8.2.1, §8.3.1)",
];

function withReason(state: number, reason: number): number {
  return state >>> REASON_SHIFT !== 0 ? state : state | (reason << REASON_SHIFT);
}

/** The state after one more field of a request (or trailer) block. */
export function requestField(state: number, name: string, value: string): number {
  if (name.charCodeAt(0) === 0x3a) return pseudoField(state | PSEUDO, name, value);
  const reason = regularProblem(name, value);
  return reason === 0 ? state | REGULAR : withReason(state | REGULAR, reason);
}

function pseudoField(state: number, name: string, value: string): number {
  if (state & REGULAR) return withReason(state, PSEUDO_AFTER_REGULAR);
  let bit: number;
  switch (name) {
    case ":method":
      bit = METHOD;
      if (value === "CONNECT") state |= CONNECT;
      break;
    case ":scheme":
      bit = SCHEME;
      break;
    case ":path":
      bit = PATH;
      if (value.length === 0) state |= EMPTY_PATH;
      else if (!isExactPath(value)) state = withReason(state, BAD_PATH);
      break;
    case ":authority":
      bit = AUTHORITY;
      break;
    default:
      // :status (a response's), :protocol (RFC 8441; we do not send SETTINGS_ENABLE_CONNECT_PROTOCOL), any other.
      return withReason(state, UNKNOWN_PSEUDO);
  }
  return state & bit ? withReason(state, DUPLICATE_PSEUDO) : state | bit;
}

// The last :path found exact: a client sends the same few, so most are found by one compare.
let lastPath = "";

/**
 * RFC 9113 §8.3.1: an http(s) :path starts with "/" (or is "*", for OPTIONS); §8.2.1 and RFC 3986 leave
 * no room for whitespace, control characters, DEL or anything past ASCII in it (a request target is
 * percent-encoded). A :path a proxy would read one way (trimmed, cut at a tab) and we another is the
 * smuggling the rule is there against; x/net/http2 and nghttp2 refuse the same characters.
 */
function isExactPath(path: string): boolean {
  if (path === lastPath) return true;
  if (path !== "*" && path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  lastPath = path;
  return true;
}

// Regular names found valid lately: most are found by identity, not by a walk over their characters.
const known = new RecentNames(8);

/** A regular field's problem (a reason), or 0. */
function regularProblem(name: string, value: string): number {
  // The two whose value matters are checked each time; their names are valid.
  if (name === "te") return value === "trailers" ? 0 : BAD_TE; // §8.2.2; x/net compares it exactly
  if (name === "content-length") return contentLength(value) < 0 ? BAD_CONTENT_LENGTH : 0;
  if (known.has(name)) return 0;
  if (!isFieldName(name)) return BAD_NAME;
  if (isConnectionSpecific(name)) return CONNECTION_SPECIFIC;
  known.add(name);
  return 0;
}

/** The state once a second content-length came with another value (§8.1.1: the body has one length). */
export function conflictingContentLength(state: number): number {
  return withReason(state, BAD_CONTENT_LENGTH);
}

/** Why a request block is malformed, or undefined when it is not. */
export function requestProblem(state: number): string | undefined {
  const reason = state >>> REASON_SHIFT;
  if (reason !== 0) return REASONS[reason];
  if (state & CONNECT) {
    // §8.5: CONNECT names only an :authority; :scheme and :path MUST be omitted.
    return (state & (SCHEME | PATH)) !== 0 || (state & AUTHORITY) === 0
      ? "CONNECT with :scheme or :path, or without :authority (§8.5)"
      : undefined;
  }
  if ((state & METHOD) === 0) return "no :method (§8.3.1)";
  if ((state & SCHEME) === 0) return "no :scheme (§8.3.1)";
  if ((state & PATH) === 0 || state & EMPTY_PATH) return "no :path, or an empty one (§8.3.1)";
  return undefined;
}

/** Why a trailer block is malformed, or undefined when it is not (§8.1: trailers carry no pseudo-header). */
export function trailersProblem(state: number): string | undefined {
  if (state & PSEUDO) return "pseudo-header in trailers (§8.1)";
  const reason = state >>> REASON_SHIFT;
  return reason === 0 ? undefined : REASONS[reason];
}

/** The block had a pseudo-header: on a stream already used, it is a new request, not trailers. */
export function hasPseudo(state: number): boolean {
  return (state & PSEUDO) !== 0;
}
