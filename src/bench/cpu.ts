// CPU time of the calling thread. The loader warns when one of its own threads was saturated, because
// then the figures measure the loader and not the server; that needs per-thread, not per-process, time.
import { readFileSync } from "node:fs";

// USER_HZ: 100 on every Linux build that matters (glibc's sysconf(_SC_CLK_TCK)).
const TICKS_PER_SECOND = 100;

/** Seconds of CPU (user + system) this thread has used, or undefined where /proc cannot tell. */
export function threadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime + stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** Times the OS took the CPU from this thread while it could run (nonvoluntary context switches), or
 * undefined where /proc cannot tell: a stall with these rising was the scheduler's, not the loader's. */
export function threadPreemptions(): number | undefined {
  try {
    const m = /^nonvoluntary_ctxt_switches:\s*(\d+)$/m.exec(readFileSync("/proc/thread-self/status", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds of CPU the whole process (every thread) has used. */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
