// --pin-cpus on the real kernel: the load thread runs alone on the CPU named and the rest of the process is
// moved off it; read back from /proc, never timed. Needs two CPUs this process may use (skipped otherwise).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allowedCpus, pinThread, RuntimeSweeper, thisThreadId } from "../../src/bench/affinity.ts";
import { binaryRunner, expectRefused, runBinaryAsync, type ServedBinary, serveBinary } from "../support/helpers.ts";

const allowed = allowedCpus("/proc/self/status") ?? [];
const twoCpus = allowed.length >= 2;
const loadCpu = allowed[allowed.length - 1] as number;
const others = allowed.filter((c) => c !== loadCpu);
const dir = mkdtempSync(join(tmpdir(), "grpcperf-pin-"));
let server: ServedBinary | undefined;

beforeAll(async () => {
  if (twoCpus) server = await serveBinary();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cpusOf = (tid: string) => allowedCpus(`/proc/self/task/${tid}/status`);

test.skipIf(!twoCpus)("the sweeper moves every other thread of the process off the kept thread's CPU", async () => {
  // a second thread of this process (a Worker), which must be moved
  const worker = new Worker(URL.createObjectURL(new Blob(["self.onmessage = () => self.postMessage(1);"])));
  await new Promise<void>((resolve) => {
    worker.onmessage = () => resolve();
    worker.postMessage(0);
  });
  const me = String(thisThreadId());
  const sweeper = new RuntimeSweeper(new Set([Number(me)]), others);
  try {
    // the threads there before the sweep: the runtime may start another at any time, which the next sweep takes
    const tasks = readdirSync("/proc/self/task");
    sweeper.start();
    expect(tasks.length).toBeGreaterThan(1);
    for (const tid of tasks.filter((t) => t !== me)) {
      const cpus = cpusOf(tid);
      // a thread that ended since the listing has no status left to read
      if (cpus !== null) expect({ tid, cpus }).toEqual({ tid, cpus: others });
    }
    expect(cpusOf(me)).toEqual(allowed);
  } finally {
    sweeper.stop();
    for (const tid of readdirSync("/proc/self/task")) pinThread(Number(tid), allowed);
    worker.terminate();
  }
});

test.skipIf(!twoCpus)(
  "bench --pin-cpus: the load thread reads back its one CPU; the report says where each part ran",
  async () => {
    const out = join(dir, "pinned.json");
    const r = await runBinaryAsync([
      "bench",
      "--server",
      server?.target as string,
      "--threads",
      "1",
      "--rate",
      "200",
      "-n",
      "200",
      "--pin-cpus",
      String(loadCpu),
      "--json",
      "-o",
      out,
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.options.pin_cpus).toEqual([loadCpu]);
    expect(report.options.runtime_cpus).toEqual(others);
    expect(report.loader.threads.map((t: { cpus: number[] }) => t.cpus)).toEqual([[loadCpu]]);
    expect(report.total.ok).toBe(200);
  },
);

test.skipIf(!twoCpus)("more load threads than pinned CPUs: the report says they share it", async () => {
  const r = await runBinaryAsync([
    "bench",
    "--server",
    server?.target as string,
    "--threads",
    "2",
    "--rate",
    "200",
    "-n",
    "100",
    "--pin-cpus",
    String(loadCpu),
  ]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`Loader pinned: load threads on CPU ${loadCpu};`);
  expect(r.stdout).toContain("2 load threads share it, so none has a core of its own");
});

test.skipIf(!twoCpus)("bench --calibrate --pin-cpus says where the pacer ran", async () => {
  const r = await runBinaryAsync(["bench", "--calibrate", "-z", "50ms", "--pin-cpus", String(loadCpu), "--json"]);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.pin_cpus).toEqual([loadCpu]);
  expect(doc.runtime_cpus).toEqual(others);
  expect(doc.rates.length).toBeGreaterThan(0);
});

test("a CPU the process may not use, or a list that is not one, is a usage error before any call", () => {
  const run = binaryRunner(dir, {});
  const beyond = Math.max(...allowed, 0) + 1;
  expectRefused(
    run,
    ["bench", "--server", "127.0.0.1:9", "--pin-cpus", String(beyond), "-n", "1"],
    `CPU ${beyond} is not one this process may run on`,
  );
  expectRefused(run, ["bench", "--server", "127.0.0.1:9", "--pin-cpus", "1-x", "-n", "1"], '"1-x" is not a CPU list');
  expectRefused(
    run,
    ["bench", "--calibrate", "--pin-cpus", String(beyond)],
    `CPU ${beyond} is not one this process may run on`,
  );
});
