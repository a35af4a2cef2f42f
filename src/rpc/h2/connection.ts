// One HTTP/2 client connection over any Duplex: preface and SETTINGS, flow control both ways, stream
// slots under the peer's MAX_CONCURRENT_STREAMS, GOAWAY, RST_STREAM, CONTINUATION and deadlines. A stream
// carries a ClientUnaryCall (one request, frames turned into a Result, nothing recorded it does not need)
// or a ClientStreamCall (requests queued as the application sends them, each response message handed on
// as it arrives, headers and trailers kept as metadata); both share slots, windows and the checks of §8.
import type { Duplex } from "node:stream";
import { PREFIX_BYTES, trySendWhole } from "../../h2/data.ts";
import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { contentLength } from "../../h2/fields.ts";
import { CONNECTION_WINDOW, InFlow, OutFlow, STREAM_WINDOW, shiftSendWindows } from "../../h2/flow.ts";
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FrameType,
  goawayFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from "../../h2/frame.ts";
import { writeHeaderBlock } from "../../h2/header-block.ts";
import { type HeaderSink, HpackDecoder } from "../../h2/hpack/decoder.ts";
import { writePingAck } from "../../h2/ping.ts";
import { type FrameHandler, FrameReader } from "../../h2/reader.ts";
import { SendQueue } from "../../h2/send-queue.ts";
import { isIdle } from "../../h2/streams.ts";
import { Writer } from "../../h2/writer.ts";
import { type RpcError, rpcError, Status } from "../status.ts";
import { FieldCheck } from "./field-check.ts";
import { ClientStreamCall, type StreamHost } from "./stream-call.ts";
import { type ClientUnaryCall, INVALID_CONTENT_LENGTH, ResponseFields } from "./unary-call.ts";

// A header block this large is an attack or a bug, not a gRPC response.
const MAX_HEADER_BLOCK = 1 << 20;
// Stream ids are 31 bits; past this the connection is retired and a new one opened.
const LAST_STREAM_ID = 0x7fffffff;
// How often a call the server never saw is sent again (as gRPC clients do, and src/rpc/client.ts).
const MAX_TRANSPARENT_RETRIES = 2;
// Streams we reset whose late frames are ignored (RFC 9113 §5.1, "closed"); the RFC lets that period be
// limited, so only the most recent ones are remembered and later frames on older ones get STREAM_CLOSED.
const MAX_RESET_REMEMBERED = 1024;
const DIGIT_ONE = 0x31;
const COLON = 0x3a;

/** What a stream carries: the connection treats both alike but for sending and the end. */
export type Call = ClientUnaryCall | ClientStreamCall;

export interface ConnectionEvents {
  /** The connection takes no new calls from now on (GOAWAY, error or close). */
  unusable(conn: ClientConnection): void;
  /** The server sent GOAWAY. */
  goaway(): void;
  /**
   * Calls the server never processed (queued here, above a GOAWAY's last stream id, or refused with
   * REFUSED_STREAM before any answer): to be sent again, on another connection. A stream call comes here
   * only while none of its requests went out (ClientStreamCall.replayable).
   */
  requeue(call: Call): void;
}

type State = "open" | "draining" | "dead";

