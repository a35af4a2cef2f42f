// One HTTP/2 client connection over any Duplex: preface and SETTINGS, flow control both ways, stream
// slots under the peer's MAX_CONCURRENT_STREAMS, GOAWAY, RST_STREAM, CONTINUATION and deadlines. A stream
// carries a ClientUnaryCall (one request, frames turned into a Result, nothing recorded it does not need)
// or a ClientStreamCall (requests queued as the application sends them, each response message handed on
// as it arrives, headers and trailers kept as metadata); both share slots, windows and the checks of §8.
// This file reads the server's frames; stream slots, the send path and the connection's end are ./core.ts's.
import { ConnectionError, ErrorCode } from "../../h2/errors.ts";
import { shiftSendWindows } from "../../h2/flow.ts";
import { encodeFrame, Flag, FrameType, windowUpdateFrame } from "../../h2/frame.ts";
import { HpackDecoder } from "../../h2/hpack/decoder.ts";
import { writePingAck } from "../../h2/ping.ts";
import { rpcError, Status } from "../status.ts";
import { type Call, retryable } from "./call.ts";
import { ClientCore } from "./core.ts";
import { ResponseBlock } from "./response-block.ts";
import { ClientStreamCall } from "./stream-call.ts";

export class ClientConnection extends ClientCore {
  private readonly hpack = new HpackDecoder();
  private readonly block = new ResponseBlock();

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
      this.ended(call, undefined);
      return;
    }
    const increment = call.flow.consumed(length);
    if (increment > 0) this.writer.append(windowUpdateFrame(id, increment));
  }

  onHeaderBlock(id: number, flags: number, block: Buffer, start: number, end: number, streamError: number): void {
    const call = this.streams.get(id);
    const b = this.block;
    // Decoded even when the stream is gone, to keep the dynamic table in step with the server's.
    const err = b.decode(this.hpack, block, start, end, call instanceof ClientStreamCall);
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
    const problem = b.problem(call, endStream);
    if (problem !== undefined) {
      this.malformed(call, problem);
      return;
    }
    // §8.1: an informational (1xx) response comes before the real one and says nothing to a gRPC call.
    if (!call.responded && b.informational) return;
    if (call instanceof ClientStreamCall) {
      call.onHeaders(b.fields, endStream, b.recorded);
      if (call.done) return; // cancelled from onHeaders
    } else call.onHeaders(b.fields);
    if (endStream) this.ended(call, undefined);
  }

  /**
   * The server ended the stream with a frame (END_STREAM, RST_STREAM): the call is settled, out of the
   * stream map, and no loop over the streams holds it (as GOAWAY's and the connection's end do), so a
   * unary call may go back to its channel's pool (./call-pool.ts).
   */
  private ended(call: Call, rstCode: number | undefined, reset = true): void {
    this.finish(call, rstCode, reset);
    if (!(call instanceof ClientStreamCall)) call.release();
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
    // Refused before any answer: the server did not process it. Like src/rpc/node-http2/channel.ts, send it again on a
    // fresh connection (this one takes no new calls, in case the refusal says something about it).
    if (code === ErrorCode.REFUSED_STREAM && !call.responded && retryable(call)) {
      this.streams.delete(id);
      this.retire();
      this.retry(call);
      this.closeIfIdle();
      return;
    }
    this.ended(call, code, false);
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
    this.sendMore(call);
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
}
