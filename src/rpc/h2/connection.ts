// One HTTP/2 client connection over any Duplex: preface and SETTINGS, flow control both ways, stream
// slots under the peer's MAX_CONCURRENT_STREAMS, GOAWAY, RST_STREAM, CONTINUATION and deadlines. Unary
// calls are the only kind of stream; each is a UnaryCall, which turns the frames into a Result.
import type { Duplex } from "node:stream";
import { FRAME_HEADER_BYTES } from "../frame.ts";
import { type RpcError, rpcError, Status } from "../status.ts";
import { FieldCheck } from "./field-check.ts";
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  encodeFrame,
  Flag,
  FRAME_HEADER,
  FrameParser,
  FrameType,
  goawayFrame,
  MAX_WINDOW,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./frame.ts";
import { ConnectionError, HeaderBlocks, readSettings, writeHeaderBlock } from "./header-block.ts";
import { type HeaderSink, HpackDecoder } from "./hpack-decoder.ts";
import { ResponseFields, type UnaryCall } from "./unary-call.ts";
import { Writer } from "./writer.ts";

// What we let the server send before it must wait for a WINDOW_UPDATE: per stream enough for typical
// responses in one go, per connection enough for many streams at once. Returned when half is used.
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;
// A header block this large is an attack or a bug, not a gRPC response.
const MAX_HEADER_BLOCK = 1 << 20;
// Stream ids are 31 bits; past this the connection is retired and a new one opened.
const LAST_STREAM_ID = 0x7fffffff;
// How often a call the server never saw is sent again (as gRPC clients do, and src/rpc/client.ts).
const MAX_TRANSPARENT_RETRIES = 2;
// Requests up to this size are copied into the output buffer; larger ones are written as they are.
const COPY_WHOLE = 16 * 1024;
// Where a request's gRPC prefix is built when the request goes out in pieces.
const PREFIX_SCRATCH = Buffer.alloc(FRAME_HEADER_BYTES);
// HEADERS flags that put more than the header block into the payload.
const HEADERS_EXTRAS = Flag.PADDED | Flag.PRIORITY;
// Streams we reset whose late frames are ignored (RFC 9113 §5.1, "closed"); the RFC lets that period be
// limited, so only the most recent ones are remembered and later frames on older ones get STREAM_CLOSED.
const MAX_RESET_REMEMBERED = 1024;
const PRIORITY_LENGTH = 5;

export interface ConnectionEvents {
  /** The connection takes no new calls from now on (GOAWAY, error or close). */
  unusable(conn: H2Connection): void;
  /** The server sent GOAWAY. */
  goaway(): void;
  /**
   * Calls the server never processed (queued here, above a GOAWAY's last stream id, or refused with
   * REFUSED_STREAM before any answer): to be sent again, on another connection.
   */
  requeue(call: UnaryCall): void;
}

type State = "open" | "draining" | "dead";

export class H2Connection {
  private state: State = "open";
  private readonly writer: Writer;
  private readonly parser = new FrameParser(DEFAULT_MAX_FRAME_SIZE);
  private readonly hpack = new HpackDecoder();
  private readonly fields = new ResponseFields();
  private readonly check = new FieldCheck();
  /** Ids of streams we sent RST_STREAM on, oldest first (a Set keeps insertion order). */
  private readonly resetByUs = new Set<number>();
  private readonly sink: HeaderSink;
  private readonly streams = new Map<number, UnaryCall>();
  /** Calls waiting for a stream slot (MAX_CONCURRENT_STREAMS). */
  private readonly queue: UnaryCall[] = [];
  private nextId = 1;

  // The peer's settings, and our send window on the connection.
  private maxConcurrent = Number.POSITIVE_INFINITY;
  private initialWindow = DEFAULT_WINDOW;
  private maxFrame = DEFAULT_MAX_FRAME_SIZE;
  private sendWindow = DEFAULT_WINDOW;
  /** Received DATA bytes not yet returned by a connection WINDOW_UPDATE. */
  private recvUnacked = 0;

  private readonly blocks = new HeaderBlocks(MAX_HEADER_BLOCK, (id, flags, block, start, end) =>
    this.onBlock(id, flags, block, start, end),
  );

  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closeWaiters: Array<() => void> = [];
  private failure: RpcError | undefined;