export class ClientConnection implements FrameHandler, StreamHost {
  private state: State = "open";
  private readonly writer: Writer;
  private readonly reader = new FrameReader(this, { maxHeaderBlock: MAX_HEADER_BLOCK, peerIsClient: false });
  private readonly hpack = new HpackDecoder();
  private readonly fields = new ResponseFields();
  private readonly check = new FieldCheck();
  /** Ids of streams we sent RST_STREAM on, oldest first (a Set keeps insertion order). */
  private readonly resetByUs = new Set<number>();
  private readonly sink: HeaderSink;
  /** The fields of the block being decoded for a stream call, pseudo-headers left out. */
  private recorded: Array<readonly [string, string]> = [];
  // Stream calls keep their metadata, unary calls do not pay for it: only their blocks go through here.
  private readonly recordingSink: HeaderSink = (name, value) => {
    if (name.charCodeAt(0) !== COLON) this.recorded.push([name, value]);
    this.sink(name, value);
  };
  private readonly streams = new Map<number, Call>();
  /** Calls waiting for a stream slot (MAX_CONCURRENT_STREAMS). */
  private readonly queue: Call[] = [];
  private nextId = 1;
  /** The peer's settings (maxConcurrentStreams, initialWindow, maxFrameSize), as the reader applied them. */
  private readonly peer = this.reader.peer;
  /** Our send window on the connection, and what the server may still send on it. */
  private readonly send = new OutFlow(DEFAULT_WINDOW);
  private readonly recv = new InFlow(CONNECTION_WINDOW, CONNECTION_WINDOW);

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
          if (name === "content-length") {
            const n = contentLength(value);
            f.contentLength = n < 0 ? INVALID_CONTENT_LENGTH : n;
          }
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
  start(call: Call): void {
    if (this.state !== "open") {
      call.abort(rpcError(Status.UNAVAILABLE, "connection is closing"));
      return;
    }
    if (call.deadline < this.timerAt) this.armTimer(call.deadline);
    if (this.streams.size >= this.peer.maxConcurrentStreams) {
      this.queue.push(call);
      return;
    }
    this.open(call);
  }

  private open(call: Call): void {
    const id = this.nextId;
    this.nextId += 2;
    if (this.nextId > LAST_STREAM_ID) this.retire();
    call.id = id;
    call.flow.reset(this.peer.initialWindow);
    this.streams.set(id, call);
    writeHeaderBlock(this.writer, id, call.headerBlock, this.peer.maxFrameSize, false);
    if (call instanceof ClientStreamCall) {
      call.host = this;
      this.pushStream(call);
    } else this.sendData(call);
  }

  /**
   * Sends a stream call's queued requests as far as both windows allow, each in DATA frames of at most
   * the peer's frame size; END_STREAM goes on the last piece once end() was called, or alone in an
   * empty DATA frame when nothing is queued. What the windows hold back waits for WINDOW_UPDATE.
   */
  pushStream(call: ClientStreamCall): void {
    if (call.id === 0 || this.streams.get(call.id) !== call) return;
    call.sent += call.out.flush(this.writer, call.id, call.flow, this.send, this.peer.maxFrameSize, call.halfClosed);
  }

  /** The usual request of a stream call: one DATA frame, prefix and message copied into the output buffer. */
  sendMessage(call: ClientStreamCall, message: Uint8Array): boolean {
    if (call.out.bytes > 0 || this.streams.get(call.id) !== call) return false;
    const sent = trySendWhole(
      this.writer,
      call.id,
      0,
      message,
      message.length,
      call.flow,
      this.send,
      this.peer.maxFrameSize,
    );
    if (sent) call.sent += message.length + PREFIX_BYTES;
    return sent;
  }

  /** The application cancelled an open stream call, or it failed on this side (a message too large). */
  cancelStream(call: ClientStreamCall, error: RpcError): void {
    if (this.streams.get(call.id) !== call) {
      call.abort(error);
      return;
    }
    this.cancel(call, error);
  }

  /** Sends as much of the request as both windows allow; the rest waits for WINDOW_UPDATE. */
  private sendData(call: ClientUnaryCall): void {
    const w = this.writer;
    const maxFrame = this.peer.maxFrameSize;
    let out = call.out;
    if (out === undefined) {
      if (call.sent > 0) return; // sent whole already
      const request = call.request;
      if (trySendWhole(w, call.id, Flag.END_STREAM, request, request.length, call.flow, this.send, maxFrame)) {
        call.sent = call.total;
        return;
      }
      // In pieces, as the windows allow: the 5-byte prefix, then the message as views of the caller's
      // bytes, never copied into a framed request of its own.
      out = new SendQueue();
      const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
      prefix[0] = 0;
      prefix.writeUInt32BE(request.length, 1);
      out.push(prefix);
      out.push(call.requestBuffer());
      call.out = out;
    }
    call.sent += out.flush(w, call.id, call.flow, this.send, maxFrame, true);
  }

