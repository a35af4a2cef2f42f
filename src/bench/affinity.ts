// --pin-cpus on Linux: each load thread alone on a CPU, the runtime's other threads elsewhere. `taskset`
// pins a whole process, and a load thread then shares its core with JavaScriptCore's JIT compilers
// (JITWorker), its GC helpers (HeapHelper) and mimalloc's purge thread (mi-scavenger). Measured with
// `perf sched` (docs/performance.md, "Pacing"): at 1,000 calls/s those took the load thread's core for about
// 120 ms in 3 s and were behind most of its stalls over 1 ms. sched_setaffinity(2) takes a thread id, so each
// thread can be placed on its own: load threads on the CPUs named, every other thread of the process
// (including ones the runtime starts later, found by a periodic sweep of /proc/self/task) on the rest.

import { dlopen, FFIType, ptr } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";
import type { Checked } from "../schema/checked.ts";
import { parseCpuList } from "./pin-plan.ts";

/** The runtime starts JIT and GC threads lazily; a new one is moved off the load CPUs within this. */
const SWEEP_MS = 250;

type SetAffinity = (tid: number, bytes: number, mask: unknown) => number;
let setAffinity: SetAffinity | null | undefined;

function libcSetAffinity(): SetAffinity | null {
  if (setAffinity !== undefined) return setAffinity;
  setAffinity = null;
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  for (const name of ["libc.so.6", `libc.musl-${arch}.so.1`]) {
    try {
      const lib = dlopen(name, {
        sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
      });
      setAffinity = lib.symbols.sched_setaffinity as SetAffinity;
      break;
    } catch {
      // not this libc: try the next
    }
  }
  return setAffinity;
}

/** The CPUs this thread may run on, from /proc (a `Cpus_allowed_list` such as "0-3,6"); null if unknown. */
export function allowedCpus(statusPath = "/proc/thread-self/status"): number[] | null {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(statusPath, "utf8"));
    const list = m === null ? undefined : parseCpuList(m[1] as string);
    return list?.ok ? list.cpus : null;
  } catch {
    return null;
  }
}

/** The kernel's id of the calling thread (gettid(2)), read from /proc: no FFI needed for that. */
export function thisThreadId(): number | null {
  try {
    return Number(readFileSync("/proc/thread-self/stat", "utf8").split(" ", 1)[0]);
  } catch {
    return null;
  }
}

/** Places thread `tid` (of this process) on `cpus`; an error when the platform or the kernel refuses. */
export function pinThread(tid: number, cpus: readonly number[]): Checked<object> {
  const set = libcSetAffinity();
  if (set === null) return { ok: false, error: "--pin-cpus needs Linux (sched_setaffinity from the C library)" };
  const mask = new BigUint64Array(16);
  for (const c of cpus) mask[c >> 6] = (mask[c >> 6] as bigint) | (1n << BigInt(c & 63));
  if (set(tid, mask.byteLength, ptr(mask)) !== 0)
    return { ok: false, error: `--pin-cpus: the kernel refused to place thread ${tid} on CPU ${cpus.join(",")}` };
  return { ok: true };
}

/** The calling thread onto `cpus`; returns its id and the CPUs it may now use, read back (or the refusal). */
export function pinThisThread(cpus: readonly number[]): Checked<{ tid: number; cpus: number[] }> {
  const tid = thisThreadId();
  if (tid === null) return { ok: false, error: "--pin-cpus needs Linux (/proc/thread-self)" };
  const r = pinThread(tid, cpus);
  if (!r.ok) return r;
  return { ok: true, tid, cpus: allowedCpus() ?? [...cpus] };
}

/**
 * Keeps every thread of the process but `keep` (the load threads) on `runtime`, until stopped. Threads
 * already moved are remembered, so a sweep costs one directory read and a syscall per new thread.
 */
export class RuntimeSweeper {
  private readonly moved = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly keep: ReadonlySet<number>,
    private readonly runtime: readonly number[],
  ) {}

  start(): void {
    if (this.runtime.length === 0) return;
    this.sweep();
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    let tids: string[];
    try {
      tids = readdirSync("/proc/self/task");
    } catch {
      this.stop();
      return;
    }
    for (const t of tids) {
      const tid = Number(t);
      if (this.keep.has(tid) || this.moved.has(tid)) continue;
      // a thread may have ended since the listing: a refusal for it is no fault
      pinThread(tid, this.runtime);
      this.moved.add(tid);
    }
  }
}
