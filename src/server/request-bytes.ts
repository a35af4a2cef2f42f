// The budget for request bytes a server holds for messages not yet complete (and complete ones a call keeps
// until the request ends): counted per connection and per process, whatever the engine. Flow control alone
// does not bound them: window is returned as bytes are taken off the connection, and a peer that never
// finishes its messages (or declares 4 MiB and sends a byte a frame) can otherwise make every stream hold
// up to --max-recv-msg-size. Past the connection's cap the lean engine withholds the connection window and
// refuses new streams, as it already does for queued response bytes; past the process's cap every
// connection does.

/**
 * Sixteen messages of grpc-go's default receive limit (4 MiB) in progress at once on one connection; four
 * times grpc-go's largest connection window (its BDP estimator's bdpLimit, 16 MiB). An honest client with
 * 48 uploads of 1 MiB interleaved on one connection fits (test/h2/h2-flow.test.ts); a peer that keeps a
 * thousand messages half-sent does not.
 */
export const DEFAULT_CONNECTION_REQUEST_BYTES = 64 << 20;
/**
 * Envoy's default initial_connection_window_size (256 MiB): what Envoy lets one downstream connection send
 * before it reads; here the sum over every connection of the process.
 */
export const DEFAULT_PROCESS_REQUEST_BYTES = 256 << 20;

/** The process's count, shared by every server thread (a SharedArrayBuffer survives postMessage). */
export type RequestByteCount = Int32Array;

// The shared count is kept in pages, so an Int32 covers 8 TiB and a thread publishes only page crossings.
const PAGE = 4096;

export function newRequestByteCount(): RequestByteCount {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
}

/** One thread's share of the process budget. */
export class RequestBytes {
  private local = 0;
  private pages = 0;
  /** Connections of this thread that withheld window for want of room in the process's budget. */
  private waiting: Array<() => void> = [];

  constructor(
    /** Past this many bytes on one connection, that connection stops taking more. */
    readonly perConnection: number = DEFAULT_CONNECTION_REQUEST_BYTES,
    /** Past this many bytes in the process, every connection does. */
    readonly perProcess: number = DEFAULT_PROCESS_REQUEST_BYTES,
    private readonly shared: RequestByteCount = newRequestByteCount(),
  ) {}

  add(delta: number): void {
    this.local += delta;
    const pages = Math.ceil(this.local / PAGE);
    if (pages !== this.pages) {
      Atomics.add(this.shared, 0, pages - this.pages);
      this.pages = pages;
    }
    if (delta < 0 && this.waiting.length > 0 && !this.processFull()) {
      for (const wake of this.waiting.splice(0)) wake();
    }
  }

  /**
   * `wake` runs once when this thread frees bytes with the process back under its cap. Connections of
   * other threads notice at their next frame (a wait across threads would cost every free a message).
   */
  waitForRoom(wake: () => void): void {
    if (this.processFull() && !this.waiting.includes(wake)) this.waiting.push(wake);
  }

  /** Bytes held by this thread. */
  get held(): number {
    return this.local;
  }

  /** Bytes held by every thread sharing the count (to a page each). */
  get processHeld(): number {
    return Atomics.load(this.shared, 0) * PAGE;
  }

  /** The process is at its cap: new streams are refused everywhere. */
  processFull(): boolean {
    return this.processHeld >= this.perProcess;
  }
}

/** One connection's count, adding into its thread's. */
export class ConnectionRequestBytes {
  held = 0;

  constructor(readonly process: RequestBytes) {}

  add(delta: number): void {
    this.held += delta;
    this.process.add(delta);
  }

  /** Over the connection's cap or the process's: withhold window, refuse new streams. */
  full(): boolean {
    return this.held >= this.process.perConnection || this.process.processFull();
  }
}
