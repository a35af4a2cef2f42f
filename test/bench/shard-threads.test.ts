// Threads, processes, machines: the same total work given to one process with --threads 2, and to two
// shard processes with --threads 1 each (merged), comes out as the same figures — calls, connections, the
// options of the whole, the open loop's exact number of sends — and `compare` sees no set-up difference;
// and {{.RequestNumber}} stays one numbering over the shards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EchoMethod } from "../../src/api/echo.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { echo } from "../../src/server/echo.ts";
import { unary } from "../../src/server/handler.ts";
import { runBinaryAsync, type ServedBinary, serveBinary, serveOnLoopback } from "../support/helpers.ts";

let server: ServedBinary;
let dir: string;

beforeAll(async () => {
  server = await serveBinary();
  dir = mkdtempSync(join(tmpdir(), "grpcperf-threads-shards-"));
});

afterAll(async () => {
  await server?.stop();
});

/** One process with `threads` threads, and `shards` shard processes (1 thread each, run together), merged. */
async function bothWays(
  load: readonly string[],
  name: string,
): Promise<{ one: BenchReport; merged: BenchReport; cmp: string[] }> {
  const common = ["bench", "-s", server.target, "-c", "4", "--json", "-q", ...load];
  const oneRun = await runBinaryAsync([...common, "--threads", "2"]);
  expect(oneRun.code, oneRun.stderr).toBe(0);
  const oneFile = join(dir, `${name}-one.json`);
  writeFileSync(oneFile, oneRun.stdout);
  const startAt = ((Date.now() + 2500) / 1000).toFixed(3);
  const shardRuns = await Promise.all(
    [0, 1].map((i) => runBinaryAsync([...common, "--threads", "1", "--shard", `${i}/2`, "--start-at", startAt])),
  );
  const files = shardRuns.map((r, i) => {
    expect(r.code, r.stderr).toBe(0);
    const f = join(dir, `${name}-shard-${i}.json`);
    writeFileSync(f, r.stdout);
    return f;
  });
  const m = await runBinaryAsync(["report", ...files, "--format", "json"]);
  expect(m.code, m.stderr).toBe(0);
  const c = await runBinaryAsync(["compare", oneFile, ...files, "--json"]);
  expect(c.code, c.stderr).toBe(0);
  const differences = (JSON.parse(c.stdout) as { differences: { key: string }[] }).differences.map((d) => d.key);
  return { one: JSON.parse(oneRun.stdout), merged: JSON.parse(m.stdout), cmp: differences };
}

const whole = (r: BenchReport) => {
  const { connections, concurrency, threads, requests, rate, duration_s } = r.options;
  return { connections, concurrency, threads, requests, rate, duration_s };
};

describe("--threads 2 in one process, or 2 shard processes of --threads 1", () => {
  test("closed loop, -n 1200: the same calls, connections and options", async () => {
    const { one, merged, cmp } = await bothWays(["-n", "1200"], "closed");
    expect(merged.total.requests).toBe(1200);
    expect(merged.total).toMatchObject({ requests: one.total.requests, ok: one.total.ok, failed: one.total.failed });
    expect(whole(merged)).toEqual(whole(one));
    expect(merged.connections.map((c) => c.index)).toEqual(one.connections.map((c) => c.index));
    expect(merged.connections.reduce((n, c) => n + c.calls, 0)).toBe(1200);
    expect(merged.loader.threads.length).toBe(one.loader.threads.length);
    expect(cmp.filter((k) => k.startsWith("options") || k === "mode")).toEqual([]);
  }, 60_000);

  // How close the two achieved rates come is a figure of the machine's load (scripts/bench-schedule.ts).
  test("open loop, --rate 400 -z 2s: exactly the same 800 sends, the same target and per-interval schedule", async () => {
    const { one, merged, cmp } = await bothWays(["--rate", "400", "-z", "2s"], "open");
    expect(one.total.requests).toBe(800);
    expect(merged.total.requests).toBe(800);
    expect(whole(merged)).toEqual(whole(one));
    expect(merged.rate.target).toBe(one.rate.target);
    expect([one.rate.achieved > 0, merged.rate.achieved > 0]).toEqual([true, true]);
    const points = (r: BenchReport) => r.timeline?.points.filter((p) => !p.warmup).map((p) => p.target_rps);
    expect(points(merged)).toEqual(points(one));
    expect(cmp.filter((k) => k.startsWith("options") || k === "mode")).toEqual([]);
  }, 60_000);
});

test("{{.RequestNumber}} is unique over all shards: shard I numbers its calls I, I + N, …", async () => {
  const seen: number[] = [];
  const srv = await serveOnLoopback([
    {
      name: "grpcperf.v1.Echo",
      methods: [
        unary(EchoMethod, (req, ctx) => {
          seen.push(Number(req.sequence));
          return { ok: true, value: echo(req, ctx.recvNanos) };
        }),
      ],
    },
  ]);
  try {
    const runs = await Promise.all(
      [0, 1, 2].map((i) =>
        runBinaryAsync([
          "bench",
          "-s",
          srv.target,
          "--call",
          "grpcperf.v1.Echo/Echo",
          "-d",
          '{"sequence": {{.RequestNumber}}}',
          "-n",
          "300",
          "-c",
          "3",
          "--threads",
          "1",
          "--shard",
          `${i}/3`,
          "-q",
        ]),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, k) => k));
  } finally {
    await srv.stop();
  }
}, 60_000);
