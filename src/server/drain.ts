// Counts HTTP/2 streams (calls) open on the server, so a graceful shutdown can wait for them, and bounds
// each wait of a shutdown by its grace period. grpc-js's
// tryShutdown() waits on Http2Session.close(), whose callback on Bun fires once GOAWAY is sent, with
// calls still running (measured: 3 ms with a bidi call open); the drain must not trust it alone.
import type http2 from "node:http2";

export class CallTracker {
  private open = 0;
  private idleWaiters: (() => void)[] = [];

  get inFlight(): number {
    return this.open;
  }

  /** Attach to an HTTP/2 server's "stream" event. */
  readonly track = (stream: http2.ServerHttp2Stream): void => {
    this.open++;
    stream.once("close", () => {
      this.open--;
      if (this.open === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  };

  /** Resolves when no call is open (at once if none is). */
  idle(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** `work`'s outcome, or `late` once `ms` have passed, whichever comes first; the timer does not outlive it. */
export async function within<T, L>(work: Promise<T>, ms: number, late: L): Promise<T | L> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<L>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
