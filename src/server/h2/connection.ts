// One HTTP/2 server connection over any Duplex, without node:http2: the preface, SETTINGS, flow control
// both ways, MAX_CONCURRENT_STREAMS, PING (answered, enforced, and sent as keepalive), GOAWAY (drain, idle,
// max age), RST_STREAM and CONTINUATION. It knows nothing of gRPC beyond the few request headers it reads
// into RequestHead; what a stream means is decided by the StreamHandler that onStream returns for it.
import type { Duplex } from "node:stream";
import { writeMessageFrame } from "../../h2/data.ts";
import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { contentLength } from "../../h2/fields.ts";
import { InFlow, OutFlow, shiftSendWindows } from "../../h2/flow.ts";
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FRAME_HEADER,
  FrameType,
  goawayFrame,
  MAX_WINDOW,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "../../h2/frame.ts";
import { writeHeaderBlock } from "../../h2/header-block.ts";
import { HpackDecoder } from "../../h2/hpack/decoder.ts";
import { type FrameHandler, FrameReader } from "../../h2/reader.ts";
import { isIdle } from "../../h2/streams.ts";
import { Writer } from "../../h2/writer.ts";
import { FRAME_HEADER_BYTES } from "../../rpc/frame.ts";
import { Status } from "../../rpc/status.ts";
import { type Limits, MAX_PING_STRIKES, pingStrike } from "../limits.ts";
import { ConnectionRequestBytes, type RequestBytes } from "../request-bytes.ts";
import { HEADERS_TOO_LARGE, REQUEST_BYTES_DETAILS, REQUEST_BYTES_EXHAUSTED, trailers } from "./blocks.ts";
import { calm, FloodGuard, Glitch } from "./flood.ts";
import {
  conflictingContentLength,
  hasPseudo,
  NO_FIELDS,
  requestField,
  requestProblem,
  trailersProblem,
} from "./request-headers.ts";

// What a client may send before it must wait for our WINDOW_UPDATE: per stream enough for a typical
// request in one go, per connection enough for many streams at once. Returned when half is used.
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;
// Decoded request headers beyond this are refused (grpc-go allows 16 MiB; gRPC metadata is small), and
// the HPACK decoder emits nothing past it (../../h2/hpack/decoder.ts).
const MAX_HEADER_LIST = 64 * 1024;
// Over the request-byte budget, the client is stuck once it has less connection window than one frame:
// then the stream holding the most is answered RESOURCE_EXHAUSTED, so the rest can go on (Envoy's overload
// action reset_high_memory_stream does the same).
const STUCK_WINDOW = 16 * 1024;
// A compressed header block this large is an attack (CONTINUATION flood), not a request.
const MAX_HEADER_BLOCK = 256 * 1024;
// Messages up to this size go into the output buffer whole; larger ones are queued and sent in frames.
const COPY_WHOLE = 16 * 1024;
// Response bytes queued for want of the client's window. Past the high mark on a stream, that stream's
// request DATA is held unread (and its window not returned); past the connection's, every stream's is,
// and new streams are refused, until the client's WINDOW_UPDATEs bring the queue under the low mark.
// What a client can make us hold is then about its windows plus these marks, not what it asks for.
const STREAM_QUEUE_HIGH = 1 << 20;
const STREAM_QUEUE_LOW = STREAM_QUEUE_HIGH / 2;
const CONNECTION_QUEUE_HIGH = 16 << 20;
const CONNECTION_QUEUE_LOW = CONNECTION_QUEUE_HIGH / 2;

/** The request headers the gRPC layer needs; everything else is read past. */
export class RequestHead {
  method = "";
  path = "";
  contentType: string | undefined = undefined;
  timeout: string | undefined = undefined;
  encoding: string | undefined = undefined;
  /** The block's validity so far (./request-headers.ts). */
  fields = NO_FIELDS;
  /** The content-length field, -1 when none came. */
  contentLength = -1;
}

/** What the gRPC layer does with one stream's frames. */
export interface StreamHandler {
  /**
   * Request body bytes buf[start, end): a range of a read buffer, which may be kept as a view (every
   * socket read comes in a buffer of its own; test/h2/h2-server.test.ts checks that for this runtime).
   */
  onData(buf: Buffer, start: number, end: number): void;
  /** The client half-closed the stream. */
  onEnd(): void;
  /** The stream is gone before the response ended: reset by the client, or the connection died. */
  onAbort(): void;
}

export type OnStream = (stream: ServerStream, head: RequestHead) => StreamHandler;

export interface SessionEvents {
  readonly onStream: OnStream;
  /** A stream opened / closed: the server counts calls in flight to drain them. */
  readonly streamOpened: () => void;
  readonly streamClosed: () => void;
  /** The connection is finished (socket closed). */
  readonly closed: (session: ServerConnection) => void;
  /** Diagnostics for debug logging; never on the hot path. */
  readonly debug: (message: string) => void;
}

