// Who takes the load thread's core (docs/performance.md, "Pacing"): reads `perf script -F time,event,trace`
// of a `perf sched record -C <core>` taken during a run and prints, for the load thread ("Worker"), how often
// and how long it waited while runnable (preempted, or woken and not yet on the core), which tasks ran during
// its waits over 1 ms, and the core's time by task. Tasks of the loader process are named as such; anything
// else on the core is another process (a benchmark's figures are not the loader's then).
//   perf script -i sched.data -F time,event,trace | bun scripts/loader-sched.ts [LOADER_PID]
import { readdirSync } from "node:fs";

const loaderPid = process.argv[2];
const own = new Set<number>();
if (loaderPid) {
  try {
    for (const t of readdirSync(`/proc/${loaderPid}/task`)) own.add(Number(t));
  } catch {
    // the process has ended: tasks are named by the trace alone
  }
}
const LOAD = "Worker";
const sw =
  /^\s*([\d.]+):\s+sched:sched_switch: prev_comm=(.*?) prev_pid=(\d+) .*?prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)/;
const wk = /^\s*([\d.]+):\s+sched:sched_waking: comm=(.*?) pid=(\d+) /;

const ranOnCore = new Map<string, number>();
const ranInWaits = new Map<string, number>();
const waits: number[] = [];
let last: number | undefined;
let waitFrom: number | undefined;
let during = new Map<string, number>();
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const label = (comm: string, pid: number) => (own.size === 0 || own.has(pid) ? comm : `${comm} (other process)`);

for await (const line of console) {
  const w = wk.exec(line);
  if (w) {
    if (w[2] === LOAD && waitFrom === undefined) {
      waitFrom = Number(w[1]);
      during = new Map();
    }
    continue;
  }
  const s = sw.exec(line);
  if (!s) continue;
  const t = Number(s[1]);
  const prev = label(s[2] as string, Number(s[3]));
  if (last !== undefined) {
    add(ranOnCore, prev, t - last);
    if (waitFrom !== undefined && s[2] !== LOAD) add(during, prev, t - last);
  }
  last = t;
  if (s[2] === LOAD && (s[4] as string).startsWith("R")) {
    waitFrom = t;
    during = new Map();
  }
  if (s[5] === LOAD && waitFrom !== undefined) {
    const d = t - waitFrom;
    waits.push(d);
    if (d > 0.001) for (const [k, v] of during) add(ranInWaits, k, v);
    waitFrom = undefined;
  }
}
const ms = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => `${k} ${(v * 1000).toFixed(1)}`)
    .join(", ");
const long = waits.filter((d) => d > 0.001);
console.log(
  `load thread waited while runnable ${waits.length} times, ${long.length} over 1 ms ` +
    `(${(long.reduce((a, b) => a + b, 0) * 1000).toFixed(1)} ms, longest ${(Math.max(0, ...waits) * 1000).toFixed(2)} ms)`,
);
console.log(`ran during those waits over 1 ms (ms): ${ms(ranInWaits)}`);
console.log(`the core's time by task (ms): ${ms(ranOnCore)}`);
