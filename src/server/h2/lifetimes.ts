// A server connection's clocks: the handshake deadline, keepalive pings, the idle and age limits (grpc-go's
// keepalive.ServerParameters) and the send timeout. Each ends the connection its own way through the host.
import type { ConnectionError } from "../../h2/errors.ts";
import { ErrorCode } from "../../h2/errors.ts";
import type { Limits } from "../limits.ts";
import { calm } from "./flood.ts";

/** What the timers look at and do on the connection. */
interface LifetimeHost {
  /** The connection is finished: timers that fire now do nothing. */
  isDead(): boolean;
  openStreams(): number;
  /** Response bytes queued for want of the client's window. */
  queuedBytes(): number;
  /** Writes a keepalive PING. */
  ping(): void;
  drain(code: number, debug: string): void;
  destroy(): void;
  connectionError(err: ConnectionError): void;
  debug(message: string): void;
}

type Timer = ReturnType<typeof setTimeout>;

export class Lifetimes {
  /** Something was read since the keepalive timer last looked. */
  readAny = false;
  /** Our keepalive PING is not answered yet. */
  pingOutstanding = false;
  private lastSendProgressMs = 0;
  private handshakeTimer: Timer | undefined;
  private keepaliveTimer: Timer | undefined;
  private idleTimer: Timer | undefined;
  private ageTimer: Timer | undefined;
  private sendTimer: Timer | undefined;

  constructor(
    private readonly limits: Limits,
    private readonly host: LifetimeHost,
  ) {}

  /** The connection is accepted: the clocks that run from its start begin. */
  start(): void {
    const limits = this.limits;
    if (limits.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.host.debug("no HTTP/2 preface in time: closing the connection");
        this.host.destroy();
      }, limits.handshakeTimeoutMs);
    }
    if (limits.keepaliveTimeMs > 0) this.armKeepalive();
    if (limits.maxConnectionIdleMs > 0) this.armIdle();
    if (limits.maxConnectionAgeMs > 0) {
      // grpc-go adds ±10% jitter so a fleet of connections does not reconnect at once.
      const age = limits.maxConnectionAgeMs * (0.9 + Math.random() * 0.2);
      this.ageTimer = setTimeout(() => this.onMaxAge(), age);
    }
  }

  /** The client's preface arrived in time. */
  handshakeDone(): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  /** A stream opened: the connection is not idle. */
  busy(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Every stream is gone: the idle clock starts again. */
  idle(): void {
    if (this.limits.maxConnectionIdleMs > 0) this.armIdle();
  }

  /** The client took some of what is queued. */
  sendProgress(): void {
    this.lastSendProgressMs = Date.now();
  }

  /** Bytes are waiting for window: the client's progress in taking them is watched. */
  watchSend(): void {
    if (this.sendTimer === undefined && this.limits.sendTimeoutMs > 0) {
      this.lastSendProgressMs = Date.now();
      this.armSendTimer(this.limits.sendTimeoutMs);
    }
  }

  clear(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    if (this.keepaliveTimer !== undefined) clearTimeout(this.keepaliveTimer);
    if (this.ageTimer !== undefined) clearTimeout(this.ageTimer);
    this.keepaliveTimer = undefined;
    this.ageTimer = undefined;
    if (this.sendTimer !== undefined) clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    this.busy();
  }

  private armKeepalive(): void {
    this.keepaliveTimer = setTimeout(() => {
      if (this.host.isDead()) return;
      if (this.readAny) {
        this.readAny = false;
        this.armKeepalive();
        return;
      }
      // Silent for keepaliveTimeMs: ask; an unanswered ping closes the connection.
      this.pingOutstanding = true;
      this.host.ping();
      this.keepaliveTimer = setTimeout(() => {
        if (this.pingOutstanding) {
          this.host.debug("keepalive ping unanswered: closing the connection");
          this.host.destroy();
        } else {
          this.armKeepalive();
        }
      }, this.limits.keepaliveTimeoutMs);
    }, this.limits.keepaliveTimeMs);
    this.keepaliveTimer.unref?.();
  }

  private armIdle(): void {
    this.busy();
    this.idleTimer = setTimeout(() => {
      if (this.host.openStreams() === 0) this.host.drain(ErrorCode.NO_ERROR, "max_idle");
    }, this.limits.maxConnectionIdleMs);
  }

  private onMaxAge(): void {
    this.ageTimer = undefined;
    this.host.drain(ErrorCode.NO_ERROR, "max_age");
    const grace = this.limits.maxConnectionAgeGraceMs;
    if (grace > 0 && !this.host.isDead()) this.ageTimer = setTimeout(() => this.host.destroy(), grace);
  }

  // nginx's send_timeout: the clock restarts whenever the client takes some of what is queued, so only a
  // client that opens no window at all (or one too small to move anything) for the whole time is closed.
  private armSendTimer(ms: number): void {
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined;
      const queued = this.host.queuedBytes();
      if (this.host.isDead() || queued === 0) return;
      const idle = Date.now() - this.lastSendProgressMs;
      const limit = this.limits.sendTimeoutMs;
      if (idle < limit) {
        this.armSendTimer(limit - idle);
        return;
      }
      this.host.connectionError(
        calm(`send timeout: ${queued} response bytes queued, no window opened for ${limit} ms`),
      );
    }, ms);
    this.sendTimer.unref?.();
  }
}