  private resumeSends(): void {
    for (const call of this.streams.values()) {
      if (this.send.avail <= 0) return;
      if (call.sent < call.total) {
        if (call instanceof ClientStreamCall) this.pushStream(call);
        else this.sendData(call);
      }
    }
  }

  private onBytes(chunk: Buffer): void {
    if (this.state !== "dead") this.reader.push(chunk);
  }

  // --- frames from the server (FrameHandler): src/h2/reader.ts has checked what holds on any stream ---

  onData(id: number, flags: number, buf: Buffer, from: number, to: number, length: number): void {
    // Flow control counts the whole frame, padding included, even for streams we have forgotten.
    if (!this.recv.take(length)) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    this.recv.consumed(length);
    const due = this.recv.due();
    if (due > 0) this.writer.append(windowUpdateFrame(0, due));
    const call = this.streams.get(id);
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
    if (call.declaredBody >= 0) {
      // §8.1.1: a body that disagrees with its content-length is malformed, found as soon as it shows.
      call.bodyBytes += to - from;
      const ended = (flags & Flag.END_STREAM) !== 0;
      if (call.bodyBytes > call.declaredBody || (ended && call.bodyBytes !== call.declaredBody)) {
        this.malformed(call, "DATA disagrees with content-length");
        return;
      }
    }
    if (!call.flow.take(length)) {
      this.cancel(
        call,
        rpcError(Status.INTERNAL, "server sent DATA beyond the stream window"),
        ErrorCode.FLOW_CONTROL_ERROR,
      );
      return;
    }
    const err = call.onData(buf, from, to);
    if (err) {
      this.cancel(call, err);
      return;
    }
    // A stream call's application may have cancelled it from onMessage; the stream is gone then.
    if (call.done) return;
    if (flags & Flag.END_STREAM) {
      this.finish(call, undefined);
      return;
    }
    const increment = call.flow.consumed(length);
    if (increment > 0) this.writer.append(windowUpdateFrame(id, increment));
  }

  /** §5.1 (../../h2/streams.ts): a stream we have not opened yet, or an even one (push is off). */
  private idle(id: number): boolean {
    return isIdle(id, this.nextId - 2);
  }

  /** A frame on a stream we have no call on: on an idle one a connection error (§5.1); else read past. */
  private notIdle(id: number, what: string): void {
    if (this.idle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
  }

  /**
   * A HEADERS or DATA frame on a stream that is not open: on an idle one a connection error (§5.1); on one
   * we reset, ignored (§5.1, "closed"); on one the server ended or reset, a stream error STREAM_CLOSED
   * (§5.1 "half-closed (remote)", §6.1), sent once per stream.
   */
  private notOpen(id: number, what: string): void {
    this.notIdle(id, what);
    if (!this.resetByUs.has(id)) this.reset(id, ErrorCode.STREAM_CLOSED);
  }

  /** Sends RST_STREAM and remembers the stream, so that its late frames are ignored. */
  private reset(id: number, code: number): void {
    this.writer.append(rstStreamFrame(id, code));
    const ids = this.resetByUs;
    ids.add(id);
    if (ids.size > MAX_RESET_REMEMBERED) ids.delete(ids.values().next().value as number);
  }

  onHeaderBlock(id: number, flags: number, block: Buffer, start: number, end: number, streamError: number): void {
    this.fields.reset();
    this.check.reset();
    const call = this.streams.get(id);
    let sink = this.sink;
    if (call instanceof ClientStreamCall) {
      this.recorded = [];
      sink = this.recordingSink;
    }
    // Decoded even when the stream is gone, to keep the dynamic table in step with the server's.
    const err = this.hpack.decode(block, sink, start, end);
    if (err) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, `bad HPACK from server: ${err.message}`);
    if (call === undefined) {
      this.notOpen(id, "HEADERS");
      return;
    }
    if (streamError !== 0) {
      this.cancel(call, rpcError(Status.INTERNAL, "malformed response HEADERS from server"), streamError);
      return;
    }
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const problem = this.blockProblem(call, endStream);
    if (problem !== undefined) {
      this.malformed(call, problem);
      return;
    }
    // §8.1: an informational (1xx) response comes before the real one and says nothing to a gRPC call.
    if (!call.responded && (this.fields.status as string).charCodeAt(0) === DIGIT_ONE) return;
    if (call instanceof ClientStreamCall) {
      call.onHeaders(this.fields, endStream, this.recorded);
      if (call.done) return; // cancelled from onHeaders
    } else call.onHeaders(this.fields);
    if (endStream) this.finish(call, undefined);
  }

