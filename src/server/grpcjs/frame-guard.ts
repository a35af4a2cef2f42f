// grpc-js accepts a message whose compressed flag is set when no compression was negotiated (it treats
// it as uncompressed), and any flag value other than 1 as "not compressed". The gRPC spec calls both a
// protocol error; a client that sends them is confused or probing, so its stream is reset instead.
//
// The same walk over message prefixes counts the request bytes grpc-js (or the fast path) holds for a
// message not yet complete, against the connection's and process's budget (../request-bytes.ts): grpc-js
// keeps a message as the list of its DATA chunks until the last one, so a chunk costs its bytes plus the
// object that holds them (CVE-2026-84304 class: a 1 MiB message in 1-byte frames is a million objects).
import http2 from "node:http2";
import { encodeGrpcMessage } from "../../rpc/status.ts";
import { ConnectionRequestBytes, type RequestBytes } from "../request-bytes.ts";

const HEADER = 5;

/**
 * What grpc-js's decoder keeps per chunk of a message beyond its bytes: a Buffer view (a JS object with
 * its backing-store reference) in an array. An estimate on the high side of what JavaScriptCore spends.
 */
const PIECE_COST = 128;

/** Walks gRPC message headers across DATA chunks without buffering bodies (or allocating: per stream). */
export class FrameFlagCheck {
  private headerFill = 0;
  private length = 0;
  private bodyLeft = 0;
  /** Bytes grpc-js holds for the message in progress, as counted against the budget (PIECE_COST per chunk). */
  held = 0;

  /** @param compressionNegotiated whether the request named a real grpc-encoding (not identity). */
  constructor(private readonly compressionNegotiated: boolean) {}

  /** The reason the stream must be refused, or undefined while every frame header is acceptable. */
  push(chunk: Uint8Array): string | undefined {
    let pos = 0;
    // A message whose part is in this chunk: it costs the chunk's object, and the bytes it contributes.
    let inMessage = this.headerFill > 0 || this.bodyLeft > 0;
    let from = 0;
    while (pos < chunk.length) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, chunk.length - pos);
        this.bodyLeft -= skip;
        pos += skip;
        if (this.bodyLeft === 0) {
          // Complete: grpc-js hands it on, and holds nothing more for it.
          this.held = 0;
          inMessage = false;
        }
        continue;
      }
      const byte = chunk[pos++] as number;
      if (this.headerFill === 0) {
        if (byte > 1) return `invalid message flag ${byte}`;
        if (byte === 1 && !this.compressionNegotiated) return "compressed message without grpc-encoding";
        this.length = 0;
        inMessage = true;
        from = pos - 1;
      } else {
        this.length = this.length * 256 + byte;
      }
      if (++this.headerFill === HEADER) {
        this.headerFill = 0;
        this.bodyLeft = this.length;
        if (this.length === 0) {
          this.held = 0;
          inMessage = false;
        }
      }
    }
    if (inMessage) this.held += PIECE_COST + (chunk.length - from);
    return undefined;
  }
}

function compressionNegotiated(headers: http2.IncomingHttpHeaders): boolean {
  const enc = headers["grpc-encoding"];
  return typeof enc === "string" && enc !== "" && enc !== "identity";
}

/** Ends a call before grpc-js answers it: trailers-only status if nothing went out, then the stream closes. */
function refuse(stream: http2.ServerHttp2Stream, grpcStatus: number, message: string, rstCode: number): void {
  if (stream.destroyed) return;
  try {
    if (!stream.headersSent) {
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": String(grpcStatus),
          "grpc-message": encodeGrpcMessage(message),
        },
        { endStream: true },
      );
    }
  } catch {
    // reset between the check and the write
  } finally {
    stream.close(rstCode);
  }
}

const INTERNAL = 13;
const RESOURCE_EXHAUSTED = 8;

/**
 * Taps every server stream's DATA (a "stream" listener for node:http2's server, first of all). On a bad
 * frame header the call ends with INTERNAL (trailers-only when no response has started), then the stream
 * is closed, which grpc-js takes as a cancelled call and so never answers it itself. With the connection's
 * (or process's) request bytes at their budget, new streams are refused (REFUSED_STREAM, nothing ran), and
 * a chunk that takes a message in progress past it ends that call RESOURCE_EXHAUSTED: node:http2 returns
 * window as it reads, so here the budget is held by shedding rather than by withholding window.
 */
export function guardFrames(
  requestBytes: RequestBytes,
): (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void {
  const sessions = new WeakMap<http2.Http2Session, ConnectionRequestBytes>();
  return (stream, headers) => {
    const session = stream.session;
    let budget = session === undefined ? undefined : sessions.get(session);
    if (budget === undefined) {
      budget = new ConnectionRequestBytes(requestBytes);
      if (session !== undefined) sessions.set(session, budget);
    }
    const conn = budget;
    if (conn.full()) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const check = new FrameFlagCheck(compressionNegotiated(headers));
    let counted = 0;
    const recount = () => {
      if (check.held !== counted) conn.add(check.held - counted);
      counted = check.held;
    };
    const onData = (chunk: Buffer) => {
      const problem = check.push(chunk);
      if (problem !== undefined) {
        stop();
        refuse(stream, INTERNAL, problem, http2.constants.NGHTTP2_PROTOCOL_ERROR);
        return;
      }
      recount();
      if (counted > 0 && conn.full()) {
        stop();
        refuse(
          stream,
          RESOURCE_EXHAUSTED,
          "request bytes held for unfinished messages reached the server's budget",
          http2.constants.NGHTTP2_NO_ERROR,
        );
      }
    };
    const stop = () => {
      stream.off("data", onData);
      check.held = 0;
      recount();
    };
    stream.on("data", onData);
    stream.once("close", stop);
  };
}
