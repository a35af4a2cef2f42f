// The receiving half of an HTTP/2 connection that both ends share: bytes are cut into frames, each frame is
// checked against the rules of RFC 9113 that hold whatever side reads it (stream 0 or not, sizes, padding,
// priority, SETTINGS, header blocks), and handed to the side's FrameHandler as numbers and byte ranges.
// What depends on a stream's state, or on which side opened it, is the handler's to decide.
import { ConnectionError, ErrorCode } from "./errors.ts";
import { DEFAULT_MAX_FRAME_SIZE, Flag, FrameParser, FrameType, MAX_WINDOW } from "./frame.ts";
import { HeaderBlocks } from "./header-block.ts";
import { PeerSettings } from "./settings.ts";

export interface FrameHandler {
  /**
   * DATA on stream `id` (not 0), padding removed: the payload is buf[from, to). `length` is the whole frame
   * payload, which is what flow control counts.
   */
  onData(id: number, flags: number, buf: Buffer, from: number, to: number, length: number): void;
  /**
   * A complete header block for stream `id`, with its HEADERS frame's flags. A non-zero streamError means
   * the stream is malformed (it depends on itself): decode the block (HPACK state is the connection's),
   * then reset the stream with that code.
   */
  onHeaderBlock(id: number, flags: number, buf: Buffer, start: number, end: number, streamError: number): void;
  onRstStream(id: number, code: number): void;
  /** The peer's SETTINGS were applied to `reader.peer`; every open stream's send window moves by delta. */
  onSettings(windowDelta: number): void;
  onSettingsAck(): void;
  /** PING: its 8 bytes are buf[start, start + 8). */
  onPing(ack: boolean, buf: Buffer, start: number): void;
  onGoaway(lastStreamId: number, code: number, debug: Buffer): void;
  /** A WINDOW_UPDATE with a non-zero increment (zero is refused here, as §6.9 asks). */
  onWindowUpdate(id: number, increment: number): void;
  /** A frame of `type` that is an error for its stream only (§5.4.2): reset it with `code`. */
  onStreamError(id: number, type: number, code: number, message: string): void;
  /** A frame with no meaning here (PRIORITY, unknown types): read past, but the peer may be counted. */
  onIgnored(type: number): void;
  /** The connection must end with GOAWAY(err.code). Nothing more is read after it. */
  onConnectionError(err: ConnectionError): void;
}

interface ReaderOptions {
  /** The SETTINGS_MAX_FRAME_SIZE we advertised. */
  readonly maxFrameSize?: number;
  /** Compressed header blocks past this are an attack (CONTINUATION flood), not headers. */
  readonly maxHeaderBlock: number;
  /** Whether the peer opens streams with HEADERS (it is a client): then only on odd ids (§5.1.1). */
  readonly peerIsClient: boolean;
}

const HEADERS_EXTRAS = Flag.PADDED | Flag.PRIORITY;

export class FrameReader {
  /** Set when the connection is finished: frames still in a read are dropped. */
  stopped = false;
  /** What the peer's SETTINGS said. */
  readonly peer = new PeerSettings();
  private readonly parser: FrameParser;
  private readonly blocks: HeaderBlocks;
  private readonly peerIsClient: boolean;

