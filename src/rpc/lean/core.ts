// What a lean client connection is apart from reading frames (./connection.ts does that): the socket and
// its writer, stream slots under the peer's MAX_CONCURRENT_STREAMS with calls queued for them, the send
// path within the server's windows, deadlines, and how the connection ends.
import type { Duplex } from "node:stream";
import { PREFIX_BYTES, trySendWhole } from "../../h2/data.ts";
import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { CONNECTION_WINDOW, InFlow, OutFlow, STREAM_WINDOW } from "../../h2/flow.ts";
import {
  DEFAULT_WINDOW,
  goawayFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from "../../h2/frame.ts";
import { writeHeaderBlock } from "../../h2/header-block.ts";
import { type FrameHandler, FrameReader } from "../../h2/reader.ts";
import { isIdle } from "../../h2/streams.ts";
import { Writer } from "../../h2/writer.ts";
import { type RpcError, rpcError, Status } from "../status.ts";
import type { Call } from "./call.ts";
import { Deadlines, deadlineError } from "./deadlines.ts";
import { ClientStreamCall, type StreamHost } from "./stream-call.ts";

// A header block this large is an attack or a bug, not a gRPC response.
const MAX_HEADER_BLOCK = 1 << 20;
// Stream ids are 31 bits; past this the connection is retired and a new one opened.
const LAST_STREAM_ID = 0x7fffffff;
// Streams we reset whose late frames are ignored (RFC 9113 §5.1, "closed"); the RFC lets that period be
// limited, so only the most recent ones are remembered and later frames on older ones get STREAM_CLOSED.
const MAX_RESET_REMEMBERED = 1024;

interface ConnectionEvents {
  /** The connection takes no new calls from now on (GOAWAY, error or close). */
  unusable(conn: ClientCore): void;
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

export abstract class ClientCore implements FrameHandler, StreamHost {
  private state: State = "open";
  protected readonly writer: Writer;
  private readonly reader = new FrameReader(this, { maxHeaderBlock: MAX_HEADER_BLOCK, peerIsClient: false });
  /** Ids of streams we sent RST_STREAM on, oldest first (a Set keeps insertion order). */
  protected readonly resetByUs = new Set<number>();
  protected readonly streams = new Map<number, Call>();
  /** Calls waiting for a stream slot (MAX_CONCURRENT_STREAMS). */
  private readonly queue: Call[] = [];
  private nextId = 1;
  /** The peer's settings (maxConcurrentStreams, initialWindow, maxFrameSize), as the reader applied them. */
  private readonly peer = this.reader.peer;
  /** Our send window on the connection, and what the server may still send on it. */
  protected readonly send = new OutFlow(DEFAULT_WINDOW);
  protected readonly recv = new InFlow(CONNECTION_WINDOW, CONNECTION_WINDOW);

  private readonly deadlines = new Deadlines((now) => this.expire(now));
  private closeWaiters: Array<() => void> = [];
  private failure: RpcError | undefined;

  /** Settles when the server's first SETTINGS arrives (ok) or the connection ends before that. */
  readonly established: Promise<RpcError | undefined>;
  protected settle: ((e: RpcError | undefined) => void) | undefined;

  constructor(
    private readonly socket: Duplex,
    protected readonly events: ConnectionEvents,
  ) {
    this.writer = new Writer(socket, true); // slab reuse: the load path (src/h2/writer.ts)
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
    this.deadlines.watch(call.deadline);
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
    if (call instanceof ClientStreamCall) call.host = this;
    this.sendMore(call);
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

  /** Sends as much of what the call has to send as both windows allow; the rest waits for WINDOW_UPDATE. */
  protected sendMore(call: Call): void {
    if (call instanceof ClientStreamCall) this.pushStream(call);
    else call.sendRequest(this.writer, this.send, this.peer.maxFrameSize);
  }

  protected resumeSends(): void {
    for (const call of this.streams.values()) {
      if (this.send.avail <= 0) return;
      if (call.sent < call.total) this.sendMore(call);
    }
  }

  private onBytes(chunk: Buffer): void {
    if (this.state !== "dead") this.reader.push(chunk);
  }

  /** §5.1 (../../h2/streams.ts): a stream we have not opened yet, or an even one (push is off). */
  protected idle(id: number): boolean {
    return isIdle(id, this.nextId - 2);
  }

  /** A frame on a stream we have no call on: on an idle one a connection error (§5.1); else read past. */
  protected notIdle(id: number, what: string): void {
    if (this.idle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
  }

  /**
   * A HEADERS or DATA frame on a stream that is not open: on an idle one a connection error (§5.1); on one
   * we reset, ignored (§5.1, "closed"); on one the server ended or reset, a stream error STREAM_CLOSED
   * (§5.1 "half-closed (remote)", §6.1), sent once per stream.
   */
  protected notOpen(id: number, what: string): void {
    this.notIdle(id, what);
    if (!this.resetByUs.has(id)) this.reset(id, ErrorCode.STREAM_CLOSED);
  }

  /** Sends RST_STREAM and remembers the stream, so that its late frames are ignored. */
  protected reset(id: number, code: number): void {
    this.writer.append(rstStreamFrame(id, code));
    const ids = this.resetByUs;
    ids.add(id);
    if (ids.size > MAX_RESET_REMEMBERED) ids.delete(ids.values().next().value as number);
  }

  /** Ends a stream and settles its call. `reset`: tell the server too, if our side is still open. */
  protected finish(call: Call, rstCode: number | undefined, reset = true, streamError?: RpcError): void {
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
  protected cancel(call: Call, error: RpcError, code: number = ErrorCode.CANCEL): void {
    this.streams.delete(call.id);
    this.reset(call.id, code);
    call.abort(error);
    this.pump();
    this.closeIfIdle();
  }

  /** Starts queued calls while stream slots are free. */
  protected pump(): void {
    while (this.queue.length > 0 && this.streams.size < this.peer.maxConcurrentStreams && this.state === "open") {
      const call = this.queue.shift() as Call;
      if (!call.done) this.open(call);
    }
  }

  /** No new streams here: after GOAWAY, or when stream ids run out. Queued calls move elsewhere. */
  protected retire(): void {
    if (this.state !== "open") return;
    this.state = "draining";
    this.events.unusable(this);
    const queued = this.queue.splice(0);
    for (const call of queued) if (!call.done) this.events.requeue(call);
  }

  protected closeIfIdle(): void {
    if (this.state === "draining" && this.streams.size === 0) {
      this.writer.flush();
      this.socket.end();
    }
  }

  /** Fails the calls whose deadline has passed; returns the next deadline (Infinity: none, or dead). */
  private expire(now: number): number {
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
    return this.state === "dead" ? Number.POSITIVE_INFINITY : next;
  }

  protected connectionError(err: ConnectionError): void {
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
    this.deadlines.stop();
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

  // --- frames from the server: ./connection.ts ---

  abstract onData(id: number, flags: number, buf: Buffer, from: number, to: number, length: number): void;
  abstract onHeaderBlock(id: number, flags: number, buf: Buffer, start: number, end: number, streamError: number): void;
  abstract onRstStream(id: number, code: number): void;
  abstract onSettings(windowDelta: number): void;
  abstract onSettingsAck(): void;
  abstract onPing(ack: boolean, buf: Buffer, start: number): void;
  abstract onGoaway(lastStreamId: number, code: number, debug: Buffer): void;
  abstract onWindowUpdate(id: number, increment: number): void;
  abstract onStreamError(id: number, type: number, code: number, message: string): void;
  abstract onIgnored(type: number): void;
  abstract onConnectionError(err: ConnectionError): void;
}
