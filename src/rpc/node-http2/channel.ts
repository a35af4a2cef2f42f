// A thin gRPC client over node:http2. It takes its connection from a connect() value, so every transport
// (TCP, Unix, VSOCK, Firecracker's hybrid vsock) plugs in as something that yields a Duplex.
// Every outcome is a Result: transport failures, HTTP errors and gRPC statuses all end up as an RpcError.
// Type-only: node:http2 itself loads on the first connection (open()), since Bun takes ~14 ms to set it up
// and `call` and `bench` run on the lean client unless --client http2 asks for this one
// (docs/performance.md, "Start-up").
import type http2 from "node:http2";
import { ErrorCode } from "../../h2/errors.ts";
import { STREAM_WINDOW } from "../../h2/flow.ts";
import {
  type CallOptions,
  type ChannelOptions,
  type ChannelStats,
  type ClientStream,
  openSocket,
  type RpcChannel,
  type StreamEvents,
} from "../channel.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, MessageDecoder, prefixMessage, sentTooLarge } from "../message.ts";
import {
  decodeGrpcMessage,
  fail,
  isRpcError,
  parseStatusCode,
  type Result,
  type RpcError,
  rpcError,
  Status,
} from "../status.ts";
import { encodeGrpcTimeout } from "../timeout.ts";
import { responseHeadersError, unaryOutcome } from "../unary-outcome.ts";
import { Http2StreamCall, headersOf } from "./stream-call.ts";

/** How often a call the server never saw is sent again on a fresh connection. */
const MAX_TRANSPARENT_RETRIES = 2;

/** Stream errors that mean the request never left this client (the session was already going away). */
const NEVER_SENT: ReadonlySet<string> = new Set(["ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_INVALID_SESSION"]);

interface Attempt {
  readonly result: Result<Buffer>;
  /** The server cannot have processed the call, so sending it again is safe. */
  readonly unprocessed: boolean;
}

/** One HTTP/2 connection, reopened on demand after it goes away. */
export class NodeHttp2Channel implements RpcChannel {
  private session: http2.ClientHttp2Session | undefined;
  private pending: Promise<http2.ClientHttp2Session | RpcError> | undefined;
  private closed = false;
  private readonly maxRecv: number;
  private readonly maxSend: number;
  private readonly baseHeaders: http2.OutgoingHttpHeaders;
  readonly stats: ChannelStats = { connects: 0, goaways: 0 };

  constructor(private readonly opts: ChannelOptions) {
    this.maxRecv = opts.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxSend = opts.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.baseHeaders = {
      ":method": "POST",
      ":scheme": opts.secure ? "https" : "http",
      ":authority": opts.authority,
      "content-type": "application/grpc",
      te: "trailers",
      "user-agent": opts.userAgent ?? "grpcperf",
    };
  }

  /** Connects now rather than on the first call, so connection errors surface before any timing starts. */
  async ready(): Promise<Result<void>> {
    const s = await this.getSession();
    return isRpcError(s) ? { ok: false, error: s } : { ok: true, value: undefined };
  }

  private getSession(): Promise<http2.ClientHttp2Session | RpcError> {
    if (this.session && !this.session.closed && !this.session.destroyed) return Promise.resolve(this.session);
    if (this.closed) return Promise.resolve(rpcError(Status.UNAVAILABLE, "channel closed"));
    this.pending ??= this.open().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async open(): Promise<http2.ClientHttp2Session | RpcError> {
    const socket = await openSocket(this.opts.connect, () => this.closed);
    if (isRpcError(socket)) return socket;
    const { connect } = await import("node:http2");
    const session = connect(`${this.opts.secure ? "https" : "http"}://${this.opts.authority}`, {
      createConnection: () => socket,
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
    });
    this.stats.connects++;
    session.on("error", () => {
      // Surfaces on each stream as well; the session is replaced on the next call.
    });
    session.on("goaway", () => {
      // The server takes no new streams here: new calls go to a new connection, calls in flight finish.
      this.stats.goaways++;
      if (this.session === session) this.session = undefined;
      if (!session.closed) session.close();
    });
    session.on("close", () => {
      if (this.session === session) this.session = undefined;
    });
    const waitMs = this.opts.handshakeTimeoutMs;
    if (waitMs !== undefined) {
      // A peer that accepts the connection but never speaks HTTP/2 is found here, within the set-up bound,
      // not at each call's deadline.
      const problem = await settingsWithin(session, waitMs);
      if (problem !== undefined) {
        session.destroy();
        return problem;
      }
    }
    this.session = session;
    return session;
  }

  /** One unary call: request bytes in, response bytes (or an RpcError) out. Never throws. */
  unaryOutcome(path: string, request: Uint8Array, call: CallOptions, done: (r: Result<unknown>) => void): void {
    void this.unary(path, request, call).then(done);
  }

  async unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Result<Buffer>> {
    if (request.length > this.maxSend) {
      return { ok: false, error: sentTooLarge(request.length, this.maxSend) };
    }
    const frame = prefixMessage(request);
    const deadline = call.timeoutMs === undefined ? undefined : performance.now() + call.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const session = await this.getSession();
      if (isRpcError(session)) return { ok: false, error: session };
      const timeoutMs = deadline === undefined ? undefined : Math.max(0, Math.ceil(deadline - performance.now()));
      if (timeoutMs === 0) return { ok: false, error: deadlineExceeded(call) };
      const r = await this.attempt(session, path, frame, timeoutMs, call);
      // Transparent retry, as gRPC clients do: a call the server provably never saw (refused, or caught by
      // a GOAWAY before it went out) goes to a fresh connection. Servers with a max connection age send
      // GOAWAY routinely, so without this a busy client sees spurious UNAVAILABLEs at every reconnect.
      if (!r.unprocessed || attempt >= MAX_TRANSPARENT_RETRIES) return r.result;
      if (this.session === session) this.session = undefined;
      if (!session.closed && !session.destroyed) session.close();
    }
  }

