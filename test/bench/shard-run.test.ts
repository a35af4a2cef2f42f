// Distributed runs end to end, over real sockets, as an Indexed Job would run them: N `grpcperf bench`
// processes with JOB_COMPLETION_INDEX and GRPCPERF_SHARDS set, against one `grpcperf serve`, sharing one
// --start-at; their marked reports cut out of stdout, then `grpcperf report merge`, `report` and `compare`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import reportSchema from "../../schema/bench-report.schema.json" with { type: "json" };
import { decode, type Histogram, newHistogram, summarize } from "../../src/report/histogram.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { runBinaryAsync, type ServedBinary, serveBinary } from "../support/helpers.ts";

const SHARDS = 3;
const RATE = 600;
const DURATION_S = 3;
const validate = new Ajv({ allErrors: true }).compile(reportSchema);

let server: ServedBinary;
let dir: string;
let shardFiles: string[];
let shards: BenchReport[];
let merged: BenchReport;
let mergeRun: { code: number; stdout: string; stderr: string };
let startAt: string;

/** The JSON line between `--- grpcperf report shard I/N begin ---` and `… end ---`. */
function marked(stdout: string, index: number): string {
  const lines = stdout.split("\n");
  const begin = lines.indexOf(`--- grpcperf report shard ${index}/${SHARDS} begin ---`);
  const end = lines.indexOf(`--- grpcperf report shard ${index}/${SHARDS} end ---`);
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBe(begin + 2);
  return lines[begin + 1] as string;
}

/** Every value of these histograms recorded again, one by one, into a fresh histogram: no HDR add. */
function refed(encoded: readonly string[]): Histogram {
  const one = newHistogram();
  for (const e of encoded) {
    const h = decode(e) as unknown as {
      countsArrayLength: number;
      getCountAtIndex(i: number): number;
      valueFromIndex(i: number): number;
      highestEquivalentValue(v: number): number;
    };
    for (let i = 0; i < h.countsArrayLength; i++) {
      const n = h.getCountAtIndex(i);
      // any value of the bucket counts the same; its highest is what HDR reports as the max
      if (n > 0) one.recordValueWithCount(h.highestEquivalentValue(h.valueFromIndex(i)), n);
    }
  }
  return one;
}

