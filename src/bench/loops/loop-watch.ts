// Whether this thread's event loop has I/O waiting, asked without running the loop. The pacer holds the
// thread for the last fraction of a millisecond before a due time (hold.ts); to do that without leaving
// responses unread, and without a turn of the event loop per look at the clock (a setImmediate loop
// allocates ~120 bytes a turn, 300,000 turns a second here: the load thread's garbage, and its collections
// were the stalls left in the send lag; docs/performance.md, "Pacing"), it asks the kernel instead.
//
// Bun's event loop waits on one epoll instance per thread (usockets' epoll loop), and an epoll fd is itself
// pollable: readable while any fd in its set has an event (epoll(7), "Q3"). Which of the process's epoll fds
// is this thread's is not exposed, so the thread hands one end of a socketpair to Bun.connect({fd}), which
// adds it to the thread's own set, then finds the epoll fd whose /proc/self/fdinfo lists that descriptor
// (proc(5): "tfd:" lines), and closes the pair. Anywhere that fails (no glibc, no /proc, a runtime that changed its loop) the
// pacer keeps its turn-by-turn polling.
import { dlopen, FFIType, type Pointer, ptr } from "bun:ffi";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const POLLIN = 1;
const PR_SET_TIMERSLACK = 29;

export interface LoopWatch {
  /** True when the thread's event loop has an event to run (a socket to read or write, a message, a task). */
  ioPending(): boolean;
  /** Blocks the thread until the event loop has an event to run (true) or `ms` have passed (false). */
  waitIo(ms: number): boolean;
}

type Libc = ReturnType<typeof openLibc>;

function openLibc() {
  return dlopen("libc.so.6", {
    socketpair: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    ppoll: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

class EpollWatch implements LoopWatch {
  /** struct pollfd { int fd; short events; short revents; }, in memory of its own: a small typed array's
   * storage may move, and a pointer taken once would then point at stale bytes (seen: polls that never
   * saw an event). */
  private readonly pollfd: Int32Array;
  private readonly at: Pointer;
  /** struct timespec { tv_sec; tv_nsec } as 32-bit halves (little-endian; no BigInt made per wait). */
  private readonly timeout = new Int32Array(new ArrayBuffer(16));
  private readonly timeoutAt: Pointer;

  constructor(
    private readonly libc: Libc,
    epfd: number,
  ) {
    this.pollfd = new Int32Array(new ArrayBuffer(8));
    this.pollfd[0] = epfd;
    this.pollfd[1] = POLLIN;
    this.at = ptr(this.pollfd);
    this.timeoutAt = ptr(this.timeout);
  }

  ioPending(): boolean {
    return this.libc.poll(this.at, 1, 0) > 0;
  }

  waitIo(ms: number): boolean {
    const sec = Math.floor(ms / 1000);
    this.timeout[0] = sec;
    this.timeout[2] = Math.round((ms - sec * 1000) * 1e6);
    return this.libc.ppoll(this.at, 1, this.timeoutAt, null) > 0;
  }
}

/** The epoll fd of this process whose interest list holds `fd`, if exactly one does. */
export function epollHolding(fd: number, procFd = "/proc/self/fd"): number | undefined {
  const line = new RegExp(`^tfd:\\s+${fd}\\s`, "m");
  const found: number[] = [];
  for (const name of readdirSync(procFd)) {
    let target: string;
    try {
      target = readlinkSync(`${procFd}/${name}`);
    } catch {
      continue; // closed since the listing
    }
    if (target !== "anon_inode:[eventpoll]") continue;
    try {
      if (line.test(readFileSync(`${procFd.replace(/fd$/, "fdinfo")}/${name}`, "utf8"))) found.push(Number(name));
    } catch {
      // closed since the listing
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

let thisThread: Promise<LoopWatch | null> | undefined;
let settled: LoopWatch | null = null;

/**
 * This thread's watch, made once per thread (a Worker has its own module state, and its own loop); null
 * where it cannot be made. Async: Bun adds the socket to its loop when the connection opens.
 */
export function loopWatch(): Promise<LoopWatch | null> {
  thisThread ??= makeWatch().catch(() => null);
  return thisThread;
}

/** The watch once loopWatch() has made one; null before that or where there is none. */
export function madeLoopWatch(): LoopWatch | null {
  return settled;
}

async function makeWatch(): Promise<LoopWatch | null> {
  if (process.platform !== "linux") return null;
  const libc = openLibc();
  const pair = new Int32Array(new ArrayBuffer(8));
  if (libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ptr(pair)) !== 0) return null;
  const [mine, other] = [pair[0] as number, pair[1] as number];
  // Only long enough to find the epoll fd: then both ends close (Bun drops its end from the set on the hangup).
  let socket: { end(): void } | undefined;
  const opened = await new Promise<boolean>((resolve) => {
    try {
      Bun.connect({
        fd: mine,
        socket: {
          open: (s: { end(): void }) => {
            socket = s;
            resolve(true);
          },
          data: () => {},
          error: () => resolve(false),
          close: () => {},
        },
      } as unknown as Parameters<typeof Bun.connect>[0]).catch(() => resolve(false));
    } catch {
      resolve(false);
    }
  });
  const epfd = opened ? epollHolding(mine) : undefined;
  libc.close(other);
  // (not closed by hand when Bun refused it: Bun may have closed it, and the number may be another's by now)
  socket?.end();
  if (epfd === undefined) return null;
  // The kernel lets a sleeping thread's timeout run late by its timer slack, 50 µs by default (prctl(2)),
  // most of the pacer's margin; this thread's waits are the pacer's, so none.
  libc.prctl(PR_SET_TIMERSLACK, 1n, 0n, 0n, 0n);
  settled = new EpollWatch(libc, epfd);
  return settled;
}
