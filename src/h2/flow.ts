// Flow-control windows (RFC 9113 §6.9), in the spirit of x/net's inflow/outflow and grpc-go's trInFlow:
// what we let the peer send and return as it is consumed, and what the peer lets us send. Both ends keep
// one InFlow/OutFlow for the connection and one StreamFlow per stream.
import { ConnectionError, ErrorCode } from "./errors.ts";
import { MAX_WINDOW } from "./frame.ts";

// What either end lets its peer send before it must wait for a WINDOW_UPDATE: per stream enough for a
// typical message in one go, per connection enough for many streams at once. Returned when half is used.
export const STREAM_WINDOW = 1 << 20;
export const CONNECTION_WINDOW = 16 << 20;

/**
 * What the peer may still send us. Bytes it sends are taken from the window as they arrive; bytes the
 * application has consumed are returned in one WINDOW_UPDATE once they reach half of `size`, so the peer
 * is neither stalled nor sent an update per frame.
 */
export class InFlow {
  /** What the peer may send before our next WINDOW_UPDATE. */
  avail: number;
  /** Consumed bytes not yet returned. */
  unacked = 0;

  constructor(
    initial: number,
    /** The window we keep open. */
    readonly size: number,
  ) {
    this.avail = initial;
  }

  /** The peer sent n bytes: false when that is more than it was given (FLOW_CONTROL_ERROR, §6.9.1). */
  take(n: number): boolean {
    this.avail -= n;
    return this.avail >= 0;
  }

  /** n bytes consumed: theirs to return, with the next due(). */
  consumed(n: number): void {
    this.unacked += n;
  }

  /** Whether due() would return an increment now. */
  isDue(): boolean {
    return this.unacked >= this.size / 2;
  }

  /** The increment to send now, if half the window is waiting to be returned (and it counts as sent). */
  due(): number {
    if (this.unacked < this.size / 2) return 0;
    const increment = this.unacked;
    this.avail += increment;
    this.unacked = 0;
    return increment;
  }
}

/** What we may still send: the peer's window, grown by its WINDOW_UPDATEs. */
export class OutFlow {
  constructor(public avail: number) {}

  /** A WINDOW_UPDATE (or a SETTINGS change): false when the window would pass 2^31−1 (§6.9.1). */
  add(increment: number): boolean {
    this.avail += increment;
    return this.avail <= MAX_WINDOW;
  }
}

/**
 * One stream's pair of windows, as x/net keeps an inflow and an outflow on each stream: what we may send
 * on it (the peer's SETTINGS_INITIAL_WINDOW_SIZE plus its WINDOW_UPDATEs) and what the peer may send us
 * (STREAM_WINDOW plus ours), with the consumed bytes not yet returned.
 */
export class StreamFlow {
  sendWindow = 0;
  recvWindow = STREAM_WINDOW;
  unacked = 0;

  /** Fresh windows, for a stream opening (or a call sent again on another stream). */
  reset(sendWindow: number): void {
    this.sendWindow = sendWindow;
    this.recvWindow = STREAM_WINDOW;
    this.unacked = 0;
  }

  /** The peer sent n bytes on the stream: false when that is more than it was given (§6.9.1). */
  take(n: number): boolean {
    this.recvWindow -= n;
    return this.recvWindow >= 0;
  }

  /** n bytes consumed: the stream WINDOW_UPDATE increment to send now (0: none yet), in halves. */
  consumed(n: number): number {
    const unacked = this.unacked + n;
    if (unacked < STREAM_WINDOW / 2) {
      this.unacked = unacked;
      return 0;
    }
    this.recvWindow += unacked;
    this.unacked = 0;
    return unacked;
  }

  /** A stream WINDOW_UPDATE from the peer: false when the window would pass 2^31−1 (§6.9.1). */
  grow(increment: number): boolean {
    this.sendWindow += increment;
    return this.sendWindow <= MAX_WINDOW;
  }
}

/**
 * A change of the peer's SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's send window by `delta`
 * (§6.9.2): below zero is allowed (the stream waits for WINDOW_UPDATEs), past 2^31−1 is a connection
 * FLOW_CONTROL_ERROR.
 */
export function shiftSendWindows(streams: Iterable<{ readonly flow: StreamFlow }>, delta: number): void {
  if (delta === 0) return;
  for (const stream of streams) {
    if (!stream.flow.grow(delta)) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE overflows a window");
    }
  }
}