/** One stream as the gRPC layer sees it: the response goes out through it. */
export class ServerStream {
  handler: StreamHandler | undefined = undefined;
  headersSent = false;
  /** Our response is complete (END_STREAM queued) or the stream was reset. */
  done = false;
  /** The client sent END_STREAM. */
  remoteEnded = false;
  sendWindow: number;
  /** Request DATA bytes the handler has taken, not yet returned by a stream WINDOW_UPDATE. */
  recvUnacked = 0;
  /** What the client may still send on this stream: our SETTINGS window plus our WINDOW_UPDATEs. */
  recvWindow = STREAM_WINDOW;
  // Response bytes waiting for window: DATA payloads, then the trailer block.
  pending: Buffer[] | undefined = undefined;
  pendingBytes = 0;
  pendingTrailers: Buffer | undefined = undefined;
  /**
   * Request body ranges held back while responses queue (views of read buffers), in order; the end of
   * the request is delivered after them. heldBytes counts them as flow control does (whole frames).
   */
  held: Buffer[] | undefined = undefined;
  heldBytes = 0;
  /** The request's content-length, -1 if it gave none; and the DATA payload bytes (padding not counted) so far. */
  declaredBody = -1;
  bodyBytes = 0;
  /** Request bytes its call holds (../request-bytes.ts); none once the stream is forgotten. */
  requestHeld = 0;
  forgotten = false;

  constructor(
    readonly id: number,
    readonly session: ServerConnection,
  ) {
    this.sendWindow = session.peerSettings.initialWindow;
  }

  get peer(): string {
    return this.session.peer;
  }

  /** Response HEADERS (block pre-encoded by the caller), without ending the stream. */
  respond(block: Buffer): void {
    if (this.done || this.headersSent) return;
    this.headersSent = true;
    this.session.writeHeaders(this.id, block, false);
  }

  /** One gRPC message, body[0, length), prefixed and flow controlled; the bytes are copied before return. */
  sendMessage(body: Uint8Array, length = body.length): void {
    if (this.done) return;
    this.session.writeMessage(this, body, length);
  }

  /** Its call holds `delta` more request bytes (less, if negative), for the connection's and process's budget. */
  holdRequest(delta: number): void {
    if (this.forgotten) return;
    this.requestHeld += delta;
    this.session.holdRequest(delta);
  }

  /** The client made a mistake on this stream that cost us an answer (an unknown method, say). */
  glitch(): void {
    this.session.glitch(Glitch.REQUEST);
  }

  /** Trailers (or a trailers-only response when no HEADERS went out): ends the stream. */
  end(block: Buffer): void {
    if (this.done) return;
    this.done = true;
    this.headersSent = true;
    this.session.endStream(this, block);
  }
}

export class ServerConnection implements FrameHandler {
  private readonly writer: Writer;
  private readonly reader = new FrameReader(this, { maxHeaderBlock: MAX_HEADER_BLOCK, peerIsClient: true });
  /** The client's settings, as the reader applied them. */
  readonly peerSettings = this.reader.peer;
  private readonly hpack = new HpackDecoder();
  private readonly streams = new Map<number, ServerStream>();
  private prefaceSeen = 0;
  private lastStreamId = 0;
  private dead = false;
  /** GOAWAY sent: no new streams; the socket ends once the last stream closes. */
  private draining = false;

  /** Our send window on the connection. */
  private readonly send = new OutFlow(DEFAULT_WINDOW);
  /**
   * What the client may still send on the connection (a client that sends more is cut), and the request
   * bytes consumed or read past that are not yet returned to it.
   */
  private readonly recv = new InFlow(DEFAULT_WINDOW, CONNECTION_WINDOW);
  /** Response DATA bytes queued on all streams for want of window. */
  private queuedBytes = 0;
  /** Over the high mark: request DATA is held and new streams refused until under the low mark. */
  private backedUp = false;
  /** Streams with request DATA held: when none, there is nothing to look for on resuming. */
  private heldStreams = 0;
  private lastSendProgressMs = 0;
  private sendTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly head = new RequestHead();
  private readonly headerSink: (name: string, value: string) => void;

  // Keepalive (our pings) and the policy for the client's pings.
  private lastPingMs = Number.NEGATIVE_INFINITY;
  private strikes = 0;
  /** HEADERS or DATA went out since the last client PING: that ping is no strike (grpc-go's rule). */
  private sentSincePing = false;
  private readAny = false;
  private pingOutstanding = false;
  private keepaliveTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private ageTimer: ReturnType<typeof setTimeout> | undefined;
  private peerName: string | undefined;
  private readPaused = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  // Control-frame and rapid-reset budgets (./flood.ts): streams opened, and the last stream id before
  // this socket read (streams above it were opened in this read).
  private opened = 0;
  private readFloor = 0;
  private readonly flood = new FloodGuard(
    () => this.opened,
    () => this.writer.bytesOut,
  );

  /** Request bytes held by this connection's calls, within its budget and the process's. */
  private readonly requestBytes: ConnectionRequestBytes;

