// What the run was measured on, for the JSON report: figures from different machines are not comparable.
import os from "node:os";
import type { BenchReport } from "../report/types.ts";

export function describeMachine(): BenchReport["machine"] {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? "unknown",
    memory_bytes: os.totalmem(),
    runtime: `bun ${Bun.version}`,
  };
}