  /** What makes this header block malformed (§8.1, §8.3), given where it comes in the response. */
  private blockProblem(call: Call, endStream: boolean): string | undefined {
    const c = this.check;
    if (c.problem !== undefined) return c.problem;
    if (!call.responded) {
      if (!c.status) return "response headers without :status";
      if (endStream && (this.fields.status as string).charCodeAt(0) === DIGIT_ONE) {
        return "informational response with END_STREAM";
      }
      if (this.fields.contentLength === INVALID_CONTENT_LENGTH) return "content-length is not a number";
      if (endStream && this.fields.contentLength > 0) return "content-length but no DATA";
      return undefined;
    }
    if (c.status) return "pseudo-header in trailers";
    if (!endStream) return "trailers without END_STREAM";
    if (call.declaredBody >= 0 && call.bodyBytes !== call.declaredBody) return "DATA disagrees with content-length";
    return undefined;
  }

  /** §8.1.1: a malformed response is a stream error PROTOCOL_ERROR; grpc-go reports it as INTERNAL. */
  private malformed(call: Call, problem: string): void {
    this.cancel(
      call,
      rpcError(Status.INTERNAL, `malformed response from server: ${problem}`),
      ErrorCode.PROTOCOL_ERROR,
    );
  }

  onRstStream(id: number, code: number): void {
    const call = this.streams.get(id);
    if (call === undefined) {
      this.notIdle(id, "RST_STREAM");
      return;
    }
    // Refused before any answer: the server did not process it. Like src/rpc/client.ts, send it again on a
    // fresh connection (this one takes no new calls, in case the refusal says something about it).
    if (code === ErrorCode.REFUSED_STREAM && !call.responded && retryable(call)) {
      this.streams.delete(id);
      this.retire();
      this.retry(call);
      this.closeIfIdle();
      return;
    }
    this.finish(call, code, false);
  }

  private retry(call: Call): void {
    call.retries++;
    call.rewind();
    this.events.requeue(call);
  }

