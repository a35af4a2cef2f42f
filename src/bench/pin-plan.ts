// --pin-cpus: which CPU each load thread gets, and where the runtime's other threads go. Pure; affinity.ts
// applies it. A CPU list is what taskset(1) and cpuset(7) take: "1", "2-5", "0,2,4-6".

import type { Checked } from "../schema/checked.ts";

export interface PinPlan {
  /** The CPUs named, in order: load thread i runs on load[i % load.length]. */
  readonly load: readonly number[];
  /** Every other CPU the process may use: the JIT, GC and allocator threads and the main thread go there.
   * Empty when none is left (then they share the load threads' CPUs, and the report says so). */
  readonly runtime: readonly number[];
}

/** The highest CPU number accepted: sched_setaffinity's mask here is 1024 bits, as glibc's cpu_set_t. */
const MAX_CPU = 1023;

export function parseCpuList(text: string): Checked<{ cpus: number[] }> {
  const cpus = new Set<number>();
  const bad = (why: string) => ({ ok: false as const, error: `--pin-cpus: "${text}" ${why} (e.g. 1, 2-5 or 0,2,4-6)` });
  if (text.trim() === "") return bad("names no CPU");
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) return bad("is not a CPU list");
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return bad(`has a range that runs backwards (${part.trim()})`);
    if (to > MAX_CPU) return bad(`names CPU ${to}, above ${MAX_CPU}`);
    for (let c = from; c <= to; c++) cpus.add(c);
  }
  return { ok: true, cpus: [...cpus].sort((a, b) => a - b) };
}

/** `allowed`: the CPUs this process may run on (its affinity mask, e.g. narrowed by taskset or a cgroup). */
export function pinPlan(load: readonly number[], allowed: readonly number[]): Checked<{ plan: PinPlan }> {
  const may = new Set(allowed);
  const outside = load.filter((c) => !may.has(c));
  if (outside.length > 0) {
    return {
      ok: false,
      error: `--pin-cpus: CPU ${outside.join(", ")} is not one this process may run on (it may use ${cpuListText(allowed)})`,
    };
  }
  const named = new Set(load);
  return { ok: true, plan: { load, runtime: allowed.filter((c) => !named.has(c)) } };
}

/** 0,1,2,5 → "0-2,5". */
export function cpuListText(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && (cpus[j + 1] as number) === (cpus[j] as number) + 1) j++;
    parts.push(i === j ? String(cpus[i]) : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
