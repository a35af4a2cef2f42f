// The last few milliseconds before a due time, held on the thread. The pacer used to sleep on a timer (a
// timerfd read through a stream) until a fraction of a millisecond before each call, then look at the
// clock once per turn of the event loop (setImmediate) until the call was due. Both made the load thread's
// garbage: ~120 bytes a turn at ~300,000 turns a second, and a promise, a read request and a chunk per
// wake-up; JSC collected it every ~0.5 s with 1–2 ms pauses, the stalls left in a run's send lag
// (docs/performance.md, "Pacing"). Here, inside one callback, the thread sleeps in the kernel until
// SPIN_MS before the due time or until the event loop has I/O to run (loop-watch.ts: ppoll on the loop's
// own epoll fd), then spins on the clock, asking the kernel the same between looks. It goes back to the
// loop when the loop has something to run (a response to read, a message), when a call is due, and at
// least every MAX_HOLD_MS so that the loop's timers run. Lancet and Mutilate spin the same way; wrk2 sends
// from inside its event loop. One holder per thread serves every pacer of the thread (each stream of a
// --stream-rate run has one), always holding for the earliest.
import { STALL_MS } from "../../report/marks.ts";
import type { LoopWatch } from "./loop-watch.ts";

/** A look at the clock that came sooner than this after the previous one found nothing else run between. */
export const EMPTY_TURN_MS = 0.02;
/** The longest the holder keeps the thread before letting the event loop's timers run. */
const MAX_HOLD_MS = 1;
/** The stretch before a due time spent spinning rather than asleep: a sleeping thread wakes tens of µs late
 * (a C timerfd loop on an idle core of the 2-core VM: p99 45–131 µs, scripts/bench-pacing.sh's floor).
 * A thread with a core of its own spins its whole hold (pacer.ts, preparePacer). */
const SPIN_MS = 0.15;
/** Holds shorter than this are spun: a sleep that short costs more than the spinning it saves. */
const MIN_SLEEP_MS = 0.03;

/** A waiting pacer: woken at `until` or after; where its waiting time and the thread's stalls are told. */
export interface HoldEntry {
  until: number;
  readonly wake: () => void;
  /** Time spent looking at the clock with nothing else to do (ms): waiting, not work. */
  readonly stats: { idleMs: number };
  /** The thread did not run between these instants (ms). */
  readonly onStall: (fromMs: number, toMs: number) => void;
  /** In the holder, waiting: set by its pacer as it adds it, cleared as it is woken or cancelled. */
  live: boolean;
}

export class Holder {
  /** Waiting entries, earliest first; only live ones (cancel() takes one out at once). */
  private entries: HoldEntry[] = [];
  private scheduled = false;
  /** When the holder last handed the thread back to the event loop. */
  private yieldedAt = 0;
  /** The entries wakeDue() is waking (kept, emptied after each). */
  private readonly due: HoldEntry[] = [];

  constructor(
    private readonly watch: LoopWatch,
    /** The stretch before a due time spent spinning (the rest of a hold sleeps). */
    private readonly spinMs = SPIN_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(e: HoldEntry): void {
    let i = this.entries.length;
    while (i > 0 && (this.entries[i - 1] as HoldEntry).until > e.until) i--;
    this.entries.splice(i, 0, e);
    if (!this.scheduled) this.yieldToLoop(this.now());
  }

  /** Takes the entry out at once, so that its pacer may add the same object again (pacer.ts: one per pacer). */
  cancel(e: HoldEntry): void {
    e.live = false;
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
  }

  private yieldToLoop(now: number): void {
    this.scheduled = true;
    this.yieldedAt = now;
    setImmediate(this.turn);
  }

  /** A gap between two looks at the clock: waiting when short, a stall of the thread when long. */
  private gap(from: number, to: number): void {
    const ms = to - from;
    if (ms < EMPTY_TURN_MS) {
      const first = this.entries[0];
      if (first !== undefined) first.stats.idleMs += ms;
    } else if (ms > STALL_MS) {
      this.stalled(from, to);
    }
  }

  private stalled(from: number, to: number): void {
    for (const e of this.entries) e.onStall(from, to);
  }

  private readonly turn = (): void => {
    this.scheduled = false;
    let now = this.now();
    this.gap(this.yieldedAt, now);
    const holdEnd = now + MAX_HOLD_MS;
    for (;;) {
      const first = this.entries[0];
      if (first === undefined) return;
      if (first.until <= now) {
        this.wakeDue(now);
        return;
      }
      // timers wait for the loop at most MAX_HOLD_MS, but never the call due in the next SPIN_MS
      if (now >= holdEnd && first.until - now > SPIN_MS) {
        this.yieldToLoop(now);
        return;
      }
      const sleep = Math.min(first.until - this.spinMs, holdEnd) - now;
      if (sleep >= MIN_SLEEP_MS) {
        if (this.watch.waitIo(sleep)) {
          this.yieldToLoop(this.now());
          return;
        }
        const t = this.now();
        // asleep is neither work nor waiting on the CPU; woken past the stall bound, the thread was held up
        if (t - (now + sleep) > STALL_MS) this.stalled(now + sleep, t);
        now = t;
        continue;
      }
      if (this.watch.ioPending()) {
        this.yieldToLoop(now);
        return;
      }
      const t = this.now();
      this.gap(now, t);
      now = t;
    }
  };

  /** Wakes every entry due by `now`, then goes back to the loop: a woken pacer's call is written from there. */
  private wakeDue(now: number): void {
    // One list kept for this, not a new array per wake-up: the load thread's garbage is its GC pauses.
    const due = this.due;
    while (this.entries.length > 0 && (this.entries[0] as HoldEntry).until <= now)
      due.push(this.entries.shift() as HoldEntry);
    if (this.entries.length > 0) this.yieldToLoop(now);
    // A wake-up may add an entry again (the same object: its own pacer's, or another's it moved on), so each
    // is marked woken before any wakes, and one that is live again by its turn waits for its new time.
    const n = due.length;
    for (let i = 0; i < n; i++) (due[i] as HoldEntry).live = false;
    for (let i = 0; i < n; i++) {
      const e = due[i] as HoldEntry;
      if (!e.live) e.wake();
    }
    due.length = 0;
  }
}
