// HTTP/2 error codes (RFC 9113 §7) by name, and the two ways a protocol error ends: the whole connection
// (GOAWAY) or one stream (RST_STREAM). Code elsewhere names codes; it never spells them in hex.

export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const NAMES: readonly string[] = Object.keys(ErrorCode);

/** "PROTOCOL_ERROR" for 1; codes this RFC does not define (a peer may send any) as "0x2a". */
export function errorName(code: number): string {
  return NAMES[code] ?? `0x${code.toString(16)}`;
}

/** An error that ends the whole connection with GOAWAY(code). */
export class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
