// Sub-millisecond wake-ups for the pacer, on Linux. Bun's timers fire ~0.1 ms after whole milliseconds, so
// a pacer on them alone must poll the clock for the last millisecond or more before each call; from about
// 1,000 calls/s that keeps the load thread runnable all the time, and on a core shared with the runtime's
// JIT and GC threads the scheduler then hands those threads the core for milliseconds (docs/performance.md,
// "Pacing"). A timerfd (timerfd_create(2), CLOCK_MONOTONIC, absolute expiry) is read by the thread's own
// event loop, so the thread sleeps in epoll, still reading responses, and wakes within tens of µs of the
// instant asked; the pacer polls only the short stretch after that. One timerfd per thread serves every
// pacer of the thread through a queue ordered by wake-up time.
import { dlopen, FFIType, ptr } from "bun:ffi";

const CLOCK_MONOTONIC = 1;
const TFD_NONBLOCK = 0o4000;
const TFD_CLOEXEC = 0o2000000;
const TFD_TIMER_ABSTIME = 1;
/** An entry this close to its time when the timer fires is woken with it (the rest is the pacer's poll). */
const EARLY_MS = 0.005;

export interface WakeHandle {
  live: boolean;
}

interface Entry extends WakeHandle {
  readonly at: number;
  readonly wake: () => void;
}

interface WakeTimer {
  /** Calls `wake` at `atMs` (performance.now()'s clock) or just after, from the event loop. */
  at(atMs: number, wake: () => void): WakeHandle;
  cancel(handle: WakeHandle): void;
}

type Libc = ReturnType<typeof openLibc>;

function openLibc() {
  return dlopen("libc.so.6", {
    timerfd_create: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    timerfd_settime: { args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
}

class TimerFdQueue implements WakeTimer {
  private readonly entries: Entry[] = [];
  private armedAt = Number.POSITIVE_INFINITY;
  private readonly spec = new BigInt64Array(4);
  private readonly ts = new BigInt64Array(2);

  constructor(
    private readonly libc: Libc,
    private readonly fd: number,
  ) {
    const reader = Bun.file(fd).stream().getReader();
    const loop = async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        this.expired();
      }
    };
    loop().catch(() => {});
  }

  at(atMs: number, wake: () => void): WakeHandle {
    const e: Entry = { at: atMs, wake, live: true };
    let i = this.entries.length;
    while (i > 0 && (this.entries[i - 1] as Entry).at > atMs) i--;
    this.entries.splice(i, 0, e);
    if (atMs < this.armedAt) this.arm(atMs);
    return e;
  }

  cancel(handle: WakeHandle): void {
    handle.live = false;
  }

  private expired(): void {
    const now = performance.now();
    const due: Entry[] = [];
    while (this.entries.length > 0) {
      const first = this.entries[0] as Entry;
      if (first.live && first.at > now + EARLY_MS) break;
      this.entries.shift();
      if (first.live) due.push(first);
    }
    this.armedAt = Number.POSITIVE_INFINITY;
    const next = this.entries[0];
    if (next !== undefined) this.arm(next.at);
    for (const e of due) {
      e.live = false;
      e.wake();
    }
  }

  private arm(atMs: number): void {
    this.armedAt = atMs;
    this.libc.clock_gettime(CLOCK_MONOTONIC, ptr(this.ts));
    const nowNs = (this.ts[0] as bigint) * 1_000_000_000n + (this.ts[1] as bigint);
    const at = nowNs + BigInt(Math.max(1, Math.round((atMs - performance.now()) * 1e6)));
    this.spec[0] = 0n;
    this.spec[1] = 0n;
    this.spec[2] = at / 1_000_000_000n;
    this.spec[3] = at % 1_000_000_000n;
    this.libc.timerfd_settime(this.fd, TFD_TIMER_ABSTIME, ptr(this.spec), null);
  }
}

let thisThread: WakeTimer | null | undefined;

/** The thread's timerfd queue; null where there is none (not Linux with glibc, or the FFI refused). */
export function wakeTimer(): WakeTimer | null {
  if (thisThread !== undefined) return thisThread;
  thisThread = null;
  if (process.platform !== "linux") return thisThread;
  try {
    const libc = openLibc();
    const fd = libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd >= 0) thisThread = new TimerFdQueue(libc, fd);
  } catch {
    // no glibc (musl guests) or no FFI: the pacer keeps Bun's millisecond timers
  }
  return thisThread;
}
