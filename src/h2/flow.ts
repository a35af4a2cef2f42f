// Flow-control windows (RFC 9113 §6.9), in the spirit of x/net's inflow/outflow and grpc-go's trInFlow:
// what we let the peer send and return as it is consumed, and what the peer lets us send.
import { ConnectionError, ErrorCode } from "./errors.ts";
import { MAX_WINDOW } from "./frame.ts";

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
 * A change of the peer's SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's send window by `delta`
 * (§6.9.2): below zero is allowed (the stream waits for WINDOW_UPDATEs), past 2^31−1 is a connection
 * FLOW_CONTROL_ERROR.
 */
export function shiftSendWindows(streams: Iterable<{ sendWindow: number }>, delta: number): void {
  if (delta === 0) return;
  for (const stream of streams) {
    stream.sendWindow += delta;
    if (stream.sendWindow > MAX_WINDOW) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE overflows a window");
    }
  }
}
