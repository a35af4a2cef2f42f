#!/usr/bin/env bun
// How closely the loader keeps to its schedule: the figures that tests must not assert (issue 33), since
// a shared machine's load moves them. Everything runs the compiled binary against `grpcperf serve` on
// loopback and prints one table:
//   - one process, --rate 300 -z 2s --threads 2: the achieved rate against --rate;
//   - three shard processes sharing one --start-at, --rate 600 -z 3s: the merged achieved rate, and how far
//     apart the shards started (start offsets) and the clock offset each measured to the server;
//   - --threads 2 in one process against 2 shard processes of --threads 1, --rate 400 -z 2s: the two rates;
//   - --find-max --slo p99<100ms against --server-delay 20ms on 4 slots: whether the first step (50/s) met it.
//
//   bun scripts/bench-schedule.ts             # against dist/grpcperf, each scenario --rounds 3 times
//   bun scripts/bench-schedule.ts --rounds 5 --binary /tmp/grpcperf
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FindMaxReport } from "../src/report/find-max/report.ts";
import type { BenchReport } from "../src/report/types.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, binary: { type: "string" } },
});
const rounds = Number(values.rounds);
if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds: "${values.rounds}" is not a whole number`);
const BINARY = values.binary ?? join(import.meta.dir, "..", "dist", "grpcperf");
if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run npm run build first`);
const dir = mkdtempSync(join(tmpdir(), "grpcperf-schedule-"));

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  const p = Bun.spawn([BINARY, ...args], { stdout: "pipe", stderr: "ignore", env: { ...process.env, ...env } });
  const [stdout, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  return { code, stdout };
}

async function serve(extra: string[] = []): Promise<{ target: string; stop(): Promise<void> }> {
  const p = Bun.spawn([BINARY, "serve", "--addr", "127.0.0.1:0", "--workers", "1", ...extra], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = p.stderr.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve ended before saying where it listens: ${text}`);
    text += new TextDecoder().decode(value);
    const m = /serving .* on (\S+)/.exec(text);
    if (m) {
      reader.releaseLock();
      return {
        target: m[1] as string,
        async stop() {
          p.kill("SIGKILL");
          await p.exited;
        },
      };
    }
  }
}

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const json = <T>(text: string): T => JSON.parse(text) as T;

async function oneProcess(target: string): Promise<string> {
  const r = await run([
    "bench",
    "-s",
    target,
    "--rate",
    "300",
    "-z",
    "2s",
    "-c",
    "4",
    "--threads",
    "2",
    "--json",
    "-q",
  ]);
  const rep = json<BenchReport>(r.stdout);
  return `${rep.total.requests} calls, achieved ${rep.rate.achieved}/s (${pct(rep.rate.achieved / 300 - 1)})`;
}

async function shards(target: string): Promise<string> {
  const n = 3;
  const startAt = ((Date.now() + 4000) / 1000).toFixed(3);
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      run(
        ["bench", "-s", target, "--rate", "600", "-z", "3s", "--warmup", "500ms", "-c", "6", "--threads", "1"].concat([
          "--start-at",
          startAt,
          "--json",
          "-q",
        ]),
        { JOB_COMPLETION_INDEX: String(i), GRPCPERF_SHARDS: String(n) },
      ),
    ),
  );
  const files = runs.map((r, i) => {
    const f = join(dir, `shard-${i}.json`);
    writeFileSync(f, r.stdout);
    return f;
  });
  const merged = json<BenchReport>((await run(["report", ...files, "--format", "json"])).stdout);
  const reps = files.map((f) => json<BenchReport>(readFileSync(f, "utf8")));
  const offsets = reps.map((r) => r.start_at?.offset_ms ?? Number.NaN);
  const clocks = reps.map((r) => Math.abs(r.start_at?.clock_offset_ms ?? Number.NaN));
  return (
    `merged ${merged.rate.achieved}/s (${pct(merged.rate.achieved / 600 - 1)}); start offsets ` +
    `max ${ms(Math.max(...offsets))}, spread ${ms(Math.max(...offsets) - Math.min(...offsets))}; ` +
    `|clock offset| max ${ms(Math.max(...clocks))}`
  );
}

async function threadsVsShards(target: string): Promise<string> {
  const common = ["bench", "-s", target, "-c", "4", "--json", "-q", "--rate", "400", "-z", "2s"];
  const one = json<BenchReport>((await run([...common, "--threads", "2"])).stdout);
  const startAt = ((Date.now() + 2500) / 1000).toFixed(3);
  const parts = await Promise.all(
    [0, 1].map((i) => run([...common, "--threads", "1", "--shard", `${i}/2`, "--start-at", startAt])),
  );
  const files = parts.map((r, i) => {
    const f = join(dir, `half-${i}.json`);
    writeFileSync(f, r.stdout);
    return f;
  });
  const merged = json<BenchReport>((await run(["report", ...files, "--format", "json"])).stdout);
  return `threads ${one.rate.achieved}/s, shards ${merged.rate.achieved}/s (${pct(merged.rate.achieved / one.rate.achieved - 1)})`;
}

async function findMaxFirstStep(target: string): Promise<string> {
  const r = await run(
    ["bench", "-s", target, "--find-max", "--slo", "p99<100ms", "--server-delay", "20ms", "--concurrency", "4"].concat(
      ["--start-rate", "50", "--precision", "10%", "--json", "--step-duration", "1s", "--warmup", "0", "-t", "1"],
      ["-c", "2"],
    ),
  );
  const rep = json<FindMaxReport>(r.stdout);
  const first = rep.steps[0];
  return `first step ${first?.target_rps}/s ${first?.pass ? "met" : "MISSED"} p99<100ms; answer ${rep.answer?.rps ?? "none"}/s`;
}

const server = await serve();
try {
  const scenarios: Array<[string, (t: string) => Promise<string>]> = [
    ["one process --rate 300 --threads 2", oneProcess],
    ["3 shards, --rate 600, one --start-at", shards],
    ["--threads 2 vs 2 shards, --rate 400", threadsVsShards],
    ["--find-max p99<100ms, 20 ms × 4 slots", findMaxFirstStep],
  ];
  for (const [name, f] of scenarios) {
    for (let i = 1; i <= rounds; i++) console.log(`${name} [${i}/${rounds}]: ${await f(server.target)}`);
  }
} finally {
  await server.stop();
}
