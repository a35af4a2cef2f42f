// One HTTP/1.1 server connection over any Duplex, once its first bytes said HTTP/1.1 (./preface.ts): a
// loop of requests with keep-alive, each head scanned (./scan.ts) and read strictly (./head.ts), its body
// by Content-Length or chunked (./chunked.ts) fed to the call that serves it (./route.ts), and its answer
// written whole (./exchange.ts, ./response.ts). Pipelined requests are answered in order: the socket is
// not read while a request waits for its answer, so what a client sends ahead stays in the kernel's
// buffers and one read's worth here. Bounds, each before its cost (docs/hostile-peers.md): the head's
// bytes and fields, the body's size against --max-recv-msg-size before it is read, one timer for a
// request to arrive whole and for an idle keep-alive connection, the send timeout for a client that does
// not read its answers, and the process's request-byte budget.
import type { Duplex } from "node:stream";
import { MAX_HEADER_LIST } from "../h2/core.ts";
import type { StreamHandler } from "../h2/stream.ts";
import type { Fields } from "../h2/web/exchange.ts";
import type { MethodDef } from "../handler.ts";
import type { Limits } from "../limits.ts";
import { peerNameOf } from "../peer-name.ts";
import { ConnectionRequestBytes, type RequestBytes } from "../request-bytes.ts";
import { ChunkedReader } from "./chunked.ts";
import { type ExchangeHost, Http1Exchange } from "./exchange.ts";
import { type HeadError, type Http1Head, parseHead } from "./head.ts";
import { CONTINUE, responseBytes, responseHead } from "./response.ts";
import { route } from "./route.ts";
import { HeadScanner } from "./scan.ts";

/** What the engine learns of the connection (../h2/engine.ts counts calls and idles by it). */
export interface Http1Events {
  readonly requestOpened: () => void;
  readonly requestClosed: () => void;
  readonly closed: () => void;
  readonly debug: (message: string) => void;
}

interface Http1Config {
  readonly methods: ReadonlyMap<string, MethodDef>;
  readonly limits: Limits;
  readonly requestBytes: RequestBytes;
}

/**
 * Go's net/http reads up to 256 KiB of a body its handler left unread to keep the connection
 * (maxPostHandlerReadBytes); past that it closes. So here, for a request answered before its body came.
 */
const DISCARD_MAX = 256 * 1024;
/** nginx's lingering close: after our last answer, what the client still sends is read past this long. */
const LINGER_MS = 1000;

enum State {
  Head,
  Body,
  /** The request came whole; its answer has not. */
  Waiting,
  Closed,
}

type Timer = ReturnType<typeof setTimeout>;

export class Http1Connection implements ExchangeHost {
  private state = State.Head;
  private readonly scanner = new HeadScanner(MAX_HEADER_LIST);
  /** Views of the reads holding an unfinished head (each read comes in a buffer of its own). */
  private headParts: Buffer[] = [];
  private exchange: Http1Exchange | undefined;
  private handler: StreamHandler | undefined;
  private head: Http1Head | undefined;
  /** Body bytes still to come (Content-Length), or the chunked reader. */
  private remaining = 0;
  private chunked: ChunkedReader | undefined;
  private bodyBytes = 0;
  /** The answer went out before the body ended: the rest is read past, up to DISCARD_MAX. */
  private discarding = false;
  private sentContinue = false;
  /** Bytes read ahead of the request being answered (pipelining). */
  private rest: Buffer | undefined;
  private inInput = false;
  private paused = false;
  /** When the wait for the request in progress began (ms), 0 when none is awaited. */
  private waitSince = 0;
  private draining = false;
  private timer: Timer | undefined;
  private ageTimer: Timer | undefined;
  private sendTimer: Timer | undefined;
  private readonly bytes: ConnectionRequestBytes;
  private readonly bodyCap: number;
  private peerName: string | undefined;
  private readonly onChunkData = (buf: Buffer, start: number, end: number) => this.bodyData(buf, start, end);

