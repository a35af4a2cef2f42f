// What a server connection is apart from reading frames (./connection.ts does that): the socket and its
// writer, the streams, the response send path within the client's windows, and how the connection ends
// (drain, destroy, a connection error, the socket closing). Back-pressure and the timers are
// ./back-pressure.ts's and ./lifetimes.ts's.
import type { Duplex } from "node:stream";
import { PREFIX_BYTES, trySendWhole } from "../../h2/data.ts";
import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { OutFlow, STREAM_WINDOW } from "../../h2/flow.ts";
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FRAME_HEADER,
  FrameType,
  goawayFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  writeFrameHeader,
} from "../../h2/frame.ts";
import { writeHeaderBlock } from "../../h2/header-block.ts";
import { type FrameHandler, FrameReader } from "../../h2/reader.ts";
import { SendQueue } from "../../h2/send-queue.ts";
import { isIdle } from "../../h2/streams.ts";
import { Writer } from "../../h2/writer.ts";
import type { Limits } from "../limits.ts";
import { peerNameOf } from "../peer-name.ts";
import type { RequestBytes } from "../request-bytes.ts";
import { BackPressure } from "./back-pressure.ts";
import { calm, FloodGuard } from "./flood.ts";
import { Lifetimes } from "./lifetimes.ts";
import type { OnStream, ServerStream, StreamSession } from "./stream.ts";

// Decoded request headers beyond this are refused (grpc-go allows 16 MiB; gRPC metadata is small), and
// the HPACK decoder emits nothing past it (../../h2/hpack/decoder.ts).
export const MAX_HEADER_LIST = 64 * 1024;
// A compressed header block this large is an attack (CONTINUATION flood), not a request.
const MAX_HEADER_BLOCK = 256 * 1024;

export interface SessionEvents {
  readonly onStream: OnStream;
  /** A stream opened / closed: the server counts calls in flight to drain them. */
  readonly streamOpened: () => void;
  readonly streamClosed: () => void;
  /** The connection is finished (socket closed). */
  readonly closed: (session: ConnectionCore) => void;
  /** Diagnostics for debug logging; never on the hot path. */
  readonly debug: (message: string) => void;
}

/** Raw body writes (Connect, gRPC-Web) up to this size go straight into the output buffer when windows allow. */
const RAW_COPY_WHOLE = 16 * 1024;
const END_WITH_DATA = Buffer.alloc(0);

export abstract class ConnectionCore implements FrameHandler, StreamSession {
  readonly writer: Writer;
  protected readonly reader = new FrameReader(this, { maxHeaderBlock: MAX_HEADER_BLOCK, peerIsClient: true });
  /** The client's settings, as the reader applied them. */
  protected readonly peerSettings = this.reader.peer;
  readonly streams = new Map<number, ServerStream>();
  protected lastStreamId = 0;
  protected dead = false;
  /** GOAWAY sent: no new streams; the socket ends once the last stream closes. */
  protected draining = false;
  /** Our send window on the connection. */
  protected readonly send = new OutFlow(DEFAULT_WINDOW);
  protected readonly pressure: BackPressure;
  protected readonly life: Lifetimes;
  /** HEADERS or DATA went out since the last client PING: that ping is no strike (grpc-go's rule). */
  protected sentSincePing = false;
  // Control-frame and rapid-reset budgets (./flood.ts): streams opened, and the last stream id before
  // this socket read (streams above it were opened in this read).
  protected opened = 0;
  protected readFloor = 0;
  protected readonly flood = new FloodGuard(
    () => this.opened,
    () => this.writer.bytesOut,
  );
  private prefaceSeen = 0;
  private peerName: string | undefined;
  private readPaused = false;

  constructor(
    private readonly socket: Duplex,
    protected readonly limits: Limits,
    protected readonly events: SessionEvents,
    requestBytes: RequestBytes,
  ) {
    this.writer = new Writer(socket);
    this.pressure = new BackPressure(this.pressureHost(), requestBytes);
    this.life = new Lifetimes(limits, this.lifetimeHost());
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
    this.life.start();
  }

  private pressureHost() {
    return {
      streams: this.streams,
      writer: this.writer,
      isDead: () => this.dead,
      maybeForget: (stream: ServerStream) => this.maybeForget(stream),
      glitch: (cost: number) => this.glitch(cost),
      debug: (message: string) => this.events.debug(message),
    };
  }

