// Pool throughput by dispatch window: how many jobs a worker holds at once. Window 1 (the default) keeps
// waiting jobs on the main thread, so a dropped job never reaches a worker; "all" posts every job at once,
// as the pool did before it had a queue. Each round runs the windows in turn, so drift on a shared machine
// hits them alike. Not a test: numbers to read, nothing asserted.
// Run: bun scripts/bench-pool.ts [WORKERS] [JOBS] [IN_FLIGHT] [ROUNDS]
import { Algorithm, type SigningAlgorithm } from "../src/crypto/algorithms.ts";
import type { Job } from "../src/crypto/jobs.ts";
import { generateDefaultKeys } from "../src/crypto/keys.ts";
import { WorkerPool } from "../src/crypto/pool.ts";

const [workers = 2, jobs = 3000, inFlight = 64, rounds = 3] = process.argv.slice(2).map(Number);
const keys = generateDefaultKeys();
const keyId = (kind: string) => keys.find((k) => k.public.kind === kind)?.public.id ?? "";

const jobFor = (algorithm: SigningAlgorithm, kind: string): Job => ({
  op: "sign",
  keyId: keyId(kind),
  algorithm,
  input: { message: Buffer.from("grpcperf pool benchmark") },
  encoding: "der",
});
const kinds: Array<[string, Job]> = [
  ["ecdsa-p256", jobFor(Algorithm.ECDSA_P256_SHA256, "p256")],
  ["rsa-pkcs1", jobFor(Algorithm.RSA_PKCS1_SHA256, "rsa")],
];
const windows: Array<[string, number]> = [
  ["1", 1],
  ["2", 2],
  ["all", Number.POSITIVE_INFINITY],
];

/** `inFlight` callers in a closed loop, `jobs` in all; jobs per second. */
async function measure(pool: WorkerPool, job: Job): Promise<number> {
  let left = jobs;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (left-- > 0) {
        const r = await pool.run(job);
        if (!r.ok) throw new Error(`job failed: ${"error" in r ? r.error : ""}`);
      }
    }),
  );
  return jobs / ((performance.now() - t0) / 1000);
}

const privates = keys.map((k) => k.private);
// One pool per window, all started up front and warmed, then measured in turn within each round.
const pools = await Promise.all(
  windows.map(([, window]) => WorkerPool.start(workers, privates, { window, queue: inFlight })),
);
const results = new Map<string, number[]>();
try {
  for (const pool of pools) for (const [, job] of kinds) await measure(pool, job);
  for (let round = 0; round < rounds; round++) {
    for (const [kname, job] of kinds) {
      for (const [i, [wname]] of windows.entries()) {
        const k = `${kname} window ${wname}`;
        results.set(k, [...(results.get(k) ?? []), await measure(pools[i] as WorkerPool, job)]);
      }
    }
  }
} finally {
  await Promise.all(pools.map((p) => p.close()));
}
console.log(`${workers} workers, ${jobs} jobs, ${inFlight} in flight, ${rounds} rounds: jobs/s (median, all)`);
for (const [k, v] of results) {
  const sorted = [...v].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(`${k.padEnd(24)} ${median.toFixed(0).padStart(7)}   ${v.map((x) => x.toFixed(0)).join(" ")}`);
}