  constructor(
    private readonly handler: FrameHandler,
    options: ReaderOptions,
  ) {
    this.parser = new FrameParser(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    this.blocks = new HeaderBlocks(options.maxHeaderBlock, (id, flags, block, start, end, streamError) =>
      handler.onHeaderBlock(id, flags, block, start, end, streamError),
    );
    this.peerIsClient = options.peerIsClient;
  }

  /** Bytes of an incomplete frame held back. */
  get buffered(): number {
    return this.parser.buffered;
  }

  /** Reads bytes from the peer; protocol errors (ours, or thrown by the handler) end in onConnectionError. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    try {
      const err = this.parser.push(chunk, this.onFrame);
      if (err) this.fail(new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, err.message));
    } catch (err) {
      // Only ConnectionErrors are expected; anything else is a bug, still not a crash.
      this.fail(err instanceof ConnectionError ? err : new ConnectionError(ErrorCode.INTERNAL_ERROR, String(err)));
    }
  }

  private fail(err: ConnectionError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handler.onConnectionError(err);
  }

  private readonly onFrame = (type: number, flags: number, id: number, buf: Buffer, start: number, end: number) => {
    if (this.stopped) return;
    this.blocks.check(type, id);
    const h = this.handler;
    // The per-call frames come first and go over as ranges of the read buffer.
    if (type === FrameType.DATA) {
      if (id === 0) throw protocol("DATA on stream 0");
      const length = end - start;
      if ((flags & Flag.PADDED) === 0) {
        h.onData(id, flags, buf, start, end, length);
        return;
      }
      // §6.1: padding as long as the payload, or longer, is a connection error whatever the stream's state.
      if (length < 1 || (buf[start] as number) >= length) throw protocol("DATA padding longer than the frame");
      h.onData(id, flags, buf, start + 1, end - (buf[start] as number), length);
      return;
    }
    if (type === FrameType.HEADERS) {
      this.headers(flags, id, buf, start, end);
      return;
    }
    const length = end - start;
    switch (type) {
      case FrameType.CONTINUATION:
        this.blocks.continuation(flags, id, buf.subarray(start, end));
        return;
      case FrameType.RST_STREAM:
        if (id === 0) throw protocol("RST_STREAM on stream 0");
        if (length !== 4) throw frameSize("RST_STREAM is not 4 bytes");
        h.onRstStream(id, buf.readUInt32BE(start));
        return;
      case FrameType.SETTINGS:
        if (id !== 0) throw protocol("SETTINGS on a stream");
        if (flags & Flag.ACK) {
          if (length !== 0) throw frameSize("SETTINGS ACK with a payload"); // §6.5
          h.onSettingsAck();
          return;
        }
        h.onSettings(this.peer.apply(buf, start, end, !this.peerIsClient));
        return;
      case FrameType.PING:
        if (id !== 0) throw protocol("PING on a stream");
        if (length !== 8) throw frameSize("PING is not 8 bytes");
        h.onPing((flags & Flag.ACK) !== 0, buf, start);
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw protocol("GOAWAY on a stream");
        if (length < 8) throw frameSize("GOAWAY shorter than 8 bytes");
        h.onGoaway(buf.readUInt32BE(start) & MAX_WINDOW, buf.readUInt32BE(start + 4), buf.subarray(start + 8, end));
        return;
      case FrameType.WINDOW_UPDATE: {
        if (length !== 4) throw frameSize("WINDOW_UPDATE is not 4 bytes");
        const increment = buf.readUInt32BE(start) & MAX_WINDOW;
        if (increment !== 0) h.onWindowUpdate(id, increment);
        else if (id === 0) throw protocol("connection WINDOW_UPDATE of 0");
        else h.onStreamError(id, type, ErrorCode.PROTOCOL_ERROR, "stream WINDOW_UPDATE of 0"); // §6.9
        return;
      }
      case FrameType.PRIORITY:
        // §6.3: deprecated, read past, but its form is still checked.
        if (id === 0) throw protocol("PRIORITY on stream 0");
        if (length !== 5) h.onStreamError(id, type, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY is not 5 bytes");
        else if ((buf.readUInt32BE(start) & MAX_WINDOW) === id) {
          h.onStreamError(id, type, ErrorCode.PROTOCOL_ERROR, "stream depends on itself"); // §5.3.1
        } else h.onIgnored(type);
        return;
      case FrameType.PUSH_PROMISE:
        // A client may not push; a server may, but both our clients send SETTINGS_ENABLE_PUSH 0 (§8.4).
        throw protocol(this.peerIsClient ? "PUSH_PROMISE from a client" : "PUSH_PROMISE although push is disabled");
      default:
        h.onIgnored(type); // unknown types are read past (§4.1, §5.5)
    }
  };

  private headers(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) throw protocol("HEADERS on stream 0");
    if (this.peerIsClient && id % 2 === 0) throw protocol(`HEADERS on stream ${id}, which a client may not open`);
    let from = start;
    let to = end;
    let streamError = 0;
    if (flags & HEADERS_EXTRAS) {
      if (flags & Flag.PADDED) {
        if (to - from < 1) throw protocol("padded HEADERS without a pad length");
        to -= buf[from] as number;
        from++;
      }
      if (flags & Flag.PRIORITY) {
        if (to - from < 5) throw protocol("HEADERS priority fields past the frame");
        if ((buf.readUInt32BE(from) & MAX_WINDOW) === id) streamError = ErrorCode.PROTOCOL_ERROR; // §5.3.1
        from += 5;
      }
      if (to < from) throw protocol("HEADERS padding longer than the frame"); // §6.2
    }
    if (flags & Flag.END_HEADERS) this.handler.onHeaderBlock(id, flags, buf, from, to, streamError);
    else this.blocks.begin(id, flags, buf.subarray(from, to), streamError);
  }
}

function protocol(message: string): ConnectionError {
  return new ConnectionError(ErrorCode.PROTOCOL_ERROR, message);
}

function frameSize(message: string): ConnectionError {
  return new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, message);
}
