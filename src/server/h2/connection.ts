// One HTTP/2 server connection over any Duplex, without node:http2: the preface, SETTINGS, flow control
// both ways, MAX_CONCURRENT_STREAMS, PING (answered, enforced, and sent as keepalive), GOAWAY (drain, idle,
// max age), RST_STREAM and CONTINUATION. It knows nothing of gRPC beyond the few request headers it reads
// into RequestHead; what a stream means is decided by the StreamHandler that onStream returns for it.
// This file reads the client's frames; the send path and the connection's end are ./core.ts's,
// back-pressure ./back-pressure.ts's and the timers ./lifetimes.ts's.
import type { Duplex } from "node:stream";
import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { contentLength } from "../../h2/fields.ts";
import { shiftSendWindows } from "../../h2/flow.ts";
import { encodeFrame, Flag, FrameType, rstStreamFrame } from "../../h2/frame.ts";
import { HpackDecoder } from "../../h2/hpack/decoder.ts";
import { type Limits, MAX_PING_STRIKES, pingStrike } from "../limits.ts";
import type { RequestBytes } from "../request-bytes.ts";
import { STUCK_WINDOW } from "./back-pressure.ts";
import { HEADERS_TOO_LARGE } from "./blocks.ts";
import { ConnectionCore, MAX_HEADER_LIST, type SessionEvents } from "./core.ts";
import { calm, Glitch } from "./flood.ts";
import {
  conflictingContentLength,
  hasPseudo,
  requestField,
  requestProblem,
  trailersProblem,
} from "./request-headers.ts";
import { RequestHead, ServerStream } from "./stream.ts";

export class ServerConnection extends ConnectionCore {
  private readonly hpack = new HpackDecoder();
  private readonly head = new RequestHead();
  private readonly headerSink: (name: string, value: string) => void;
  // The policy for the client's pings (grpc-go's keepalive enforcement).
  private lastPingMs = Number.NEGATIVE_INFINITY;
  private strikes = 0;

  constructor(socket: Duplex, limits: Limits, events: SessionEvents, requestBytes: RequestBytes) {
    super(socket, limits, events, requestBytes);
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
        case "connect-timeout-ms":
          head.connectTimeout = value;
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
  }

  // --- frames from the client (FrameHandler): src/h2/reader.ts has checked what holds on any stream ---

  onData(id: number, flags: number, buf: Buffer, from: number, to: number, length: number): void {
    if (this.isIdle(id)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream (§5.1)");
    if (length > 0) this.flood.emptyData = 0;
    else if (this.flood.emptyDataFlood(flags)) throw calm("too many empty DATA frames");
    // Flow control counts the whole frame, padding included, even for streams already answered. A client
    // that sends past the window it was given would make us hold what it likes: cut (RFC 9113 §6.9.1).
    if (!this.pressure.recv.take(length)) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      // Closed: answered and forgotten, refused, or reset by either side. Its window comes back, and the
      // client is told STREAM_CLOSED, as x/net/http2's server (processData) and HAProxy do; grpc-go reads
      // past in silence. Both fit §5.1: we keep no memory of why a stream closed, so cannot tell a late
      // frame after our RST_STREAM (to be ignored) from one after the client's own (STREAM_CLOSED).
      this.pressure.consumed(undefined, length);
      this.closedStreamError(id, ErrorCode.STREAM_CLOSED, "DATA on a closed stream (§5.1)");
      return;
    }
    if (stream.remoteEnded) {
      // Half-closed (remote): the client already sent END_STREAM (§5.1: stream error STREAM_CLOSED).
      this.pressure.consumed(undefined, length);
      this.provokedReset(stream, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM (§5.1)");
      return;
    }
    if (!stream.flow.take(length)) {
      this.pressure.consumed(undefined, length);
      this.provokedReset(stream, ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the stream window");
      return;
    }
    if (flags & Flag.END_STREAM) stream.remoteEnded = true;
    if (stream.declaredBody >= 0) {
      // §8.1.1: a body that disagrees with its content-length is malformed, found as soon as it shows.
      stream.bodyBytes += to - from;
      if (stream.bodyBytes > stream.declaredBody || (stream.remoteEnded && stream.bodyBytes !== stream.declaredBody)) {
        this.pressure.consumed(undefined, length);
        this.provokedReset(stream, ErrorCode.PROTOCOL_ERROR, "DATA disagrees with content-length (§8.1.1)");
        return;
      }
    }
    if (this.pressure.mustHold(stream)) {
      // Its responses (or the connection's) wait for window: these bytes wait too, unread and unreturned.
      this.pressure.hold(stream, buf.subarray(from, to), length);
      return;
    }
    this.pressure.consumed(stream, length);
    const h = stream.handler;
    if (h === undefined) return;
    if (to > from) h.onData(buf, from, to);
    if (stream.remoteEnded) {
      h.onEnd();
      this.maybeForget(stream);
    }
    if (this.pressure.recv.avail < STUCK_WINDOW) this.pressure.shedIfStuck();
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

  /** A complete header block: a new stream's request headers, or the client's trailers. */
  onHeaderBlock(id: number, flags: number, buf: Buffer, start: number, end: number, streamError: number): void {
    const head = this.head;
    head.clear();
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
    if (this.pressure.full()) {
      // Backed up (responses waiting for window, or request bytes at their budget): a new call would only
      // add to what we hold. REFUSED_STREAM tells the client that nothing of it ran, so it may retry (RFC
      // 9113 §8.7). No glitch: the client could not know.
      this.writer.append(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return;
    }
    const stream = new ServerStream(id, this, this.peerSettings.initialWindow);
    if (endStream) stream.remoteEnded = true;
    stream.declaredBody = head.contentLength;
    this.streams.set(id, stream);
    this.opened++;
    if (this.streams.size === 1) this.life.busy();
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
    this.pressure.resumeReads();
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
      this.life.pingOutstanding = false;
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
    if (!stream.flow.grow(increment)) {
      this.provokedReset(stream, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow (§6.9.1)");
      return;
    }
    if (stream.pending !== undefined) this.flushStream(stream);
    if (stream.held !== undefined || this.pressure.backedUp) this.pressure.resumeReads();
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
}
