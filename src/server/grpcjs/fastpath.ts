// Unary calls served straight off the HTTP/2 stream, without grpc-js's per-call machinery (call objects,
// interceptor chain, metadata copies, stream wrappers). grpc-js still owns the connections: sessions,
// settings, keepalive, limits, GOAWAY and graceful shutdown, and every path this module does not take
// (streaming, health, reflection, compressed or malformed calls) goes to grpc-js's own handler.
import type http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";
import type Long from "long";
import { unixNanosLong } from "../../clock.ts";
import { MessageDecoder, prefixMessage } from "../../rpc/message.ts";
import { encodeGrpcMessage, quoted, type Result, Status } from "../../rpc/status.ts";
import { deadlineTimer, parseGrpcTimeout } from "../../rpc/timeout.ts";
import {
  answerBytes,
  type CallContext,
  runUnary,
  type Settle,
  type UnaryDirect,
  unaryRequestProblem,
} from "../handler.ts";

interface FastPathLimits {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
}

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/** What this module needs of grpc-js's private state; pinned grpc-js version, checked by tests. */
interface GrpcInternals {
  onStreamOpened?: (stream: http2.ServerHttp2Stream) => void;
}

const OK_TRAILERS = { "grpc-status": "0" };

function noop() {}

function sendOkTrailers(this: http2.ServerHttp2Stream) {
  try {
    this.sendTrailers(OK_TRAILERS);
  } catch {
    // the client reset the stream after the body went out; nothing left to tell it
  }
}

function gone(stream: http2.ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed;
}

/** A trailers-only response: one HEADERS frame carrying the status. Every stream call is guarded:
 * Bun throws on respond() to a stream the client already reset. */
function sendStatus(stream: http2.ServerHttp2Stream, code: number, details: string): void {
  if (gone(stream) || stream.headersSent) return;
  try {
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": String(code),
        "grpc-message": encodeGrpcMessage(details),
      },
      { endStream: true },
    );
  } catch {
    // reset between the check and the write
  }
}

function sendMessage(stream: http2.ServerHttp2Stream, frame: Buffer): void {
  if (gone(stream) || stream.headersSent) return;
  try {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", sendOkTrailers);
    stream.end(frame);
  } catch {
    // reset between the check and the write
  }
}

class FastPathCall implements CallContext, Settle {
  readonly recvNanos: Long;
  deadline = Number.POSITIVE_INFINITY;
  private readonly reader: MessageDecoder;
  private message: Buffer | undefined;
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private done = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly path: string,
    private readonly method: UnaryDirect,
    private readonly limits: FastPathLimits,
  ) {
    this.recvNanos = unixNanosLong();
    this.reader = new MessageDecoder(limits.maxReceiveMessageBytes);
  }

  get peer(): string {
    const s = this.stream.session?.socket;
    if (!s?.remoteAddress) return "";
    // as grpc-js's getPeer(): a port only where the transport has one (not for Unix sockets)
    return s.remotePort === undefined ? s.remoteAddress : `${s.remoteAddress}:${s.remotePort}`;
  }

  cancelled = (): boolean => this.done || gone(this.stream);

  start(timeoutHeader: string | undefined): void {
    const stream = this.stream;
    stream.on("error", noop);
    if (timeoutHeader !== undefined) {
      const ms = parseGrpcTimeout(timeoutHeader);
      if (ms === undefined) {
        this.fail(Status.INTERNAL, `malformed grpc-timeout "${quoted(timeoutHeader)}"`);
        return;
      }
      this.deadline = Date.now() + ms;
      this.timer = deadlineTimer(ms, () => this.fail(Status.DEADLINE_EXCEEDED, "deadline exceeded"));
    }
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("end", () => this.onEnd());
    stream.on("close", () => this.finish());
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    // Split messages are copied into one buffer as they come (../../rpc/message.ts), not kept as a list of
    // chunks: a message in tiny DATA frames costs its bytes, not an object per frame.
    const err = this.reader.read(chunk, 0, chunk.length, (m) => {
      this.message ??= m;
      this.count++;
    });
    if (err) this.fail(err.code, err.details);
  }

  private onEnd(): void {
    if (this.done) return;
    const problem = unaryRequestProblem(this.count, this.reader.buffered > 0);
    if (problem !== undefined) {
      this.fail(Status.INTERNAL, problem);
      return;
    }
    let request: unknown;
    try {
      request = this.method.decode(this.message as Buffer);
    } catch {
      this.fail(Status.INTERNAL, "error deserializing request");
      return;
    }
    this.message = undefined;
    runUnary(this.path, this.method.impl, request, this, this);
  }

  /** The implementation's outcome (runUnary calls this once). */
  settle(r: Result<unknown>): void {
    if (this.done) return;
    if (!r.ok) {
      this.fail(r.error.code, r.error.details);
      return;
    }
    const body = answerBytes(this.method.encode, r.value, this.path, this.limits.maxSendMessageBytes);
    if ("code" in body) {
      this.fail(body.code, body.details);
      return;
    }
    this.finish();
    sendMessage(this.stream, prefixMessage(body));
  }

  private fail(code: number, details: string): void {
    if (this.done) return;
    this.finish();
    sendStatus(this.stream, code, details);
  }

  private finish(): void {
    this.done = true;
    this.message = undefined;
    this.reader.dispose();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/**
 * Puts the fast path in front of grpc-js on `h2`, the HTTP/2 server behind grpc-js's connection injector
 * (server.ts finds it). Calls it cannot serve exactly as grpc-js would go to grpc-js's own listener.
 */
export function installFastPath(
  server: grpc.Server,
  h2: http2.Http2Server,
  methods: ReadonlyMap<string, UnaryDirect>,
  limits: FastPathLimits,
): void {
  const opened = (server as unknown as GrpcInternals).onStreamOpened?.bind(server);
  const grpcListeners = h2.listeners("stream") as unknown as StreamListener[];
  h2.removeAllListeners("stream");
  h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const path = headers[":path"];
    const method = path === undefined ? undefined : methods.get(path);
    const type = headers["content-type"];
    const encoding = headers["grpc-encoding"];
    if (
      method === undefined ||
      typeof type !== "string" ||
      !type.startsWith("application/grpc") ||
      (encoding !== undefined && encoding !== "identity")
    ) {
      for (const l of grpcListeners) l.call(h2, stream, headers);
      return;
    }
    opened?.(stream); // grpc-js's idle-connection accounting
    new FastPathCall(stream, path as string, method, limits).start(headers["grpc-timeout"] as string | undefined);
  });
}
