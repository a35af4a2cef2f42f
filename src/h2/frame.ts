// HTTP/2 frame layout (RFC 9113 §4): the 9-byte frame header, and a parser that cuts a byte stream into
// frames. It knows nothing of streams or settings; connection.ts gives the frames their meaning.

export const FRAME_HEADER = 9;
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_ALLOWED_FRAME_SIZE = 16_777_215;
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 0x7fffffff;

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

export function writeFrameHeader(
  buf: Uint8Array,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  buf[offset] = (length >>> 16) & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf[offset + 5] = (streamId >>> 24) & 0x7f;
  buf[offset + 6] = (streamId >>> 16) & 0xff;
  buf[offset + 7] = (streamId >>> 8) & 0xff;
  buf[offset + 8] = streamId & 0xff;
}

/** A whole frame with its payload: for control frames, which are rare and small. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER);
  return out;
}

const EMPTY = new Uint8Array(0);

export function settingsFrame(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment & MAX_WINDOW, 0);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}

export function goawayFrame(lastStreamId: number, code: number, debug = ""): Buffer {
  const text = Buffer.from(debug);
  const payload = Buffer.allocUnsafe(8 + text.length);
  payload.writeUInt32BE(lastStreamId & MAX_WINDOW, 0);
  payload.writeUInt32BE(code, 4);
  text.copy(payload, 8);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

/** One frame: its payload is buf[start, end). A range, not a view: most frames need no Buffer of their own. */
type FrameSink = (type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number) => void;

/**
 * Cuts incoming bytes into frames. A frame split over reads is kept until complete; frames that arrive
 * whole are handed over as ranges of the read buffer, without copying.
 */
export class FrameParser {
  private rest: Buffer | undefined;

  /** maxFrameSize: the SETTINGS_MAX_FRAME_SIZE we advertised; longer frames are a FRAME_SIZE_ERROR. */
  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Feeds bytes; calls sink per complete frame. An Error ends the connection. */
  push(chunk: Buffer, sink: FrameSink): Error | undefined {
    let buf = chunk;
    // A frame split over reads is completed with just the bytes it lacks, and the rest of this read is
    // parsed in place: joining the whole read to the remainder would copy every byte of a large transfer.
    while (this.rest !== undefined) {
      const rest = this.rest;
      const headerDone = rest.length >= FRAME_HEADER;
      const need = (headerDone ? frameEnd(rest) : FRAME_HEADER) - rest.length;
      if (buf.length < need) {
        this.rest = Buffer.concat([rest, buf]);
        return undefined;
      }
      const joined = Buffer.concat([rest, buf.subarray(0, need)]);
      buf = buf.subarray(need);
      if (!headerDone) {
        const length = frameEnd(joined) - FRAME_HEADER;
        if (length > this.maxFrameSize) return this.tooLong(length);
        if (length > 0) {
          this.rest = joined; // the header is in; go round for the payload
          continue;
        }
      }
      this.rest = undefined;
      const end = joined.length;
      sink(joined[3] as number, joined[4] as number, joined.readUInt32BE(5) & MAX_WINDOW, joined, FRAME_HEADER, end);
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= FRAME_HEADER) {
      const length = ((buf[pos] as number) << 16) | ((buf[pos + 1] as number) << 8) | (buf[pos + 2] as number);
      if (length > this.maxFrameSize) return this.tooLong(length);
      if (end - pos - FRAME_HEADER < length) break;
      const type = buf[pos + 3] as number;
      const flags = buf[pos + 4] as number;
      const streamId = buf.readUInt32BE(pos + 5) & MAX_WINDOW;
      const start = pos + FRAME_HEADER;
      pos = start + length;
      sink(type, flags, streamId, buf, start, pos);
    }
    if (pos < end) this.rest = buf.subarray(pos);
    return undefined;
  }

  private tooLong(length: number): Error {
    return new Error(`frame of ${length} bytes exceeds the maximum frame size ${this.maxFrameSize}`);
  }

  /** Bytes of an incomplete frame held back. */
  get buffered(): number {
    return this.rest?.length ?? 0;
  }
}

/** Where the frame starting at head[0] ends (header included); head holds at least the 9-byte header. */
function frameEnd(head: Buffer): number {
  return FRAME_HEADER + (((head[0] as number) << 16) | ((head[1] as number) << 8) | (head[2] as number));
}