  /** Settles when the server's first SETTINGS arrives (ok) or the connection ends before that. */
  readonly established: Promise<RpcError | undefined>;
  private settle: ((e: RpcError | undefined) => void) | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly events: ConnectionEvents,
  ) {
    this.writer = new Writer(socket);
    const f = this.fields;
    const c = this.check;
    // Each field is checked as it comes (RFC 9113 §8.2, §8.3); the names a gRPC response always carries
    // are matched first and need no check of their characters.
    this.sink = (name, value) => {
      switch (name) {
        case ":status":
          c.onStatus(value);
          f.status = value;
          return;
        case "content-type":
          c.onKnown(value);
          f.contentType = value;
          return;
        case "grpc-status":
          c.onKnown(value);
          f.grpcStatus = value;
          return;
        case "grpc-message":
          c.onKnown(value);
          f.grpcMessage = value;
          return;
        default:
          c.onOther(name, value);
      }
    };
    this.established = new Promise((resolve) => {
      this.settle = resolve;
    });
    socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    socket.on("error", (err: Error) => {
      this.failure ??= rpcError(Status.UNAVAILABLE, `connection failed: ${err.message}`);
    });
    socket.on("close", () => this.onClosed());
    // A transport may hand the socket over paused (hvsock does, with the server's first bytes unshifted in
    // front); a 'data' listener alone does not restart a stream that was paused explicitly.
    socket.resume();
    this.writer.append(PREFACE);
    this.writer.append(
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
      ]),
    );
    this.writer.append(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
  }

  /** Whether new calls may start here. */
  get usable(): boolean {
    return this.state === "open";
  }

  get active(): number {
    return this.streams.size;
  }

  /** Starts a call, or queues it until a stream slot is free. */
  start(call: UnaryCall): void {
    if (this.state !== "open") {
      call.abort(rpcError(Status.UNAVAILABLE, "connection is closing"));
      return;
    }
    if (call.deadline < this.timerAt) this.armTimer(call.deadline);
    if (this.streams.size >= this.maxConcurrent) {
      this.queue.push(call);
      return;
    }
    this.open(call);
  }

  private open(call: UnaryCall): void {
    const id = this.nextId;
    this.nextId += 2;
    if (this.nextId > LAST_STREAM_ID) this.retire();
    call.id = id;
    call.sendWindow = this.initialWindow;
    this.streams.set(id, call);
    writeHeaderBlock(this.writer, id, call.headerBlock, this.maxFrame, false);
    this.sendData(call);
  }

  /** Sends as much of the request as both windows allow; the rest waits for WINDOW_UPDATE. */
  private sendData(call: UnaryCall): void {
    const w = this.writer;
    const total = call.total;
    if (
      call.sent === 0 &&
      total <= COPY_WHOLE &&
      total <= call.sendWindow &&
      total <= this.sendWindow &&
      total <= this.maxFrame
    ) {
      // The usual case: one DATA frame, prefix and message copied straight into the output buffer.
      const at = w.reserve(FRAME_HEADER + total);
      const slab = w.slab;
      writeFrameHeader(slab, at, total, FrameType.DATA, Flag.END_STREAM, call.id);
      slab[at + FRAME_HEADER] = 0;
      slab.writeUInt32BE(call.request.length, at + FRAME_HEADER + 1);
      slab.set(call.request, at + FRAME_HEADER + 5);
      call.sent = total;
      call.sendWindow -= total;
      this.sendWindow -= total;
      return;
    }
    // In pieces, as the windows allow: the 5-byte prefix is written into the output buffer, the message
    // is queued as views of the caller's bytes, never copied into a framed request of its own.
    const request = call.requestBuffer();
    while (call.sent < total) {
      const n = Math.min(total - call.sent, call.sendWindow, this.sendWindow, this.maxFrame);
      if (n <= 0) return;
      const end = call.sent + n;
      const prefix = Math.max(0, Math.min(FRAME_HEADER_BYTES, end) - call.sent);
      const at = w.reserve(FRAME_HEADER + prefix);
      writeFrameHeader(w.slab, at, n, FrameType.DATA, end === total ? Flag.END_STREAM : 0, call.id);
      if (prefix > 0) {
        PREFIX_SCRATCH[0] = 0;
        PREFIX_SCRATCH.writeUInt32BE(request.length, 1);
        w.slab.set(PREFIX_SCRATCH.subarray(call.sent, call.sent + prefix), at + FRAME_HEADER);
      }
      const from = Math.max(call.sent, FRAME_HEADER_BYTES) - FRAME_HEADER_BYTES;
      const to = end - FRAME_HEADER_BYTES;
      if (to > from) w.append(request.subarray(from, to), false);
      call.sent = end;
      call.sendWindow -= n;
      this.sendWindow -= n;
    }
  }

  private resumeSends(): void {
    for (const call of this.streams.values()) {
      if (this.sendWindow <= 0) return;
      if (call.sent < call.total) this.sendData(call);
    }
  }

  private onBytes(chunk: Buffer): void {
    if (this.state === "dead") return;
    const err = this.parser.push(chunk, this.onFrame);
    if (err) this.connectionError(new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, err.message));
  }

  private readonly onFrame = (type: number, flags: number, id: number, buf: Buffer, start: number, end: number) => {
    if (this.state === "dead") return;
    try {
      this.frame(type, flags, id, buf, start, end);
    } catch (err) {
      // Only our own ConnectionErrors are expected here; anything else is a bug, still not a crash.
      this.connectionError(
        err instanceof ConnectionError ? err : new ConnectionError(ErrorCode.INTERNAL_ERROR, String(err)),
      );
    }
  };

  private frame(type: number, flags: number, id: number, buf: Buffer, start: number, end: number): void {
    this.blocks.check(type, id);
    // The per-call frames are handled on ranges of the read buffer; the rest get a view of their own.
    if (type === FrameType.HEADERS && (flags & HEADERS_EXTRAS) === 0 && flags & Flag.END_HEADERS && id % 2 === 1) {
      this.onBlock(id, flags, buf, start, end);
      return;
    }
    if (type === FrameType.DATA) {
      this.onData(flags, id, buf, start, end);
      return;
    }
    const payload = buf.subarray(start, end);
    switch (type) {
      case FrameType.HEADERS:
        this.blocks.headers(flags, id, payload);
        return;
      case FrameType.CONTINUATION:
        this.blocks.continuation(flags, id, payload);
        return;
      case FrameType.RST_STREAM:
        this.onRst(id, payload);
        return;
      case FrameType.SETTINGS:
        this.onSettings(flags, id, payload);
        return;
      case FrameType.PING:
        this.onPing(flags, id, payload);
        return;
      case FrameType.GOAWAY:
        this.onGoaway(id, payload);
        return;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(id, payload);
        return;
      case FrameType.PUSH_PROMISE:
        // §6.6 and §8.4: we sent SETTINGS_ENABLE_PUSH 0, so a PUSH_PROMISE is a connection error.
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE although push is disabled");
      case FrameType.PRIORITY:
        this.onPriority(id, payload);
        return;
      default:
        return; // unknown types are ignored, as RFC 9113 §4.1 and §5.5 ask.
    }
  }

  /** §5.1: a stream we have not opened yet. Push is off, so every even (server-initiated) id is idle too. */
  private idle(id: number): boolean {
    return id % 2 === 0 || id >= this.nextId;
  }

  /**
   * A HEADERS or DATA frame on a stream that is not open: on an idle one a connection error (§5.1); on one
   * we reset, ignored (§5.1, "closed"); on one the server ended or reset, a stream error STREAM_CLOSED
   * (§5.1 "half-closed (remote)", §6.1), sent once per stream.
   */
  private notOpen(id: number, what: string): void {
    if (this.idle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
    if (this.resetByUs.has(id)) return;
    this.reset(id, ErrorCode.STREAM_CLOSED);
  }

  /** Sends RST_STREAM and remembers the stream, so that its late frames are ignored. */
  private reset(id: number, code: number): void {
    this.writer.append(rstStreamFrame(id, code));
    const ids = this.resetByUs;
    ids.add(id);
    if (ids.size > MAX_RESET_REMEMBERED) ids.delete(ids.values().next().value as number);
  }

  /** §6.3: PRIORITY carries nothing we use, but its shape is still checked. */
  private onPriority(id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
    if (payload.length === PRIORITY_LENGTH) return;
    // A stream error; on an idle stream RST_STREAM may not be sent (§6.4), so the connection goes instead.
    if (this.idle(id)) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PRIORITY is not 5 bytes");
    const call = this.streams.get(id);
    if (call !== undefined) {
      this.cancel(
        call,
        rpcError(Status.INTERNAL, "PRIORITY frame of the wrong size from server"),
        ErrorCode.FRAME_SIZE_ERROR,
      );
    } else if (!this.resetByUs.has(id)) {
      this.reset(id, ErrorCode.FRAME_SIZE_ERROR);
    }
  }

  private onData(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    const length = end - start;
    let from = start;
    let to = end;
    // §6.1: padding as long as the payload is a connection error, whatever state the stream is in.
    if (flags & Flag.PADDED) {
      if (length < 1 || (buf[start] as number) >= length) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA padding longer than the frame");
      }
      from = start + 1;
      to = end - (buf[start] as number);
    }
    const call = this.streams.get(id);
    // Flow control counts the whole frame, padding included, even for streams we have forgotten.
    this.recvUnacked += length;
    if (this.recvUnacked >= CONNECTION_WINDOW / 2) {
      this.writer.append(windowUpdateFrame(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    if (call === undefined) {
      this.notOpen(id, "DATA");
      return;
    }
    // §8.1: a response opens with HEADERS; nghttp2 resets a stream whose DATA comes first. An empty
    // END_STREAM is let through as "ended without a response" (UNAVAILABLE, as the node:http2 client says):
    // Bun's node:http2 server sends exactly that when it closes a stream with a code.
    if (!call.responded && (length > 0 || (flags & Flag.END_STREAM) === 0)) {
      this.malformed(call, "DATA before the response headers");
      return;
    }
    const err = call.onData(buf, from, to);
    if (err) {
      this.cancel(call, err);
      return;
    }
    if (flags & Flag.END_STREAM) {
      this.finish(call, undefined);
      return;
    }
    call.unacked += length;
    if (call.unacked >= STREAM_WINDOW / 2) {
      this.writer.append(windowUpdateFrame(id, call.unacked));
      call.unacked = 0;
    }
  }

  private onBlock(id: number, flags: number, block: Buffer, start: number, end: number): void {
    this.fields.reset();
    this.check.reset();
    // Decoded even when the stream is gone, to keep the dynamic table in step with the server's.
    const err = this.hpack.decode(block, this.sink, start, end);
    if (err) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, `bad HPACK from server: ${err.message}`);
    const call = this.streams.get(id);
    if (call === undefined) {
      this.notOpen(id, "HEADERS");
      return;
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const problem = this.blockProblem(call, endStream);
    if (problem !== undefined) {
      this.malformed(call, problem);
      return;
    }
    // §8.1: an informational (1xx) response comes before the real one and says nothing to a gRPC call.
    if (!call.responded && (this.fields.status as string).charCodeAt(0) === 0x31) return;
    call.onHeaders(this.fields);
    if (endStream) this.finish(call, undefined);
  }

  /** What makes this header block malformed (§8.1, §8.3), given where it comes in the response. */
  private blockProblem(call: UnaryCall, endStream: boolean): string | undefined {
    const c = this.check;
    if (c.problem !== undefined) return c.problem;
    if (!call.responded) {
      if (!c.status) return "response headers without :status";
      if (endStream && (this.fields.status as string).charCodeAt(0) === 0x31) {
        return "informational response with END_STREAM";
      }
      return undefined;
    }
    if (c.status) return "pseudo-header in trailers";
    if (!endStream) return "trailers without END_STREAM";
    return undefined;
  }

  /** §8.1.1: a malformed response is a stream error PROTOCOL_ERROR; grpc-go reports it as INTERNAL. */
  private malformed(call: UnaryCall, problem: string): void {
    this.cancel(
      call,
      rpcError(Status.INTERNAL, `malformed response from server: ${problem}`),
      ErrorCode.PROTOCOL_ERROR,
    );
  }

  private onRst(id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM is not 4 bytes");
    const call = this.streams.get(id);
    if (call === undefined) {
      if (this.idle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`);
      return; // §5.1: a reset may cross our own END_STREAM or RST_STREAM
    }
    const code = payload.readUInt32BE(0);
    // Refused before any answer: the server did not process it. Like src/rpc/client.ts, send it again on a
    // fresh connection (this one takes no new calls, in case the refusal says something about it).
    if (code === ErrorCode.REFUSED_STREAM && !call.responded && call.retries < MAX_TRANSPARENT_RETRIES) {
      this.streams.delete(id);
      this.retire();
      this.retry(call);
      this.closeIfIdle();
      return;
    }
    this.finish(call, code, false);
  }

  private retry(call: UnaryCall): void {
    call.retries++;
    call.rewind();
    this.events.requeue(call);
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & Flag.ACK) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      return;
    }
    // readSettings checks every entry (§6.5.2) before any is applied.
    for (const [key, value] of readSettings(id, payload)) {
      if (key === Setting.MAX_CONCURRENT_STREAMS) {
        this.maxConcurrent = value;
      } else if (key === Setting.ENABLE_PUSH) {
        // §6.5.2: a server may only repeat the default for clients, 0.
        if (value !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "server sent SETTINGS_ENABLE_PUSH 1");
      } else if (key === Setting.INITIAL_WINDOW_SIZE) {
        // The change applies to every open stream's window, which may go negative but not past 2^31-1
        // (§6.9.2).
        const delta = value - this.initialWindow;
        this.initialWindow = value;
        for (const call of this.streams.values()) {
          call.sendWindow += delta;
          if (call.sendWindow > MAX_WINDOW) {
            throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE overflows a window");
          }
        }
      } else if (key === Setting.MAX_FRAME_SIZE) {
        this.maxFrame = value;
      }
      // HEADER_TABLE_SIZE: our encoder uses no dynamic table; the others do not concern a client.
    }
    this.writer.append(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    this.settle?.(undefined);
    this.settle = undefined;
    this.resumeSends();
    this.pump();
  }

  private onPing(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
    if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING is not 8 bytes");
    if ((flags & Flag.ACK) === 0) this.writer.append(encodeFrame(FrameType.PING, Flag.ACK, 0, payload));
  }

  private onGoaway(id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
    const last = payload.readUInt32BE(0) & MAX_WINDOW;
    const code = payload.readUInt32BE(4);
    this.events.goaway();
    this.retire();
    // Streams above last-stream-id were never processed: sent again elsewhere, up to the retry limit, and
    // then UNAVAILABLE (retryable by the caller).
    const refused = rpcError(Status.UNAVAILABLE, `server sent GOAWAY (code ${code}) before processing the call`);
    for (const call of [...this.streams.values()]) {
      if (call.id <= last) continue;
      if (call.retries < MAX_TRANSPARENT_RETRIES) {
        this.streams.delete(call.id);
        this.retry(call);
      } else {
        this.finish(call, undefined, false, refused);
      }
    }
    this.closeIfIdle();
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE is not 4 bytes");
    const inc = payload.readUInt32BE(0) & MAX_WINDOW;
    if (id === 0) {
      if (inc === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
      this.resumeSends();
      return;
    }
    const call = this.streams.get(id);
    if (call === undefined) {
      if (this.idle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`);
      return; // §5.1: may cross our END_STREAM or RST_STREAM
    }
    // §6.9: an increment of 0 is a PROTOCOL_ERROR, a window past 2^31-1 a FLOW_CONTROL_ERROR (§6.9.1);
    // both are stream errors here, reported INTERNAL as grpc-go does.
    if (inc === 0) {
      this.cancel(call, rpcError(Status.INTERNAL, "stream WINDOW_UPDATE of 0 from server"), ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (call.sendWindow + inc > MAX_WINDOW) {
      this.cancel(call, rpcError(Status.INTERNAL, "stream window overflow from server"), ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    call.sendWindow += inc;
    this.sendData(call);
  }

  /** Ends a stream and settles its call. `reset`: tell the server too, if our side is still open. */
  private finish(call: UnaryCall, rstCode: number | undefined, reset = true, streamError?: RpcError): void {
    this.streams.delete(call.id);
    // The server answered before taking all of the request (e.g. too large): close our half as well.
    if (reset && call.sent < call.total) this.reset(call.id, ErrorCode.CANCEL);
    call.end(rstCode, streamError);
    this.pump();
    this.closeIfIdle();
  }

  /** Gives up on a call: RST_STREAM to the server, the error to the caller. */
  private cancel(call: UnaryCall, error: RpcError, code: number = ErrorCode.CANCEL): void {
    this.streams.delete(call.id);
    this.reset(call.id, code);
    call.abort(error);
    this.pump();
    this.closeIfIdle();
  }

  /** Starts queued calls while stream slots are free. */
  private pump(): void {
    while (this.queue.length > 0 && this.streams.size < this.maxConcurrent && this.state === "open") {
      const call = this.queue.shift() as UnaryCall;
      if (!call.done) this.open(call);
    }
  }

  /** No new streams here: after GOAWAY, or when stream ids run out. Queued calls move elsewhere. */
  private retire(): void {
    if (this.state !== "open") return;
    this.state = "draining";
    this.events.unusable(this);
    const queued = this.queue.splice(0);
    for (const call of queued) if (!call.done) this.events.requeue(call);
  }

  private closeIfIdle(): void {
    if (this.state === "draining" && this.streams.size === 0) {
      this.writer.flush();
      this.socket.end();
    }
  }

  // One timer for all deadlines of the connection, set for the earliest: with the same timeout on every
  // call (bench) it is armed once per timeout period instead of once per call.
  private armTimer(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - performance.now()));
    this.timer.unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const call of [...this.streams.values()]) {
      if (call.deadline <= now) this.cancel(call, deadlineError(call));
      else if (call.deadline < next) next = call.deadline;
    }
    for (let i = 0; i < this.queue.length; ) {
      const call = this.queue[i] as UnaryCall;
      if (call.deadline <= now || call.done) {
        this.queue.splice(i, 1);
        call.abort(deadlineError(call));
      } else {
        if (call.deadline < next) next = call.deadline;
        i++;
      }
    }
    if (next !== Number.POSITIVE_INFINITY && this.state !== "dead") this.armTimer(next);
  };

  private connectionError(err: ConnectionError): void {
    if (this.state === "dead") return;
    this.writer.append(goawayFrame(0, err.code, err.message));
    this.writer.flush();
    const code = err.code === ErrorCode.ENHANCE_YOUR_CALM ? Status.RESOURCE_EXHAUSTED : Status.INTERNAL;
    this.failure = rpcError(code, `HTTP/2 protocol error from the server: ${err.message}`);
    this.die();
    this.socket.destroy();
  }

  private onClosed(): void {
    this.failure ??= rpcError(Status.UNAVAILABLE, "connection closed");
    this.die();
  }

  /** The connection is gone: every call still here ends, with what it has seen or the failure. */
  private die(): void {
    if (this.state === "dead") return;
    const wasOpen = this.state === "open";
    this.state = "dead";
    if (wasOpen) this.events.unusable(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const failure = this.failure ?? rpcError(Status.UNAVAILABLE, "connection closed");
    this.settle?.(failure);
    this.settle = undefined;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const call of streams) call.end(undefined, failure);
    for (const call of this.queue.splice(0)) call.abort(failure);
    for (const w of this.closeWaiters.splice(0)) w();
  }

  /** Closes gracefully: calls in flight may finish within graceMs, then the socket is destroyed. */
  close(graceMs: number): Promise<void> {
    if (this.state === "dead") return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.failure ??= rpcError(Status.UNAVAILABLE, "channel closed");
    for (const call of this.queue.splice(0)) call.abort(rpcError(Status.UNAVAILABLE, "channel closed"));
    if (this.state === "open") {
      this.state = "draining";
      this.events.unusable(this);
    }
    this.closeIfIdle();
    const force = setTimeout(() => {
      this.die();
      this.socket.destroy();
    }, graceMs);
    return done.finally(() => clearTimeout(force));
  }
}

function deadlineError(call: UnaryCall): RpcError {
  return rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${call.timeoutMs} ms exceeded`);
}
