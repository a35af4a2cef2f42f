// The jobs waiting for a signing worker, kept on the main thread: bounded, so a flood is refused at the door
// instead of piling up, and looked at again when a worker is free, so a job nobody waits for any more is
// never signed.

/** What the pool needs to know of the call a job serves. */
export interface Caller {
  /** Absolute deadline, Date.now() ms; Infinity if none. */
  readonly deadline: number;
  readonly cancelled: () => boolean;
}

export type Drop = "deadline" | "cancelled";

/** Why a job need not run any more, or undefined while its caller still waits. The deadline is checked
 * first: a passed deadline also marks the call cancelled, and the deadline is the truer reason. */
export function whyDrop(caller: Caller | undefined, now: number): Drop | undefined {
  if (caller === undefined) return undefined;
  if (now >= caller.deadline) return "deadline";
  return caller.cancelled() ? "cancelled" : undefined;
}

/** A FIFO of at most `capacity` items. An array with a moving head: shift() stays O(1) without a ring's
 * preallocation, which matters when the capacity is large and the queue is mostly empty. */
export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** False when full: the caller refuses the item. */
  push(item: T): boolean {
    if (this.length >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T; // let it be collected before the next compaction
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Takes out every item `gone` picks, keeping the others in order; returns what it took. O(length), so
   * meant for the moment the queue is full, not for every push. */
  sweep(gone: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const taken: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      (gone(item) ? taken : kept).push(item);
    }
    this.items = kept;
    this.head = 0;
    return taken;
  }

  /** Empties the queue and returns what was in it, oldest first. */
  drain(): T[] {
    return this.sweep(() => true);
  }
}