  constructor(
    private readonly socket: Duplex,
    private readonly limits: Limits,
    private readonly events: SessionEvents,
    requestBytes: RequestBytes,
  ) {
    this.requestBytes = new ConnectionRequestBytes(requestBytes);
    this.writer = new Writer(socket);
    // A client that does not read what we send (responses, PING and SETTINGS acks) stops being read
    // until it does: what we hold for it stays bounded by the socket's buffer, not by its requests.
    this.writer.onBlocked = () => {
      if (this.readPaused || this.dead) return;
      this.readPaused = true;
      socket.pause();
      socket.once("drain", () => {
        this.readPaused = false;
        if (!this.dead) socket.resume();
      });
    };
    const head = this.head;
    this.headerSink = (name, value) => {
      head.fields = requestField(head.fields, name, value);
      switch (name) {
        case ":method":
          head.method = value;
          return;
        case ":path":
          head.path = value;
          return;
        case "content-type":
          head.contentType = value;
          return;
        case "grpc-timeout":
          head.timeout = value;
          return;
        case "grpc-encoding":
          head.encoding = value;
          return;
        case "content-length": {
          // Malformed values are flagged by requestField; a second one must say the same (RFC 9110 §8.6).
          const n = contentLength(value);
          if (head.contentLength >= 0 && n !== head.contentLength) head.fields = conflictingContentLength(head.fields);
          head.contentLength = n;
          return;
        }
      }
    };
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("error", (err: Error) => events.debug(`connection error: ${err.message}`));
    socket.on("close", () => this.onClosed());
    socket.on("end", () => {
      // The client half-closed the connection: nothing more can arrive, so no call can finish.
      if (this.dead) this.socket.destroy();
      else this.destroy();
    });
    socket.resume();
    this.writer.append(
      settingsFrame([
        [Setting.MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams],
        [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
        [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST],
        [Setting.ENABLE_PUSH, 0],
      ]),
    );
    if (limits.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.events.debug("no HTTP/2 preface in time: closing the connection");
        this.destroy();
      }, limits.handshakeTimeoutMs);
    }
    if (limits.keepaliveTimeMs > 0) this.armKeepalive();
    if (limits.maxConnectionIdleMs > 0) this.armIdle();
    if (limits.maxConnectionAgeMs > 0) {
      // grpc-go adds ±10% jitter so a fleet of connections does not reconnect at once.
      const age = limits.maxConnectionAgeMs * (0.9 + Math.random() * 0.2);
      this.ageTimer = setTimeout(() => this.onMaxAge(), age);
    }
  }

  /** "host:port" of the client, as grpc-js's getPeer() gives it. */
  get peer(): string {
    if (this.peerName === undefined) {
      const s = this.socket as Duplex & { remoteAddress?: string; remotePort?: number };
      const address = s.remoteAddress ?? "";
      this.peerName = s.remotePort === undefined || address === "" ? address : `${address}:${s.remotePort}`;
    }
    return this.peerName;
  }

  /** Graceful: GOAWAY, finish the streams open now, then close. */
  drain(code: number = ErrorCode.NO_ERROR, debug = ""): void {
    if (this.dead) return;
    if (!this.draining) {
      this.draining = true;
      this.writer.append(goawayFrame(this.lastStreamId, code, debug));
    }
    if (this.streams.size === 0) this.closeSoon();
  }

  /** Forced: every open stream is aborted and the socket destroyed. */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.reader.stopped = true;
    this.clearTimers();
    this.writer.flush();
    this.socket.destroy();
    this.abortAll();
  }

  // --- sending -------------------------------------------------------------------------------------------

  writeHeaders(id: number, block: Buffer, endStream: boolean): void {
    this.sentSincePing = true;
    writeHeaderBlock(this.writer, id, block, this.peerSettings.maxFrameSize, endStream);
  }

  writeMessage(stream: ServerStream, body: Uint8Array, length: number): void {
    this.sentSincePing = true;
    const total = length + FRAME_HEADER_BYTES;
    const send = this.send;
    if (
      stream.pending === undefined &&
      total <= stream.sendWindow &&
      total <= send.avail &&
      total <= this.peerSettings.maxFrameSize &&
      total <= COPY_WHOLE
    ) {
      // The usual case: one DATA frame, prefix and message copied straight into the output buffer.
      writeMessageFrame(this.writer, stream.id, 0, body, length);
      stream.sendWindow -= total;
      send.avail -= total;
      return;
    }
    const framed = Buffer.allocUnsafe(total);
    framed[0] = 0;
    framed.writeUInt32BE(length, 1);
    framed.set(length === body.length ? body : body.subarray(0, length), FRAME_HEADER_BYTES);
    if (stream.pending === undefined) stream.pending = [framed];
    else stream.pending.push(framed);
    stream.pendingBytes += total;
    this.queuedBytes += total;
    this.flushStream(stream);
    if (stream.pending !== undefined) this.queued();
  }

  /** Bytes are waiting for window: watch the queue's size and the client's progress in taking it. */
  private queued(): void {
    if (this.queuedBytes >= CONNECTION_QUEUE_HIGH) this.backedUp = true;
    if (this.sendTimer === undefined && this.limits.sendTimeoutMs > 0) {
      this.lastSendProgressMs = Date.now();
      this.armSendTimer(this.limits.sendTimeoutMs);
    }
  }

  // nginx's send_timeout: the clock restarts whenever the client takes some of what is queued, so only a
  // client that opens no window at all (or one too small to move anything) for the whole time is closed.
  private armSendTimer(ms: number): void {
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined;
      if (this.dead || this.queuedBytes === 0) return;
      const idle = Date.now() - this.lastSendProgressMs;
      if (idle < this.limits.sendTimeoutMs) {
        this.armSendTimer(this.limits.sendTimeoutMs - idle);
        return;
      }
      this.connectionError(
        calm(
          `send timeout: ${this.queuedBytes} response bytes queued, no window opened for ${this.limits.sendTimeoutMs} ms`,
        ),
      );
    }, ms);
    this.sendTimer.unref?.();
  }

  endStream(stream: ServerStream, block: Buffer): void {
    if (stream.pending !== undefined) {
      stream.pendingTrailers = block;
      return;
    }
    this.writeHeaders(stream.id, block, true);
    this.closeStream(stream, true);
  }

  private resetStream(stream: ServerStream, code: number): void {
    stream.done = true;
    this.dropQueued(stream);
    if (this.streams.get(stream.id) !== stream) return;
    this.writer.append(rstStreamFrame(stream.id, code));
    this.closeStream(stream, false);
  }

  /** A stream's queued response is gone (reset, aborted): it no longer counts against the connection. */
  private dropQueued(stream: ServerStream): void {
    this.queuedBytes -= stream.pendingBytes;
    stream.pendingBytes = 0;
    stream.pending = undefined;
    stream.pendingTrailers = undefined;
  }

  /** Sends what both windows allow of a stream's queued DATA, then its trailers once all is out. */
  private flushStream(stream: ServerStream): void {
    const queue = stream.pending;
    if (queue === undefined) return;
    const w = this.writer;
    while (queue.length > 0) {
      const buf = queue[0] as Buffer;
      const n = Math.min(buf.length, stream.sendWindow, this.send.avail, this.peerSettings.maxFrameSize);
      if (n <= 0) return;
      this.sentSincePing = true;
      this.lastSendProgressMs = Date.now();
      stream.pendingBytes -= n;
      this.queuedBytes -= n;
      const at = w.reserve(FRAME_HEADER);
      writeFrameHeader(w.slab, at, n, FrameType.DATA, 0, stream.id);
      // Not copied into the slab: the writer joins the parts once, when it writes them.
      w.append(n === buf.length ? buf : buf.subarray(0, n), false);
      stream.sendWindow -= n;
      this.send.avail -= n;
      if (n === buf.length) queue.shift();
      else queue[0] = buf.subarray(n);
    }
    stream.pending = undefined;
    const trailers = stream.pendingTrailers;
    if (trailers !== undefined) {
      stream.pendingTrailers = undefined;
      this.writeHeaders(stream.id, trailers, true);
      this.closeStream(stream, true);
    }
  }

  /** Window opened: queued responses go out, and request DATA held for them is delivered again. */
  private resumeSends(): void {
    for (const stream of this.streams.values()) {
      if (this.send.avail <= 0) break;
      if (stream.pending !== undefined) this.flushStream(stream);
    }
    this.resumeReads();
  }

  private resumeReads(): void {
    if (this.backedUp && this.queuedBytes <= CONNECTION_QUEUE_LOW) this.backedUp = false;
    if (!this.backedUp && this.heldStreams > 0) {
      for (const stream of this.streams.values()) {
        if (stream.held !== undefined && stream.pendingBytes <= STREAM_QUEUE_LOW) this.deliverHeld(stream);
        if (this.backedUp) break;
      }
    }
    this.returnConnectionWindow();
  }

  /** Hands a stream's held request DATA to its handler until it backs up again; then its end, if it came. */
  private deliverHeld(stream: ServerStream): void {
    const held = stream.held as Buffer[];
    const h = stream.handler;
    while (held.length > 0) {
      if (this.backedUp || stream.pendingBytes >= STREAM_QUEUE_HIGH) return;
      const chunk = held.shift() as Buffer;
      if (chunk.length > 0) h?.onData(chunk, 0, chunk.length);
      // The handler may have ended the call: forget() has released what was held.
      if (stream.held === undefined) return;
    }
    this.releaseHeld(stream, stream);
    if (stream.remoteEnded) {
      h?.onEnd();
      this.maybeForget(stream);
    }
  }

  /**
   * Keeps request bytes back while responses queue. Copied, not a view: a view of a padded or tiny frame
   * would keep its whole read buffer alive. What is held is bounded by the window withheld meanwhile, not
   * by the request-byte budget (whose shedding would end calls that only wait for their client to read).
   */
  private hold(stream: ServerStream, body: Buffer, length: number): void {
    const copy = Buffer.from(body);
    if (stream.held === undefined) {
      stream.held = [copy];
      this.heldStreams++;
    } else {
      stream.held.push(copy);
    }
    stream.heldBytes += length;
  }

  /** The stream holds nothing any more: its held bytes count as consumed (for `credit`'s window too). */
  private releaseHeld(stream: ServerStream, credit: ServerStream | undefined): void {
    stream.held = undefined;
    this.heldStreams--;
    const length = stream.heldBytes;
    stream.heldBytes = 0;
    this.consumed(credit, length);
  }

  /** Request bytes the application has taken: their window goes back to the client, in halves. */
  private consumed(stream: ServerStream | undefined, length: number): void {
    this.recv.consumed(length);
    this.returnConnectionWindow();
    if (stream === undefined || stream.remoteEnded || length === 0) return;
    stream.recvUnacked += length;
    if (stream.recvUnacked >= STREAM_WINDOW / 2) {
      this.writer.append(windowUpdateFrame(stream.id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  private returnConnectionWindow(): void {
    // Withheld while backed up, or while request bytes are at their budget: the client then cannot push
    // more request bytes for us to hold.
    if (this.backedUp || !this.recv.isDue()) return;
    if (this.requestBytes.full()) {
      this.requestBytes.process.waitForRoom(this.roomMade);
      return;
    }
    const increment = this.recv.due();
    if (increment > 0) this.writer.append(windowUpdateFrame(0, increment));
  }

  /**
   * Our side is finished and the stream is forgotten. A request still arriving is told to stop; its late
   * DATA is read past (connection flow control still counts it).
   */
  private closeStream(stream: ServerStream, graceful: boolean): void {
    stream.done = true;
    if (graceful && !stream.remoteEnded) {
      // RFC 9113 §8.1: a server that answers before the request ended may reset with NO_ERROR.
      this.writer.append(rstStreamFrame(stream.id, ErrorCode.NO_ERROR));
    }
    this.forget(stream);
  }

  /** Takes a stream off the connection: counted closed exactly once; the connection may now be idle. */
  private forget(stream: ServerStream): void {
    if (!this.streams.delete(stream.id)) return;
    // Held request bytes of a stream that is gone are read past: their connection window comes back.
    if (stream.held !== undefined) this.releaseHeld(stream, undefined);
    this.releaseRequestBytes(stream);
    this.events.streamClosed();
    if (this.streams.size === 0) this.becameIdle();
  }

  // --- request bytes held (../request-bytes.ts) ----------------------------------------------------------

  /** A stream's call holds `delta` more request bytes; back under the budget, withheld window goes back. */
  holdRequest(delta: number): void {
    const budget = this.requestBytes;
    budget.add(delta);
    if (delta < 0 && !this.dead && !budget.full()) this.returnConnectionWindow();
  }

  /** The process's budget has room again (another connection of this thread freed bytes). */
  private readonly roomMade = (): void => {
    if (!this.dead) this.returnConnectionWindow();
  };

  /** A stream leaves: whatever its call still holds no longer counts, whatever the call does later. */
  private releaseRequestBytes(stream: ServerStream): void {
    stream.forgotten = true;
    if (stream.requestHeld !== 0) this.requestBytes.add(-stream.requestHeld);
    stream.requestHeld = 0;
  }

  /**
   * At the budget with the client out of connection window, no message in progress can complete and free
   * anything: the streams holding the most are answered RESOURCE_EXHAUSTED and their bytes freed, largest
   * first, until the connection is under its budget again (Envoy's overload action
   * reset_high_memory_stream); then the window withheld goes back and the others go on. Only a client that
   * keeps more unfinished messages open than the budget holds ever gets here.
   */
  private shedIfStuck(): void {
    while (this.recv.avail < STUCK_WINDOW && !this.backedUp && !this.dead && this.requestBytes.full()) {
      let largest: ServerStream | undefined;
      for (const s of this.streams.values()) if (s.requestHeld > (largest?.requestHeld ?? 0)) largest = s;
      if (largest === undefined) return;
      this.events.debug(`stream ${largest.id}: ${largest.requestHeld} request bytes held at the budget: shed`);
      this.glitch(Glitch.REQUEST);
      const h = largest.handler;
      largest.end(
        largest.headersSent ? trailers(Status.RESOURCE_EXHAUSTED, REQUEST_BYTES_DETAILS) : REQUEST_BYTES_EXHAUSTED,
      );
      h?.onAbort();
    }
  }

  // --- receiving -----------------------------------------------------------------------------------------

  private onBytes(chunk: Buffer): void {
    if (this.dead) return;
    this.readAny = true;
    this.readFloor = this.lastStreamId;
    let buf = chunk;
    if (this.prefaceSeen < PREFACE.length) {
      const n = Math.min(PREFACE.length - this.prefaceSeen, buf.length);
      if (!buf.subarray(0, n).equals(PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + n))) {
        this.events.debug("not an HTTP/2 client: bad connection preface");
        this.connectionError(new ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad connection preface"));
        return;
      }
      this.prefaceSeen += n;
      if (this.prefaceSeen === PREFACE.length) {
        clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        // Sent once the client has spoken, not with our SETTINGS: Bun's node:http2 client loses a
        // WINDOW_UPDATE that arrives before its own preface went out (seen through an hvsock muxer).
        this.writer.append(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
        this.recv.avail += CONNECTION_WINDOW - DEFAULT_WINDOW;
      }
      if (n === buf.length) return;
      buf = buf.subarray(n);
    }
    this.reader.push(buf);
  }

  // --- frames from the client (FrameHandler): src/h2/reader.ts has checked what holds on any stream ---

  onData(id: number, flags: number, buf: Buffer, from: number, to: number, length: number): void {
    if (this.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream (§5.1)");
    if (length > 0) this.flood.emptyData = 0;
    else if (this.flood.emptyDataFlood(flags)) throw calm("too many empty DATA frames");
    // Flow control counts the whole frame, padding included, even for streams already answered. A client
    // that sends past the window it was given would make us hold what it likes: cut (RFC 9113 §6.9.1).
    if (!this.recv.take(length)) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      // Closed: answered and forgotten, refused, or reset by either side. Its window comes back, and the
      // client is told STREAM_CLOSED, as x/net/http2's server (processData) and HAProxy do; grpc-go reads
      // past in silence. Both fit §5.1: we keep no memory of why a stream closed, so cannot tell a late
      // frame after our RST_STREAM (to be ignored) from one after the client's own (STREAM_CLOSED).
      this.consumed(undefined, length);
      this.closedStreamError(id, ErrorCode.STREAM_CLOSED, "DATA on a closed stream (§5.1)");
      return;
    }
    if (stream.remoteEnded) {
      // Half-closed (remote): the client already sent END_STREAM (§5.1: stream error STREAM_CLOSED).
      this.consumed(undefined, length);
      this.provokedReset(stream, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM (§5.1)");
      return;
    }
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) {
      this.consumed(undefined, length);
      this.provokedReset(stream, ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream window");
      return;
    }
    if (flags & Flag.END_STREAM) stream.remoteEnded = true;
    if (stream.declaredBody >= 0) {
      // §8.1.1: a body that disagrees with its content-length is malformed, found as soon as it shows.
      stream.bodyBytes += to - from;
      if (stream.bodyBytes > stream.declaredBody || (stream.remoteEnded && stream.bodyBytes !== stream.declaredBody)) {
        this.consumed(undefined, length);
        this.provokedReset(stream, ErrorCode.PROTOCOL_ERROR, "DATA disagrees with content-length (§8.1.1)");
        return;
      }
    }
    if (stream.held !== undefined || this.backedUp || stream.pendingBytes >= STREAM_QUEUE_HIGH) {
      // Its responses (or the connection's) wait for window: these bytes wait too, unread and unreturned.
      this.hold(stream, buf.subarray(from, to), length);
      return;
    }
    this.consumed(stream, length);
    const h = stream.handler;
    if (h === undefined) return;
    if (to > from) h.onData(buf, from, to);
    if (stream.remoteEnded) {
      h.onEnd();
      this.maybeForget(stream);
    }
    if (this.recv.avail < STUCK_WINDOW) this.shedIfStuck();
  }

  /** Idle (§5.1, ../../h2/streams.ts): above every stream id the client has used, or even. */
  private isIdle(id: number): boolean {
    return isIdle(id, this.lastStreamId);
  }

  /**
   * A stream error that aborts a live stream. Resets the client provokes (MadeYouReset, CVE-2025-8671)
   * spend the rapid-reset budget as its own RST_STREAMs do, as nghttp2 and the advisory's fixes count
   * them: otherwise a client could start calls and have us kill them at no cost to itself.
   */
  private provokedReset(stream: ServerStream, code: number, why: string): void {
    this.events.debug(`stream ${stream.id} reset: ${why}`);
    if (!this.flood.rapidResets.take()) throw calm("too many streams reset for protocol errors");
    this.glitch(Glitch.REQUEST);
    this.resetStream(stream, code);
    stream.handler?.onAbort();
  }

  /**
   * A stream error on a stream we hold nothing for (closed, refused, idle for PRIORITY): the RST_STREAM
   * alone, within the budget of frames read past, since each costs us a frame written.
   */
  private closedStreamError(id: number, code: number, why: string): void {
    if (!this.flood.ignored.take()) throw calm("too many frames on closed streams");
    this.events.debug(`stream ${id} reset: ${why}`);
    this.writer.append(rstStreamFrame(id, code));
  }

  /** A stream error wherever the stream is: live streams are aborted, others just told. */
  private streamError(id: number, code: number, why: string): void {
    const stream = this.streams.get(id);
    if (stream !== undefined) this.provokedReset(stream, code, why);
    else this.closedStreamError(id, code, why);
  }

  /** A stream both sides have finished is dropped (it may already be, if our side finished first). */
  private maybeForget(stream: ServerStream): void {
    if (!stream.done || stream.pending !== undefined || stream.pendingTrailers !== undefined) return;
    this.forget(stream);
  }

  /** A complete header block: a new stream's request headers, or the client's trailers. */
  onHeaderBlock(id: number, flags: number, buf: Buffer, start: number, end: number, streamError: number): void {
    const head = this.head;
    head.method = "";
    head.path = "";
    head.contentType = undefined;
    head.timeout = undefined;
    head.encoding = undefined;
    head.fields = NO_FIELDS;
    head.contentLength = -1;
    // Decoded even when the stream is refused: the HPACK table must stay in step with the client's.
    const hpack = this.hpack;
    const err = hpack.decode(buf, this.headerSink, start, end, MAX_HEADER_LIST);
    if (err) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, err.message);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    // The reader found the block's HEADERS making the stream depend on itself (§5.3.1).
    const selfDependent = streamError !== 0;
    if (hpack.oversized) {
      this.oversizedHeaders(id, endStream);
      return;
    }
    if (id <= this.lastStreamId) {
      this.onTrailers(id, endStream, selfDependent);
      return;
    }
    this.lastStreamId = id;
    let problem = requestProblem(head.fields);
    if (problem === undefined && endStream && head.contentLength > 0) problem = "content-length but no DATA (§8.1.1)";
    if (problem === undefined && selfDependent) problem = "stream depends on itself (§5.3.1)";
    if (problem !== undefined) {
      // Malformed (§8.1.1): a stream error PROTOCOL_ERROR. The stream never opens and no handler sees it.
      this.events.debug(`stream ${id} refused: ${problem}`);
      this.glitch(Glitch.REQUEST);
      this.writer.append(rstStreamFrame(id, ErrorCode.PROTOCOL_ERROR));
      return;
    }
    if (this.draining) {
      this.writer.append(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return;
    }
    if (this.streams.size >= this.limits.maxConcurrentStreams) {
      // Past the limit we advertised: the client broke SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2), a glitch.
      this.glitch(Glitch.REQUEST);
      this.writer.append(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return;
    }
    if (this.backedUp || this.requestBytes.full()) {
      // Backed up (responses waiting for window, or request bytes at their budget): a new call would only
      // add to what we hold. REFUSED_STREAM tells the client that nothing of it ran, so it may retry (RFC
      // 9113 §8.7). No glitch: the client could not know.
      this.writer.append(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return;
    }
    const stream = new ServerStream(id, this);
    if (endStream) stream.remoteEnded = true;
    stream.declaredBody = head.contentLength;
    this.streams.set(id, stream);
    this.opened++;
    if (this.streams.size === 1) this.clearIdle();
    this.events.streamOpened();
    stream.handler = this.events.onStream(stream, head);
    if (endStream && !stream.done) {
      stream.handler.onEnd();
      this.maybeForget(stream);
    } else if (endStream) {
      this.maybeForget(stream);
    }
  }

  /**
   * A header block whose decoded list passed MAX_HEADER_LIST (the HPACK decoder stopped emitting there).
   * A request is answered RESOURCE_EXHAUSTED without opening a stream (nor reaching a handler); trailers
   * reset their stream. Each spends a large share of the glitch budget, so a client that keeps sending
   * them ("HTTP/2 Bomb") gets GOAWAY ENHANCE_YOUR_CALM after a few.
   */
  private oversizedHeaders(id: number, endStream: boolean): void {
    this.events.debug(`stream ${id}: header list over ${MAX_HEADER_LIST} bytes`);
    this.glitch(Glitch.HEADER_LIST);
    if (id <= this.lastStreamId) {
      this.streamError(id, ErrorCode.PROTOCOL_ERROR, "trailers over the header list size");
      return;
    }
    this.lastStreamId = id;
    this.writeHeaders(id, HEADERS_TOO_LARGE, true);
    // RFC 9113 §8.1: answered before the request ended, the rest of it is declined with NO_ERROR.
    if (!endStream) this.writer.append(rstStreamFrame(id, ErrorCode.NO_ERROR));
  }

  /** Spends from the glitch budget (./flood.ts); an empty one ends the connection. */
  glitch(cost: number): void {
    if (!this.flood.glitches.spend(cost)) throw calm("too many protocol errors (glitches)");
  }

  /** A header block on a stream id already used: trailers (gRPC clients send none, but HTTP/2 allows them). */
  private onTrailers(id: number, endStream: boolean, selfDependent: boolean): void {
    const fields = this.head.fields;
    const stream = this.streams.get(id);
    if (stream === undefined) {
      // A request block (it has pseudo-headers; trailers have none) on a stream id not above the last one
      // would be dropped and its client left to its deadline: RFC 9113 §5.1.1 makes it a connection error.
      if (hasPseudo(fields)) {
        throw new ConnectionError(
          ErrorCode.PROTOCOL_ERROR,
          `request HEADERS on stream ${id}, not above the last stream ${this.lastStreamId}`,
        );
      }
      // Trailers on a closed stream: STREAM_CLOSED as for DATA (x/net makes any HEADERS on a closed stream
      // a connection error; this may be the client's trailers racing our early answer's RST_STREAM).
      this.closedStreamError(id, ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream (§5.1)");
      return;
    }
    if (stream.remoteEnded) {
      this.provokedReset(stream, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM (§5.1)");
      return;
    }
    // §8.1: a trailer block ends the stream and carries no pseudo-header; x/net and the RFC make both
    // stream errors (malformed), not connection errors.
    let problem = trailersProblem(fields);
    if (problem === undefined && !endStream) problem = "trailers without END_STREAM (§8.1)";
    if (problem === undefined && selfDependent) problem = "stream depends on itself (§5.3.1)";
    if (problem === undefined && stream.declaredBody >= 0 && stream.bodyBytes !== stream.declaredBody) {
      problem = "DATA disagrees with content-length (§8.1.1)";
    }
    if (problem !== undefined) {
      this.provokedReset(stream, ErrorCode.PROTOCOL_ERROR, problem);
      return;
    }
    stream.remoteEnded = true;
    if (stream.held !== undefined) return; // ends after the held body
    stream.handler?.onEnd();
    this.maybeForget(stream);
  }

  onRstStream(id: number, _code: number): void {
    if (this.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream (§6.4)");
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (!this.flood.ignored.take()) throw calm("too many RST_STREAM frames on closed streams");
      return;
    }
    if (id > this.readFloor && !this.flood.rapidResets.take()) throw calm("too many streams reset at once");
    stream.done = true;
    this.dropQueued(stream);
    this.forget(stream);
    stream.handler?.onAbort();
    this.resumeReads();
  }

  onSettings(windowDelta: number): void {
    if (!this.flood.settings.take()) throw calm("too many SETTINGS frames");
    shiftSendWindows(this.streams.values(), windowDelta);
    this.writer.append(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    this.resumeSends();
  }

  onSettingsAck(): void {}

  onGoaway(_lastStreamId: number, _code: number, _debug: Buffer): void {
    // The client will open no more streams; those open finish as usual.
    this.draining = true;
    if (this.streams.size === 0) this.closeSoon();
  }

  onPing(ack: boolean, buf: Buffer, start: number): void {
    if (ack) {
      this.pingOutstanding = false;
      return;
    }
    const now = Date.now();
    // Pings while we are sending are what grpc-go's and others' BDP estimators do, not abuse.
    this.strikes = this.sentSincePing
      ? 0
      : pingStrike({ lastPingMs: this.lastPingMs, strikes: this.strikes }, now, this.streams.size, this.limits);
    this.sentSincePing = false;
    this.lastPingMs = now;
    if (this.strikes > MAX_PING_STRIKES) {
      this.events.debug("client broke the keepalive policy: GOAWAY too_many_pings");
      throw calm("too_many_pings");
    }
    this.writer.append(encodeFrame(FrameType.PING, Flag.ACK, 0, buf.subarray(start, start + 8)));
  }

  onWindowUpdate(id: number, increment: number): void {
    if (!this.flood.windowUpdates.take()) throw calm("too many WINDOW_UPDATE frames");
    if (id === 0) {
      if (!this.send.add(increment)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
      this.resumeSends();
      return;
    }
    if (this.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream (§5.1)");
    const stream = this.streams.get(id);
    // Closed: the client may not have seen our END_STREAM or RST_STREAM yet (§5.1 allows it).
    if (stream === undefined) return;
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.provokedReset(stream, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow (§6.9.1)");
      return;
    }
    if (stream.pending !== undefined) this.flushStream(stream);
    if (stream.held !== undefined || this.backedUp) this.resumeReads();
  }

  onStreamError(id: number, type: number, code: number, message: string): void {
    // PRIORITY may name an idle stream (§5.1); any other frame on one is a connection error.
    if (type !== FrameType.PRIORITY && this.isIdle(id)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `${message} on an idle stream (§5.1)`);
    }
    this.streamError(id, code, message);
  }

  onIgnored(_type: number): void {
    // PRIORITY and unknown types are read past (RFC 9113 §4.1, §5.5), up to a budget.
    if (!this.flood.ignored.take()) throw calm("too many PRIORITY or unknown frames");
  }

  onConnectionError(err: ConnectionError): void {
    this.connectionError(err);
  }

  // --- connection lifetime -------------------------------------------------------------------------------

  private connectionError(err: ConnectionError): void {
    if (this.dead) return;
    this.events.debug(`connection error: ${err.message}`);
    this.writer.append(goawayFrame(this.lastStreamId, err.code, err.message));
    // Not destroyed at once: closing with the peer's bytes unread makes the kernel send RST, and a peer
    // still writing (a flood, most often) then loses the GOAWAY that says why. As nginx's lingering close
    // does, we end our side and read and drop what still comes for a bounded time.
    this.closeSoon();
    this.abortAll();
    if (this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  /** Every stream is gone: a draining connection ends; an idle timer starts. */
  private becameIdle(): void {
    if (this.draining) {
      this.closeSoon();
      return;
    }
    if (this.limits.maxConnectionIdleMs > 0) this.armIdle();
  }

  /** Ends the connection once what is queued has been written. */
  private closeSoon(): void {
    if (this.dead) return;
    this.dead = true;
    this.reader.stopped = true;
    this.clearTimers();
    this.writer.flush();
    this.socket.end();
    // A client that never closes its side must not keep the socket open for ever.
    setTimeout(() => this.socket.destroy(), 1000).unref?.();
  }

  private onClosed(): void {
    const wasDead = this.dead;
    this.dead = true;
    this.reader.stopped = true;
    this.clearTimers();
    if (!wasDead || this.streams.size > 0) this.abortAll();
    this.events.closed(this);
  }

  private abortAll(): void {
    const open = [...this.streams.values()];
    this.streams.clear();
    this.heldStreams = 0;
    for (const s of open) {
      s.done = true;
      this.dropQueued(s);
      s.held = undefined; // the connection is gone: no window to return
      s.heldBytes = 0;
      this.releaseRequestBytes(s);
      this.events.streamClosed();
      s.handler?.onAbort();
    }
  }

  private armKeepalive(): void {
    this.keepaliveTimer = setTimeout(() => {
      if (this.dead) return;
      if (this.readAny) {
        this.readAny = false;
        this.armKeepalive();
        return;
      }
      // Silent for keepaliveTimeMs: ask; an unanswered ping closes the connection.
      this.pingOutstanding = true;
      this.writer.append(encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8)));
      this.keepaliveTimer = setTimeout(() => {
        if (this.pingOutstanding) {
          this.events.debug("keepalive ping unanswered: closing the connection");
          this.destroy();
        } else {
          this.armKeepalive();
        }
      }, this.limits.keepaliveTimeoutMs);
    }, this.limits.keepaliveTimeMs);
    this.keepaliveTimer.unref?.();
  }

  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      if (this.streams.size === 0) this.drain(ErrorCode.NO_ERROR, "max_idle");
    }, this.limits.maxConnectionIdleMs);
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private onMaxAge(): void {
    this.ageTimer = undefined;
    this.drain(ErrorCode.NO_ERROR, "max_age");
    const grace = this.limits.maxConnectionAgeGraceMs;
    if (grace > 0 && !this.dead) this.ageTimer = setTimeout(() => this.destroy(), grace);
  }

  private clearTimers(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    if (this.keepaliveTimer !== undefined) clearTimeout(this.keepaliveTimer);
    if (this.ageTimer !== undefined) clearTimeout(this.ageTimer);
    this.keepaliveTimer = undefined;
    this.ageTimer = undefined;
    if (this.sendTimer !== undefined) clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    this.clearIdle();
  }
}