  private lifetimeHost() {
    return {
      isDead: () => this.dead,
      openStreams: () => this.streams.size,
      queuedBytes: () => this.pressure.queuedBytes,
      ping: () => this.writer.append(encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8))),
      drain: (code: number, debug: string) => this.drain(code, debug),
      destroy: () => this.destroy(),
      connectionError: (err: ConnectionError) => this.connectionError(err),
      debug: (message: string) => this.events.debug(message),
    };
  }

  /** "host:port" of the client, as grpc-js's getPeer() gives it. */
  get peer(): string {
    this.peerName ??= peerNameOf(this.socket);
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
    this.life.clear();
    this.writer.flush();
    this.socket.destroy();
    this.abortAll();
  }

  /** Spends from the glitch budget (./flood.ts); an empty one ends the connection. */
  glitch(cost: number): void {
    if (!this.flood.glitches.spend(cost)) throw calm("too many protocol errors (glitches)");
  }

  /** A stream's call holds `delta` more request bytes (../request-bytes.ts). */
  holdRequest(delta: number): void {
    this.pressure.holdRequest(delta);
  }

  // --- sending -------------------------------------------------------------------------------------------

  writeHeaders(id: number, block: Buffer, endStream: boolean): void {
    this.sentSincePing = true;
    writeHeaderBlock(this.writer, id, block, this.peerSettings.maxFrameSize, endStream);
  }

  writeMessage(stream: ServerStream, body: Uint8Array, length: number): void {
    this.sentSincePing = true;
    const maxFrame = this.peerSettings.maxFrameSize;
    if (
      stream.pending === undefined &&
      trySendWhole(this.writer, stream.id, 0, body, length, stream.flow, this.send, maxFrame)
    ) {
      return;
    }
    const total = length + PREFIX_BYTES;
    const framed = Buffer.allocUnsafe(total);
    framed[0] = 0;
    framed.writeUInt32BE(length, 1);
    framed.set(length === body.length ? body : body.subarray(0, length), PREFIX_BYTES);
    stream.pending ??= new SendQueue();
    stream.pending.push(framed);
    this.pressure.queuedBytes += total;
    this.flushStream(stream);
    if (stream.pending !== undefined) {
      this.pressure.queued();
      this.life.watchSend();
    }
  }

  writeData(stream: ServerStream, bytes: Uint8Array, last: boolean): void {
    this.sentSincePing = true;
    const n = bytes.length;
    if (
      stream.pending === undefined &&
      n <= RAW_COPY_WHOLE &&
      n <= stream.flow.sendWindow &&
      n <= this.send.avail &&
      n <= this.peerSettings.maxFrameSize
    ) {
      // The usual small answer: one DATA frame, copied straight into the output buffer.
      const at = this.writer.reserve(FRAME_HEADER + n);
      writeFrameHeader(this.writer.slab, at, n, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id);
      this.writer.slab.set(bytes, at + FRAME_HEADER);
      stream.flow.sendWindow -= n;
      this.send.avail -= n;
      if (last) this.closeStream(stream, true);
      return;
    }
    stream.pending ??= new SendQueue();
    stream.pending.push(Buffer.from(bytes));
    // Queued: the end follows the bytes, as an empty DATA frame (an empty block, see writeEnd).
    if (last) stream.pendingTrailers = END_WITH_DATA;
    this.pressure.queuedBytes += bytes.length;
    this.flushStream(stream);
    if (stream.pending !== undefined) {
      this.pressure.queued();
      this.life.watchSend();
    }
  }

  endStream(stream: ServerStream, block: Buffer): void {
    if (stream.pending !== undefined) {
      stream.pendingTrailers = block;
      return;
    }
    this.writeEnd(stream.id, block);
    this.closeStream(stream, true);
  }

  /** The stream's last frame: trailers, or (an empty block) an empty DATA frame with END_STREAM. */
  private writeEnd(id: number, block: Buffer): void {
    if (block.length > 0) {
      this.writeHeaders(id, block, true);
      return;
    }
    this.sentSincePing = true;
    const at = this.writer.reserve(FRAME_HEADER);
    writeFrameHeader(this.writer.slab, at, 0, FrameType.DATA, Flag.END_STREAM, id);
  }

  protected resetStream(stream: ServerStream, code: number): void {
    stream.done = true;
    this.dropQueued(stream);
    if (this.streams.get(stream.id) !== stream) return;
    this.writer.append(rstStreamFrame(stream.id, code));
    this.closeStream(stream, false);
  }

  /** A stream's queued response is gone (reset, aborted): it no longer counts against the connection. */
  protected dropQueued(stream: ServerStream): void {
    this.pressure.queuedBytes -= stream.pendingBytes;
    stream.pending = undefined;
    stream.pendingTrailers = undefined;
  }

  /** Sends what both windows allow of a stream's queued DATA, then its trailers once all is out. */
  protected flushStream(stream: ServerStream): void {
    const queue = stream.pending;
    if (queue === undefined) return;
    const sent = queue.flush(this.writer, stream.id, stream.flow, this.send, this.peerSettings.maxFrameSize, false);
    if (sent > 0) {
      this.sentSincePing = true;
      this.life.sendProgress();
      this.pressure.queuedBytes -= sent;
    }
    if (queue.bytes > 0) return;
    stream.pending = undefined;
    const trailers = stream.pendingTrailers;
    if (trailers !== undefined) {
      stream.pendingTrailers = undefined;
      this.writeEnd(stream.id, trailers);
      this.closeStream(stream, true);
    }
  }

  /** Window opened: queued responses go out, and request DATA held for them is delivered again. */
  protected resumeSends(): void {
    for (const stream of this.streams.values()) {
      if (this.send.avail <= 0) break;
      if (stream.pending !== undefined) this.flushStream(stream);
    }
    this.pressure.resumeReads();
  }

  // --- streams -------------------------------------------------------------------------------------------

  /**
   * Our side is finished and the stream is forgotten. A request still arriving is told to stop; its late
   * DATA is read past (connection flow control still counts it).
   */
  protected closeStream(stream: ServerStream, graceful: boolean): void {
    stream.done = true;
    if (graceful && !stream.remoteEnded) {
      // RFC 9113 §8.1: a server that answers before the request ended may reset with NO_ERROR.
      this.writer.append(rstStreamFrame(stream.id, ErrorCode.NO_ERROR));
    }
    this.forget(stream);
  }

  /** Takes a stream off the connection: counted closed exactly once; the connection may now be idle. */
  protected forget(stream: ServerStream): void {
    if (!this.streams.delete(stream.id)) return;
    this.pressure.forget(stream);
    this.events.streamClosed();
    if (this.streams.size === 0) this.becameIdle();
  }

  /** A stream both sides have finished is dropped (it may already be, if our side finished first). */
  protected maybeForget(stream: ServerStream): void {
    if (!stream.done || stream.pending !== undefined || stream.pendingTrailers !== undefined) return;
    this.forget(stream);
  }

  /** Idle (§5.1, ../../h2/streams.ts): above every stream id the client has used, or even. */
  protected isIdle(id: number): boolean {
    return isIdle(id, this.lastStreamId);
  }

  // --- receiving and the end of the connection -------------------------------------------------------------

  /** Bytes read before this connection took the socket (the engine's protocol sniff, ../http1/sniff.ts). */
  receive(first: Buffer): void {
    this.onBytes(first);
  }

  private onBytes(chunk: Buffer): void {
    if (this.dead) return;
    this.life.readAny = true;
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
        this.life.handshakeDone();
        // Sent once the client has spoken, not with our SETTINGS: Bun's node:http2 client loses a
        // WINDOW_UPDATE that arrives before its own preface went out (seen through an hvsock muxer).
        this.pressure.opened();
      }
      if (n === buf.length) return;
      buf = buf.subarray(n);
    }
    this.reader.push(buf);
  }

  protected connectionError(err: ConnectionError): void {
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
    this.life.idle();
  }

  /** Ends the connection once what is queued has been written. */
  protected closeSoon(): void {
    if (this.dead) return;
    this.dead = true;
    this.reader.stopped = true;
    this.life.clear();
    this.writer.flush();
    this.socket.end();
    // A client that never closes its side must not keep the socket open for ever.
    setTimeout(() => this.socket.destroy(), 1000).unref?.();
  }

  private onClosed(): void {
    const wasDead = this.dead;
    this.dead = true;
    this.reader.stopped = true;
    this.life.clear();
    if (!wasDead || this.streams.size > 0) this.abortAll();
    this.events.closed(this);
  }

  private abortAll(): void {
    const open = [...this.streams.values()];
    this.streams.clear();
    for (const s of open) {
      s.done = true;
      this.dropQueued(s);
      this.pressure.abandon(s); // the connection is gone: no window to return
      this.events.streamClosed();
      s.handler?.onAbort();
    }
  }

  // --- frames from the client: ./connection.ts ---

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