  onSettings(windowDelta: number): void {
    shiftSendWindows(this.streams.values(), windowDelta);
    // HEADER_TABLE_SIZE: our encoder uses no dynamic table; the others do not concern a client.
    this.writer.append(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    this.settle?.(undefined);
    this.settle = undefined;
    this.resumeSends();
    this.pump();
  }

  onSettingsAck(): void {}

  onPing(ack: boolean, buf: Buffer, start: number): void {
    if (!ack) writePingAck(this.writer, buf, start);
  }

  onGoaway(last: number, code: number, _debug: Buffer): void {
    this.events.goaway();
    this.retire();
    // Streams above last-stream-id were never processed: sent again elsewhere, up to the retry limit, and
    // then UNAVAILABLE (retryable by the caller).
    const refused = rpcError(Status.UNAVAILABLE, `server sent GOAWAY (code ${code}) before processing the call`);
    for (const call of [...this.streams.values()]) {
      if (call.id <= last) continue;
      if (retryable(call)) {
        this.streams.delete(call.id);
        this.retry(call);
      } else {
        this.finish(call, undefined, false, refused);
      }
    }
    this.closeIfIdle();
  }

  onWindowUpdate(id: number, increment: number): void {
    if (id === 0) {
      if (!this.send.add(increment)) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
      this.resumeSends();
      return;
    }
    const call = this.streams.get(id);
    if (call === undefined) {
      this.notIdle(id, "WINDOW_UPDATE");
      return;
    }
    if (!call.flow.grow(increment)) {
      this.onStreamError(id, FrameType.WINDOW_UPDATE, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
      return;
    }
    if (call instanceof ClientStreamCall) this.pushStream(call);
    else this.sendData(call);
  }

  onStreamError(id: number, _type: number, code: number, message: string): void {
    const call = this.streams.get(id);
    if (call === undefined) {
      // On an idle stream RST_STREAM may not be sent (§6.4), so the connection goes instead.
      if (this.idle(id)) throw new ConnectionError(code, `${message} on idle stream ${id}`);
      if (!this.resetByUs.has(id)) this.reset(id, code);
      return;
    }
    this.cancel(call, rpcError(Status.INTERNAL, `HTTP/2 stream error from the server: ${message}`), code);
  }

  onIgnored(_type: number): void {}

  onConnectionError(err: ConnectionError): void {
    this.connectionError(err);
  }

  /** Ends a stream and settles its call. `reset`: tell the server too, if our side is still open. */
  private finish(call: Call, rstCode: number | undefined, reset = true, streamError?: RpcError): void {
    this.streams.delete(call.id);
    // The server answered before taking all of the request (e.g. too large), or ended a stream call the
    // application had not half-closed: close our half as well.
    if (call instanceof ClientStreamCall) {
      if (reset && !call.out.endSent) this.reset(call.id, ErrorCode.CANCEL);
      call.streamEnded(rstCode, streamError);
    } else {
      if (reset && call.sent < call.total) this.reset(call.id, ErrorCode.CANCEL);
      // The caller's next call comes a promise hop later: one write for it and what this read wrote.
      this.writer.hold();
      call.end(rstCode, streamError);
    }
    this.pump();
    this.closeIfIdle();
  }

  /** Gives up on a call: RST_STREAM to the server, the error to the caller. */
  private cancel(call: Call, error: RpcError, code: number = ErrorCode.CANCEL): void {
    this.streams.delete(call.id);
    this.reset(call.id, code);
    call.abort(error);
    this.pump();
    this.closeIfIdle();
  }

  /** Starts queued calls while stream slots are free. */
  private pump(): void {
    while (this.queue.length > 0 && this.streams.size < this.peer.maxConcurrentStreams && this.state === "open") {
      const call = this.queue.shift() as Call;
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
      const call = this.queue[i] as Call;
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
    this.reader.stopped = true;
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
    this.reader.stopped = true;
    if (wasOpen) this.events.unusable(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const failure = this.failure ?? rpcError(Status.UNAVAILABLE, "connection closed");
    this.settle?.(failure);
    this.settle = undefined;
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const call of streams) {
      if (call instanceof ClientStreamCall) call.streamEnded(undefined, failure);
      else call.end(undefined, failure);
    }
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

/** Whether a call the server never processed may be sent again: within the retry limit, and for a stream
 * call only while none of its requests went out (they are not kept for a replay). */
function retryable(call: Call): boolean {
  if (call.retries >= MAX_TRANSPARENT_RETRIES) return false;
  return !(call instanceof ClientStreamCall) || call.replayable;
}

function deadlineError(call: Call): RpcError {
  return rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${call.timeoutMs} ms exceeded`);
}