  private attempt(
    session: http2.ClientHttp2Session,
    path: string,
    frame: Buffer,
    timeoutMs: number | undefined,
    call: CallOptions,
  ): Promise<Attempt> {
    const headers: http2.OutgoingHttpHeaders = { ...this.baseHeaders, ":path": path };
    if (timeoutMs !== undefined) headers["grpc-timeout"] = encodeGrpcTimeout(timeoutMs);
    if (call.metadata) headersOf(call.metadata, headers);
    const opened = openStream(session, headers);
    if ("unprocessed" in opened) return Promise.resolve(opened);
    const stream = opened;

    return new Promise<Attempt>((resolve) => {
      const decoder = new MessageDecoder(this.maxRecv);
      const messages: Buffer[] = [];
      let status: RpcError | undefined;
      let httpError: RpcError | undefined;
      let streamError: RpcError | undefined;
      let responded = false;
      let refusedUnsent = false;
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;

      const finish = (result: Result<Buffer>, unprocessed = false) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve({ result, unprocessed });
      };
      const abort = (error: RpcError) => {
        streamError ??= error;
        if (!stream.destroyed) stream.close(ErrorCode.CANCEL);
        finish({ ok: false, error });
      };
      const readStatus = (h: http2.IncomingHttpHeaders) => {
        status = statusIn(h) ?? status;
      };

      if (timeoutMs !== undefined) timer = setTimeout(() => abort(deadlineExceeded(call)), timeoutMs);

      stream.on("response", (h) => {
        responded = true;
        const type = h["content-type"];
        httpError = responseHeadersError(Number(h[":status"]), typeof type === "string" ? type : undefined);
        readStatus(h); // trailers-only response
      });
      stream.on("data", (chunk: Buffer) => {
        if (httpError) return; // not gRPC: the body is an error page, not frames
        const err = decoder.push(chunk, messages);
        if (err) abort(err);
      });
      stream.on("trailers", readStatus);
      stream.on("error", (err: Error & { code?: string }) => {
        if (!responded && err.code !== undefined && NEVER_SENT.has(err.code)) refusedUnsent = true;
        streamError ??= rpcError(Status.UNAVAILABLE, `connection failed: ${err.message}`);
      });
      stream.on("close", () => {
        if (settled) return;
        const result = unaryOutcome(
          status,
          httpError,
          decoder.buffered > 0,
          messages.length,
          messages[0],
          streamError,
          stream.rstCode,
        );
        // A call the server provably never saw may be sent again (transparent retry), whatever its status.
        const refused = !responded && stream.rstCode === ErrorCode.REFUSED_STREAM;
        const settledByServer = status !== undefined || httpError !== undefined;
        finish(result, !settledByServer && (refused || (streamError !== undefined && refusedUnsent)));
      });

      stream.end(frame);
    });
  }

  /** A call of any kind; requests sent before the connection is up wait for it. No transparent retry. */
  stream(path: string, events: StreamEvents, call: CallOptions = {}): ClientStream {
    const s = new Http2StreamCall(events, { maxSend: this.maxSend, maxRecv: this.maxRecv }, call.timeoutMs);
    const headers: http2.OutgoingHttpHeaders = { ...this.baseHeaders, ":path": path };
    if (call.timeoutMs !== undefined) headers["grpc-timeout"] = encodeGrpcTimeout(call.timeoutMs);
    headersOf(call.metadata, headers);
    void this.getSession().then((session) => {
      if (isRpcError(session)) s.fail(session);
      else s.start(session, headers);
    });
    return s;
  }

  /** Closes the connection; calls in flight end with UNAVAILABLE or CANCELLED. */
  close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    if (!s || s.closed || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000);
      s.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

/** Waits for the server's SETTINGS (RFC 9113 §3.4: its connection preface); an error if it does not come. */
function settingsWithin(session: http2.ClientHttp2Session, waitMs: number): Promise<RpcError | undefined> {
  return new Promise((resolve) => {
    const done = (r: RpcError | undefined) => {
      clearTimeout(timer);
      session.off("remoteSettings", onSettings);
      session.off("close", onClose);
      resolve(r);
    };
    const onSettings = () => done(undefined);
    const onClose = () =>
      done(rpcError(Status.UNAVAILABLE, "the connection closed before the server's HTTP/2 SETTINGS"));
    const timer = setTimeout(
      () => done(rpcError(Status.UNAVAILABLE, `no HTTP/2 SETTINGS from the server within ${waitMs} ms`)),
      waitMs,
    );
    session.once("remoteSettings", onSettings);
    session.once("close", onClose);
  });
}

/** The call's stream, or (when the session will not open one) the Attempt that says why: never sent. */
function openStream(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
): http2.ClientHttp2Stream | Attempt {
  try {
    return session.request(headers, { endStream: false });
  } catch (err) {
    const details = `cannot start call: ${err instanceof Error ? err.message : err}`;
    return { result: fail(Status.UNAVAILABLE, details), unprocessed: true };
  }
}

/** The grpc-status (and grpc-message) of a header block, if it has one. */
function statusIn(h: http2.IncomingHttpHeaders): RpcError | undefined {
  const code = parseStatusCode(h["grpc-status"] as string | undefined);
  return code === undefined ? undefined : rpcError(code, decodeGrpcMessage(h["grpc-message"] as string | undefined));
}

function deadlineExceeded(call: CallOptions): RpcError {
  return rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${call.timeoutMs} ms exceeded`);
}
