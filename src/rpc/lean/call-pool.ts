// Spare unary calls of one lean channel. A bench call allocated its ClientUnaryCall and the StreamFlow in
// it, and the load thread's garbage is its eden collections, each a stall of every call due during it
// (issue 27). A call goes back only once its stream has ended by a frame of its own (./connection.ts): it
// is then out of the connection's stream map, in no queue, and no loop over the streams holds it; a late
// frame on its old stream id finds no call, so a call taken again on a new stream never sees it.

// Enough for the calls a channel has in flight at once in bench; more spare calls are left to the GC.
const MAX_SPARE = 256;

/** The pool of one kind of call (generic only so that ./unary-call.ts and this file need not import each other). */
export class CallPool<T> {
  private readonly spare: T[] = [];

  constructor(private readonly max = MAX_SPARE) {}

  /** Calls waiting to be taken again. */
  get size(): number {
    return this.spare.length;
  }

  /** A spare call, to be reset with reuse() by the taker. */
  take(): T | undefined {
    return this.spare.pop();
  }

  /** A call whose stream has ended and that nothing else refers to. */
  give(call: T): void {
    if (this.spare.length < this.max) this.spare.push(call);
  }
}
