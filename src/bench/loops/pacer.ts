// Wakes the open loop at each call's due time, to within microseconds, while the event loop keeps reading
// responses. A JS timer alone is ~1 ms granular (Bun floors a setTimeout to whole milliseconds and fires it
// ~0.1 ms after), which made every call leave up to a millisecond late and in bursts. So: sleep on the
// thread's timerfd (wake-timer.ts) until PRECISE_MARGIN_MS before the due time, or, without one, on a timer
// until MARGIN_MS before, then close the last stretch on the thread (hold.ts: spinning on the clock, back to
// the event loop whenever it has I/O to run), or where that cannot be set up, by polling the clock once per
// turn of the event loop (setImmediate), which lets pending I/O run between polls. wrk2 sends on schedule
// inside its event loop and Lancet/Mutilate spin on the clock. Measured before choosing (docs/performance.md,
// "Pacing"): Atomics.waitAsync with a timeout wakes precisely but keeps a core ~85% busy even at 10 calls/s.
//
// Polls that found nothing else to do are waiting, not work: their time is added to `idle`, so the loader's
// CPU figures (utilization, saturation) count the pacer's wait as idle. The gaps the pacer sees are also its
// stall detector: a poll that comes more than STALL_MS after the previous one, or a timer that fires more than
// STALL_MS after its time, means the thread was blocked (GC, JIT, a long callback, the scheduler) meanwhile.

import { STALL_MS } from "../../report/marks.ts";
import { EMPTY_TURN_MS, type HoldEntry, Holder } from "./hold.ts";
import { loopWatch, madeLoopWatch } from "./loop-watch.ts";
import { type WakeHandle, wakeTimer } from "./wake-timer.ts";

/** The event loop as the pacer uses it; injected in tests (an explicit clock, no real time). */
export interface PacerClock {
  /** High-resolution time, ms. */
  now(): number;
  /** Calls `wake` after about `ms` (a coarse timer). */
  sleep(ms: number, wake: () => void): unknown;
  /** Calls `wake` on the event loop's next turn, after pending I/O. */
  poll(wake: () => void): unknown;
  cancelSleep(handle: unknown): void;
  cancelPoll(handle: unknown): void;
  /** How long before the due time `sleep` must end, for its worst lateness; the rest is polled. */
  readonly marginMs: number;
  /** The shortest sleep worth a timer (Bun's timers are whole milliseconds). */
  readonly minSleepMs: number;
  /** Where the last stretch is held on the thread (hold.ts) instead of polled turn by turn; none in tests. */
  readonly holder?: Holder | undefined;
}

/** Sleep on a millisecond timer only while the due time is further than this; poll the clock for the rest. */
export const MARGIN_MS = 1.5;
/** With the thread's timerfd (wake-timer.ts: tens of µs late at p90), the stretch left to polling. */
const PRECISE_MARGIN_MS = 0.15;
/** Sleeps longer than twice this end this much early, then sleep again for the rest. */
const ROUSE_MS = 1;
/** A timerfd sleep shorter than this costs more than the polling it saves. */
const PRECISE_MIN_SLEEP_MS = 0.05;

/** With the holder (hold.ts), the stretch it takes: a millisecond timer sleeps until then. */
const HOLD_FROM_MS = 2;

let threadHolder: Holder | undefined;
let ownCore = false;

/**
 * Sets this thread's pacer up before a run, so that it holds its last stretches from the first call: the
 * thread's loop watch (loop-watch.ts), and whether the thread has a CPU of its own (--pin-cpus, no more
 * load threads than CPUs). Such a thread's holds spin all the way (HOLD_FROM_MS) instead of sleeping until
 * the last 0.15 ms. A core nobody else may use costs nothing spun, and a sleeping vCPU of the 2-core VM woke
 * 40 µs late at best and, now and then, over a millisecond late (the machine's own C timerfd loop too);
 * spinning at --rate 1000 took send lag p99.9 from 0.4–2.4 ms to 0.13–0.42 ms and the measured service time
 * p50 from ~131 to ~90 µs (docs/performance.md, "Pacing").
 */
export async function preparePacer(ownsCore: boolean): Promise<void> {
  await loopWatch();
  if (ownsCore === ownCore) return;
  ownCore = ownsCore;
  threadHolder = undefined;
}

/** The thread's holder, once its loop watch is made (preparePacer()). */
function holder(): Holder | undefined {
  if (threadHolder !== undefined) return threadHolder;
  const watch = madeLoopWatch();
  if (watch !== null) threadHolder = new Holder(watch, ownCore ? HOLD_FROM_MS : undefined);
  return threadHolder;
}

/** The timerfd queue, where there is no holder and there is one. */
const timerfd = () => (holder() === undefined ? wakeTimer() : null);