  constructor(
    private readonly socket: Duplex,
    private readonly config: Http1Config,
    private readonly events: Http1Events,
  ) {
    this.bytes = new ConnectionRequestBytes(config.requestBytes);
    // The largest body any call accepts: one message at the limit in an envelope, base64 in text mode.
    this.bodyCap = Math.ceil((config.limits.maxReceiveMessageBytes + 5) / 3) * 4;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: Error) => events.debug(`HTTP/1.1 connection error: ${err.message}`));
    socket.on("close", () => this.onClosed());
    socket.on("end", () => this.onEnd());
    const age = config.limits.maxConnectionAgeMs;
    if (age > 0) this.ageTimer = setTimeout(() => this.drain(), age * (0.9 + Math.random() * 0.2));
    this.waitForRequest();
  }

  /** "host:port" of the client. */
  get peer(): string {
    this.peerName ??= peerNameOf(this.socket);
    return this.peerName;
  }

  /** The bytes the protocol sniff read (../h2/engine.ts), then every read after them. */
  onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    if (this.state === State.Waiting || this.inInput) {
      this.keepRest(chunk);
      return;
    }
    this.input(chunk, 0);
  }

  /** Graceful: no request after the one in progress; an idle connection closes now. */
  drain(): void {
    this.draining = true;
    if (this.state === State.Head && !this.scanner.started && this.rest === undefined) this.closeSoon();
  }

  /** Forced: the request in progress is aborted, the socket destroyed. */
  destroy(): void {
    if (this.state === State.Closed && this.socket.destroyed) return;
    this.state = State.Closed;
    this.socket.destroy();
  }

  holdRequest(delta: number): void {
    this.bytes.add(delta);
  }

  answer(
    exchange: Http1Exchange,
    status: number,
    contentType: string,
    fields: Fields,
    body: Uint8Array[],
    length: number,
  ): void {
    if (exchange !== this.exchange || this.state === State.Closed) return;
    const bodyDone = this.state === State.Waiting || (this.state === State.Head && this.head === undefined);
    const head = this.head;
    // The body still coming is read past, unless the client waits for a 100 it will not get now, or it
    // has more left than is worth reading (Go's rules); then the connection closes after this answer.
    const unread = !bodyDone && this.state === State.Body;
    const tooMuchLeft = unread && (this.chunked !== undefined || this.remaining > DISCARD_MAX);
    const close =
      exchange.closeAfter ||
      this.draining ||
      head?.close === true ||
      (unread && head?.expectContinue === true && !this.sentContinue) ||
      tooMuchLeft;
    const bytes = responseBytes(responseHead(status, contentType, fields, length, close), body, length);
    const flushed = this.socket.write(bytes);
    this.exchange = undefined;
    this.handler = undefined;
    this.events.requestClosed();
    if (close) {
      this.closeSoon();
      return;
    }
    if (unread) {
      this.discarding = true;
      return;
    }
    this.next(flushed);
  }

  // --- reading requests ------------------------------------------------------------------------------------

  private input(buf: Buffer, from: number): void {
    this.inInput = true;
    let i = from;
    while (i < buf.length) {
      if (this.state === State.Head) i = this.readHead(buf, i);
      else if (this.state === State.Body) i = this.readBody(buf, i);
      else break;
    }
    this.inInput = false;
    if (i < buf.length && this.state === State.Waiting) this.keepRest(buf.subarray(i));
  }

  private readHead(buf: Buffer, from: number): number {
    const end = this.scanner.scan(buf, from, buf.length);
    if (typeof end !== "number") return this.refuse(end, buf);
    if (end < 0) {
      this.headParts.push(buf.subarray(from));
      return buf.length;
    }
    const parts = this.headParts;
    this.headParts = [];
    parts.push(buf.subarray(from, end));
    const whole = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    const head = parseHead(whole.toString("latin1", 0, whole.length - 4));
    if ("status" in head) return this.refuse(head, buf);
    this.start(head);
    return end;
  }

  /** A request's head came: its call, or a refusal before any of its body is read. */
  private start(head: Http1Head): void {
    this.head = head;
    this.bodyBytes = 0;
    this.sentContinue = false;
    this.discarding = false;
    this.remaining = head.chunked ? 0 : Math.max(head.contentLength, 0);
    this.chunked = head.chunked ? new ChunkedReader(MAX_HEADER_LIST) : undefined;
    this.state = head.chunked || this.remaining > 0 ? State.Body : State.Waiting;
    const exchange = new Http1Exchange(this, head.chunked ? -1 : head.contentLength);
    this.exchange = exchange;
    this.events.requestOpened();
    if (head.contentLength > this.bodyCap) {
      exchange.refuse(
        413,
        `request body of ${head.contentLength} bytes is larger than any message this server accepts`,
        true,
      );
      return;
    }
    if (this.bytes.process.processFull()) {
      // Envoy's overload manager answers 503 when its memory is short; here, the process's request bytes.
      exchange.refuse(503, "the server holds its budget of request bytes: try again", true);
      return;
    }
    this.handler = route(exchange, head, this.config.methods, this.config.limits);
    if (exchange.done) return;
    if (head.expectContinue && this.state === State.Body) {
      this.sentContinue = true;
      this.socket.write(CONTINUE);
    }
    if (this.state === State.Waiting) this.bodyEnded();
  }

  private readBody(buf: Buffer, from: number): number {
    if (this.chunked !== undefined) {
      const r = this.chunked.push(buf, from, buf.length, this.onChunkData);
      if (typeof r !== "number") return this.refuse(r, buf);
      if (this.state === State.Closed) return buf.length;
      if (this.chunked.done) this.bodyEnded();
      return r;
    }
    const n = Math.min(this.remaining, buf.length - from);
    this.remaining -= n;
    this.bodyData(buf, from, from + n);
    if (this.remaining === 0 && this.state === State.Body) this.bodyEnded();
    return from + n;
  }

  private bodyData(buf: Buffer, start: number, end: number): void {
    this.bodyBytes += end - start;
    if (this.discarding) {
      if (this.bodyBytes > DISCARD_MAX) this.closeSoon();
      return;
    }
    // The call refuses a message past the limit itself (its status says so); a body past any message's
    // size that it has not refused (bytes after its message) is refused here.
    this.handler?.onData(buf, start, end);
    if (this.bodyBytes > this.bodyCap && this.exchange !== undefined) {
      this.handler?.onAbort();
      this.exchange.refuse(413, "request body larger than any message this server accepts", true);
    }
  }

  /** The request came whole: its call hears so, and the connection waits for its answer. */
  private bodyEnded(): void {
    this.clearTimer();
    if (this.discarding) {
      this.discarding = false;
      this.next(true);
      return;
    }
    this.state = State.Waiting;
    this.handler?.onEnd();
  }

  /** The answer went out and the request is read: the next one, once the client took the answer. */
  private next(flushed: boolean): void {
    this.head = undefined;
    this.state = State.Head;
    if (flushed) {
      this.waitForRequest();
      return;
    }
    // A client that does not read its answers is not read either, for at most --send-timeout.
    const ms = this.config.limits.sendTimeoutMs;
    if (ms > 0) {
      this.sendTimer = setTimeout(() => {
        this.events.debug(`HTTP/1.1 client took no response bytes for ${ms} ms: closing`);
        this.destroy();
      }, ms);
    }
    this.paused = true;
    this.socket.pause();
    this.socket.once("drain", () => {
      clearTimeout(this.sendTimer);
      this.sendTimer = undefined;
      this.waitForRequest();
    });
  }

  /** Read the next request: what came ahead of it first. */
  private waitForRequest(): void {
    if (this.state === State.Closed) return;
    this.scanner.reset();
    if (this.draining) {
      this.closeSoon();
      return;
    }
    this.armTimer();
    const rest = this.rest;
    if (rest !== undefined && !this.inInput) {
      this.rest = undefined;
      this.input(rest, 0);
    }
    if (this.paused && (this.state === State.Head || this.state === State.Body)) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /**
   * Bytes of the next requests, sent before this one was answered (pipelining). Kept up to one head's
   * worth; past that the socket is not read until the answer went out (not at every request: pausing and
   * resuming a socket costs more than a small request), and a client that still sends is refused.
   */
  private keepRest(chunk: Buffer): void {
    this.rest = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    if (this.rest.length <= MAX_HEADER_LIST) return;
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    // Paused, a socket delivers at most the read in hand; more means the pause did not hold.
    if (this.rest.length > 4 * MAX_HEADER_LIST) this.refuse({ status: 400, reason: "too much sent ahead" }, chunk);
  }

  // --- the connection's end ----------------------------------------------------------------------------------

  /** A request that breaks the rules: 400 (or the status given) and the connection closes. */
  private refuse(err: HeadError, buf: Buffer): number {
    this.events.debug(`HTTP/1.1 request refused (${err.status}): ${err.reason}`);
    const exchange = this.exchange ?? new Http1Exchange(this, -1);
    if (this.exchange === undefined) {
      this.exchange = exchange;
      this.events.requestOpened();
    } else {
      this.handler?.onAbort();
    }
    this.draining = true;
    exchange.refuse(err.status, err.reason);
    return buf.length;
  }

  /** The clock for the request now awaited: one timer a period, re-armed for what is left, not one per request. */
  private armTimer(): void {
    const l = this.config.limits;
    const ms =
      l.maxConnectionIdleMs > 0
        ? Math.min(l.maxConnectionIdleMs, l.handshakeTimeoutMs || Infinity)
        : l.handshakeTimeoutMs;
    if (ms <= 0) return;
    this.waitSince = Date.now();
    if (this.timer === undefined) this.timer = setTimeout(() => this.checkWait(ms), ms);
  }

  private checkWait(ms: number): void {
    this.timer = undefined;
    if (this.waitSince === 0 || this.state === State.Closed) return;
    const waited = Date.now() - this.waitSince;
    if (waited < ms) {
      this.timer = setTimeout(() => this.checkWait(ms), ms - waited);
      return;
    }
    const started = this.state !== State.Head || this.scanner.started;
    this.events.debug(
      started
        ? `HTTP/1.1 request not whole after ${ms} ms: closing`
        : `HTTP/1.1 keep-alive connection idle ${ms} ms: closing`,
    );
    if (started) this.destroy();
    else this.closeSoon();
  }

  /** The request came whole: its clock stops (the timer, if any, finds nothing awaited and lapses). */
  private clearTimer(): void {
    this.waitSince = 0;
  }

  private stopTimer(): void {
    this.waitSince = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The client ended its side: a request in progress cannot finish; one answered-to-be still can. */
  private onEnd(): void {
    if (this.state === State.Waiting) this.draining = true;
    else if (this.state === State.Head && !this.scanner.started) this.closeSoon();
    else this.destroy();
  }

  /** Ends our side once the answer is written, reading past what still comes for a while. */
  private closeSoon(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.stopTimer();
    this.socket.end();
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref?.();
  }

  private onClosed(): void {
    this.state = State.Closed;
    this.stopTimer();
    clearTimeout(this.ageTimer);
    clearTimeout(this.sendTimer);
    const exchange = this.exchange;
    if (exchange !== undefined) {
      this.exchange = undefined;
      exchange.abort();
      this.handler?.onAbort();
      this.handler = undefined;
      this.events.requestClosed();
    }
    if (this.bytes.held !== 0) this.bytes.add(-this.bytes.held);
    this.events.closed();
  }
}