beforeAll(async () => {
  server = await serveBinary();
  dir = mkdtempSync(join(tmpdir(), "grpcperf-shards-"));
  // Time for three processes to start on a busy 2-core machine; each waits for this instant once connected.
  startAt = ((Date.now() + 4000) / 1000).toFixed(3);
  const runs = await Promise.all(
    Array.from({ length: SHARDS }, (_, i) =>
      runBinaryAsync(
        [
          "bench",
          "-s",
          server.target,
          "--rate",
          String(RATE),
          "-z",
          `${DURATION_S}s`,
          "--warmup",
          "500ms",
          "-c",
          "6",
          "--threads",
          "1",
          "--start-at",
          startAt,
          "--report-markers",
          "-q",
        ],
        { env: { JOB_COMPLETION_INDEX: String(i), GRPCPERF_SHARDS: String(SHARDS) } },
      ),
    ),
  );
  shardFiles = runs.map((r, i) => {
    expect(r.code, r.stderr).toBe(0);
    const file = join(dir, `shard-${i}.json`);
    writeFileSync(file, marked(r.stdout, i));
    return file;
  });
  shards = shardFiles.map((f) => JSON.parse(readFileSync(f, "utf8")) as BenchReport);
  mergeRun = await runBinaryAsync(["report", "merge", ...shardFiles, "-o", join(dir, "merged.json")]);
  merged = JSON.parse(readFileSync(join(dir, "merged.json"), "utf8")) as BenchReport;
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("N shard processes with JOB_COMPLETION_INDEX, one --start-at, merged", () => {
  test("each shard ran its slice and says so; every report fits the schema", () => {
    shards.forEach((s, i) => {
      expect(validate(s), JSON.stringify(validate.errors)).toBe(true);
      expect(s.shard).toMatchObject({ index: i, count: SHARDS, whole: { connections: 6, concurrency: 6, rate: RATE } });
      expect(s.options.connections).toBe(2);
      expect(s.options.rate).toBe(RATE / SHARDS);
      expect(s.connections.map((c) => c.index)).toEqual([2 * i, 2 * i + 1]);
    });
    expect(mergeRun.code, mergeRun.stderr).toBe(0);
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
  });

  test("merged counts are the sum of the shards' counts", () => {
    const sum = (f: (r: BenchReport) => number) => shards.reduce((n, r) => n + f(r), 0);
    expect(merged.total.requests).toBe(sum((r) => r.total.requests));
    expect(merged.total.ok).toBe(sum((r) => r.total.ok));
    expect(merged.total.failed).toBe(sum((r) => r.total.failed));
    expect(merged.services[0]?.total).toBe(sum((r) => r.services[0]?.total ?? 0));
    expect(merged.rate.late_sends).toBe(sum((r) => r.rate.late_sends));
    expect(merged.connections.map((c) => [c.index, c.shard])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, i >> 1]));
    // the timeline's points hold every measured call once
    const measured = merged.timeline?.points.filter((p) => !p.warmup) ?? [];
    expect(measured.reduce((n, p) => n + p.ok + p.failed, 0)).toBe(merged.total.requests);
    expect(merged.shards).toMatchObject({ count: SHARDS, present: [0, 1, 2], missing: [], failed: [] });
    expect(merged.aborted).toBeNull();
  });

  // How close the achieved rate comes to --rate is a figure, not a test: scripts/bench-schedule.ts.
  test("the union of the shards is one schedule: exactly rate × duration calls, each shard a third", () => {
    expect(shards.map((r) => r.shard?.sent)).toEqual(Array(SHARDS).fill((RATE * DURATION_S) / SHARDS));
    expect(shards.reduce((n, r) => n + (r.shard?.sent ?? 0), 0)).toBe(RATE * DURATION_S);
    expect(merged.options.rate).toBe(RATE);
    expect(merged.rate.target).toBe(RATE);
    expect(merged.rate.achieved).toBeGreaterThan(0);
    // every measured interval's target is the whole rate again
    for (const p of merged.timeline?.points.filter((x) => !x.warmup) ?? []) expect(p.target_rps).toBe(RATE);
  });

  test("merged percentiles are those of one histogram fed every shard's samples", () => {
    const one = summarize(refed(shards.map((s) => s.services[0]?.histograms.latency as string)));
    expect(merged.services[0]?.latency_us).toEqual(one);
    const serviceTime = summarize(refed(shards.map((s) => s.services[0]?.histograms.service_time as string)));
    expect(merged.services[0]?.service_time_us).toEqual(serviceTime);
  });

  // How far apart the shards really start is a figure of the machine's load (scripts/bench-schedule.ts):
  // here, that all of them were due at the one instant and that every file reports the same offsets.
  test("every shard was due at the one --start-at, and the merged report carries each shard's offsets", () => {
    const requested = new Date(Number(startAt) * 1000).toISOString();
    expect(shards.map((s) => s.start_at?.requested)).toEqual(Array(SHARDS).fill(requested));
    for (const s of shards) {
      expect(s.start_at?.offset_ms).toBeGreaterThanOrEqual(0);
      expect(s.start_at?.warmup_cut_ms).toBeGreaterThanOrEqual(0);
      expect(typeof s.start_at?.clock_offset_ms).toBe("number");
    }
    expect(merged.shards?.runs.map((r) => r.start_offset_ms)).toEqual(shards.map((s) => s.start_at?.offset_ms ?? null));
    expect(merged.shards?.runs.map((r) => r.clock_offset_ms)).toEqual(
      shards.map((s) => s.start_at?.clock_offset_ms ?? null),
    );
  });

  test("report, compare and --threshold take the shard files directly", async () => {
    const asJson = await runBinaryAsync(["report", ...shardFiles, "--format", "json"]);
    expect(asJson.code, asJson.stderr).toBe(0);
    const doc = JSON.parse(asJson.stdout) as BenchReport;
    expect(doc.total).toEqual(merged.total);
    expect(doc.services[0]?.latency_us).toEqual(merged.services[0]?.latency_us ?? null);

    const text = await runBinaryAsync(["report", ...shardFiles]);
    expect(text.stdout).toContain(`Shards: ${SHARDS} of ${SHARDS} merged`);

    // loose enough that only a broken merge or threshold fails it
    const pass = await runBinaryAsync(["report", ...shardFiles, "--threshold", `rps>=${RATE / 10}`]);
    expect(pass.code, pass.stderr).toBe(0);
    const miss = await runBinaryAsync(["report", ...shardFiles, "--threshold", `rps>=${RATE * 10}`]);
    expect(miss.code).toBe(99);
    expect(miss.stderr).toContain("FAIL");

    const cmp = await runBinaryAsync(["compare", join(dir, "merged.json"), ...shardFiles, "--json"]);
    expect(cmp.code, cmp.stderr).toBe(0);
    const c = JSON.parse(cmp.stdout) as { runs: unknown[]; rows: { metric: string; ratios: (number | null)[] }[] };
    expect(c.runs.length).toBe(2);
  });
});