export const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, wake) => {
    const timer = timerfd();
    if (timer !== null) return timer.at(performance.now() + ms, wake);
    // floor: Bun rounds a fractional delay up, which could carry the wake-up past the margin
    return setTimeout(wake, Math.max(1, Math.floor(ms)));
  },
  poll: (wake) => setImmediate(wake),
  cancelSleep: (h) => {
    // a timerfd entry, or Bun's timer (with a holder, and where there is no timerfd)
    if (typeof h === "object" && h !== null && "live" in h) wakeTimer()?.cancel(h as WakeHandle);
    else clearTimeout(h as ReturnType<typeof setTimeout>);
  },
  cancelPoll: (h) => clearImmediate(h as ReturnType<typeof setImmediate>),
  get marginMs() {
    if (holder() !== undefined) return HOLD_FROM_MS;
    return timerfd() === null ? MARGIN_MS : PRECISE_MARGIN_MS;
  },
  get minSleepMs() {
    return timerfd() === null ? 1 : PRECISE_MIN_SLEEP_MS;
  },
  get holder() {
    return holder();
  },
};

/** What the pacer found while it waited, over every pacer of a thread (kept across phases). */
export interface PacerStats {
  /** Time spent polling with nothing else to do, ms. */
  idleMs: number;
}

/** A stall: the thread did not get to run its event loop between these two instants (ms, its clock). */
type StallHandler = (fromMs: number, toMs: number) => void;

/**
 * A pacer's entry in the holder. A class, so that the holder's call of wake() is one function whatever the
 * phase (see Pacer.at): an arrow per pacer, new each phase, cost the same OSR exits there.
 */
class HeldPacer implements HoldEntry {
  until = 0;
  live = false;
  constructor(
    private readonly pacer: Pacer,
    readonly stats: PacerStats,
    readonly onStall: StallHandler,
  ) {}

  wake(): void {
    this.pacer.woken();
  }
}

export class Pacer {
  private due = 0;
  private fire: ((this: unknown) => void) | undefined;
  private self: unknown;
  private sleepHandle: unknown;
  private pollHandle: unknown;
  private readonly held: HoldEntry;
  /** When the pending timer was asked to fire; when the previous poll ran. */
  private wakeAt = 0;
  private lastPollAt = 0;

  constructor(
    private readonly stats: PacerStats,
    private readonly onStall: StallHandler = () => {},
    private readonly clock: PacerClock = realClock,
  ) {
    this.held = new HeldPacer(this, stats, onStall);
  }

  /** Whether a wake-up is pending. */
  get waiting(): boolean {
    return this.fire !== undefined;
  }

  /**
   * Calls `fire` once (on `self`, if given), at `dueMs` or as soon after as the thread runs; replaces any
   * pending wake-up. A caller that runs a new object per phase passes its class's method and itself: the
   * method is then the same function in every phase, and the JIT's call of it below stays valid. Given a
   * new closure per phase instead, the call compiled in the warm-up took an OSR exit (BadConstantValue) on
   * every call of the measured phase until JSC recompiled it, ~100 calls later (at 100/s, its first second).
   */
  at<T>(dueMs: number, fire: (this: T) => void, self?: T): void {
    this.cancel();
    this.due = dueMs;
    this.fire = fire as (this: unknown) => void;
    this.self = self;
    this.step(this.clock.now());
  }

  /** Drops the pending wake-up, if any. */
  cancel(): void {
    if (this.sleepHandle !== undefined) this.clock.cancelSleep(this.sleepHandle);
    if (this.pollHandle !== undefined) this.clock.cancelPoll(this.pollHandle);
    if (this.held.live) this.clock.holder?.cancel(this.held);
    this.sleepHandle = undefined;
    this.pollHandle = undefined;
    this.fire = undefined;
    this.self = undefined;
  }

  private step(now: number): void {
    const left = this.due - now;
    if (left <= 0) {
      const fire = this.fire;
      const self = this.self;
      this.fire = undefined;
      this.self = undefined;
      fire?.call(self);
      return;
    }
    // under the timer's shortest sleep, poll instead (a 0 ms timer would spin uncounted)
    // A long sleep ends ROUSE_MS early: a core that idled that long wakes slowly (~0.1 ms in a VM), so a
    // second, short sleep then lands within the margin.
    const margin = left > 2 * ROUSE_MS ? Math.max(this.clock.marginMs, ROUSE_MS) : this.clock.marginMs;
    if (left - margin >= this.clock.minSleepMs) {
      this.wakeAt = this.due - margin;
      this.sleepHandle = this.clock.sleep(left - margin, this.onWake);
      return;
    }
    const holder = this.clock.holder;
    if (holder !== undefined) {
      // One entry per pacer, taken again for each hold: not an object per call (the load thread's garbage)
      const held = this.held;
      held.until = this.due;
      held.live = true;
      holder.add(held);
      return;
    }
    this.lastPollAt = now;
    this.pollHandle = this.clock.poll(this.onPoll);
  }

  private readonly onWake = () => {
    this.sleepHandle = undefined;
    const now = this.clock.now();
    if (now - this.wakeAt > STALL_MS) this.onStall(this.wakeAt, now);
    this.step(now);
  };

  /** The holder's wake-up (HeldPacer). */
  woken(): void {
    this.step(this.clock.now());
  }

  private readonly onPoll = () => {
    this.pollHandle = undefined;
    const now = this.clock.now();
    const gap = now - this.lastPollAt;
    if (gap < EMPTY_TURN_MS) this.stats.idleMs += gap;
    else if (gap > STALL_MS) this.onStall(this.lastPollAt, now);
    this.step(now);
  };
}
