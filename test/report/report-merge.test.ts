// report merge's refusals and marks: shards of real runs (in process, over loopback) merged, and what
// happens when one is missing, failed, of another run (target, method, option, version), twice there or
// edited; then the same through the binary (exit codes, the failure note a shard that made no report prints).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import reportSchema from "../../schema/bench-report.schema.json" with { type: "json" };
import { FAILURE_SCHEMA_ID, type ShardFailure } from "../../src/report/markers.ts";
import { type MergeInput, mergeShards } from "../../src/report/merge.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { benchOptions, countingEcho, newCounter, reportOf } from "../support/bench-helpers.ts";
import { runBinaryAsync, serveOnLoopback, type TestServer } from "../support/helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(reportSchema);
let a: TestServer;
let b: TestServer;
let s0: BenchReport;
let s1: BenchReport;
let s1Elsewhere: BenchReport;
let s1Bigger: BenchReport;
let s0Of3: BenchReport;
let single: BenchReport;

const shardRun = async (server: string, shard: string, extra: Record<string, string> = {}) =>
  (
    await reportOf(
      benchOptions({ server, shard, requests: "200", connections: "4", threads: "1", warmup: "100ms", ...extra }),
    )
  ).report;

beforeAll(async () => {
  a = await serveOnLoopback([countingEcho(newCounter())]);
  b = await serveOnLoopback([countingEcho(newCounter())]);
  s0 = await shardRun(a.target, "0/2");
  s1 = await shardRun(a.target, "1/2");
  s1Elsewhere = await shardRun(b.target, "1/2");
  s1Bigger = await shardRun(a.target, "1/2", { "payload-size": "1KiB" });
  s0Of3 = await shardRun(a.target, "0/3", { connections: "6" });
  single = (await reportOf(benchOptions({ server: a.target, requests: "100", connections: "2", threads: "1" }))).report;
}, 60_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

const input = (file: string, report: BenchReport): MergeInput => ({ file, report });
const errorOf = (inputs: MergeInput[]) => {
  const m = mergeShards(inputs);
  return m.ok ? "" : m.error;
};

describe("mergeShards", () => {
  test("two shards of one run: one report of the whole, schema-valid", () => {
    const m = mergeShards([input("s1.json", s1), input("s0.json", s0)]);
    if (!m.ok) throw new Error(m.error);
    expect(validate(m.report), JSON.stringify(validate.errors)).toBe(true);
    expect(m.report.total.requests).toBe(200);
    expect(m.report.options).toMatchObject({ connections: 4, concurrency: 4, requests: 200, threads: 2 });
    expect(m.report.shards).toMatchObject({ count: 2, present: [0, 1], missing: [], failed: [] });
    expect(m.report.loader.threads.map((t) => t.shard)).toEqual([0, 1]);
    expect(m.report.shard).toBeUndefined();
    expect(m.report.aborted).toBeNull();
  });

  test("a missing shard is named, in shards.missing, the warnings and aborted", () => {
    const m = mergeShards([input("s0.json", s0)]);
    if (!m.ok) throw new Error(m.error);
    expect(m.report.shards).toMatchObject({ count: 2, present: [0], missing: [1], failed: [] });
    expect(m.report.aborted).toBe("incomplete run: shard 1 missing");
    expect(m.report.loader.warnings).toContain("shard 1/2 is missing: its share of the load is not in these figures");
    expect(validate(m.report)).toBe(true);
  });

  test("a failed shard is named: its failure note, or its report's abort", () => {
    const note: ShardFailure = { schema: FAILURE_SCHEMA_ID, shard: { index: 1, count: 2 }, error: "cannot connect" };
    const m = mergeShards([input("s0.json", s0), { file: "s1.json", failure: note }]);
    if (!m.ok) throw new Error(m.error);
    expect(m.report.shards).toMatchObject({
      present: [0],
      missing: [],
      failed: [{ index: 1, reason: "cannot connect" }],
    });
    expect(m.report.aborted).toContain("shard 1 failed (cannot connect)");

    const gone = mergeShards([input("s0.json", s0), input("s1.json", { ...s1, aborted: "server went away: reset" })]);
    if (!gone.ok) throw new Error(gone.error);
    expect(gone.report.shards?.failed).toEqual([{ index: 1, reason: "server went away: reset" }]);
    // its calls still count, and it is marked
    expect(gone.report.total.requests).toBe(200);
  });

  test("time series align on the wall clock: a shard that started 2 intervals late lands 2 intervals later", () => {
    // Two intervals after s0's own start: the shards' real starts may lie half an interval apart on a busy machine.
    const late = { ...s1, started_at: new Date(Date.parse(s0.started_at) + 2000).toISOString() };
    const m = mergeShards([input("s0.json", s0), input("late.json", late)]);
    if (!m.ok) throw new Error(m.error);
    const measured = (m.report.timeline?.points ?? []).filter((p) => !p.warmup);
    const ok = (r: BenchReport) => (r.timeline?.points ?? []).filter((p) => !p.warmup).map((p) => p.ok);
    expect(measured.map((p) => p.ok)).toEqual(
      Array.from(
        { length: Math.max(ok(s0).length, ok(s1).length + 2) },
        (_, i) => (ok(s0)[i] ?? 0) + (ok(s1)[i - 2] ?? 0),
      ),
    );
    expect(measured.map((p) => p.start_s)).toEqual(measured.map((_, i) => 0.1 + i));
    expect(m.report.duration_s).toBeGreaterThanOrEqual(2);
  });

  test("another target, method option, version or shard count: refused, naming the difference", () => {
    expect(errorOf([input("s0.json", s0), input("b.json", s1Elsewhere)])).toMatch(
      /^b\.json is not a shard of the run of s0\.json: options\.server is "127\.0\.0\.1:\d+" there, "127\.0\.0\.1:\d+" in s0\.json$/,
    );
    expect(errorOf([input("s0.json", s0), input("big.json", s1Bigger)])).toContain(
      "options.payload_size is 1024 there, 16",
    );
    expect(
      errorOf([input("s0.json", s0), input("crypto.json", { ...s1, options: { ...s1.options, service: "crypto" } })]),
    ).toContain('options.service is "crypto" there, "echo"');
    const v2 = { ...s1, tool: { ...s1.tool, version: "9.9.9" } };
    expect(errorOf([input("s0.json", s0), input("v.json", v2)])).toContain('the grpcperf version is "9.9.9" there');
    expect(errorOf([input("s0.json", s0), input("three.json", s0Of3)])).toContain("the shard count is 3 there, 2");
  });

  test("the same shard twice, a report that is no shard, options that are not the slice: refused", () => {
    expect(errorOf([input("x.json", s0), input("y.json", s0)])).toBe("x.json and y.json are both shard 0/2");
    expect(errorOf([input("s0.json", s0), input("single.json", single)])).toContain("single.json: not a shard report");
    const edited = { ...s1, options: { ...s1.options, connections: 3 } };
    expect(errorOf([input("s0.json", s0), input("e.json", edited)])).toContain(
      "e.json: options.connections is 3, not shard 1/2's slice of the whole (2)",
    );
  });
});

describe("through the binary", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "grpcperf-merge-"));
    for (const [name, r] of [
      ["s0", s0],
      ["s1", s1],
      ["b1", s1Elsewhere],
    ] as const)
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(r));
  });

  test("a missing shard: the merged report is written and names it, exit 1", async () => {
    const out = join(dir, "m.json");
    const r = await runBinaryAsync(["report", "merge", join(dir, "s0.json"), "-o", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("incomplete run: shard 1 missing");
    expect((JSON.parse(readFileSync(out, "utf8")) as BenchReport).shards?.missing).toEqual([1]);
    // the same shard file twice is not a run
    const rep = await runBinaryAsync(["report", join(dir, "s0.json"), join(dir, "s0.json")]);
    expect(rep.code).toBe(2);
    expect(rep.stderr).toContain("are both shard 0/2");
  });

  test("compare takes shard files as one run: two shards alone are one run, not two", async () => {
    const r = await runBinaryAsync(["compare", join(dir, "s0.json"), join(dir, "s1.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the shards of one run");
  });

  test("shards of another run: exit 2, one line", async () => {
    const r = await runBinaryAsync([
      "report",
      "merge",
      join(dir, "s0.json"),
      join(dir, "b1.json"),
      "-o",
      join(dir, "x.json"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a shard of the run of");
    expect(r.stderr).toContain("options.server");
  });

  test("a shard that cannot reach the server prints a failure note between markers; the merge names it", async () => {
    const r = await runBinaryAsync([
      "bench",
      "-s",
      "127.0.0.1:1",
      "--shard",
      "1/2",
      "-n",
      "200",
      "-c",
      "4",
      "--report-markers",
    ]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("--- grpcperf report shard 1/2 failed ---");
    expect(lines[2]).toBe("--- grpcperf report shard 1/2 end ---");
    const note = JSON.parse(lines[1] as string) as ShardFailure;
    expect(note).toMatchObject({ schema: FAILURE_SCHEMA_ID, shard: { index: 1, count: 2 } });
    expect(note.error).toContain("127.0.0.1:1");
    writeFileSync(join(dir, "f1.json"), lines[1] as string);
    const out = join(dir, "mf.json");
    const m = await runBinaryAsync(["report", "merge", join(dir, "s0.json"), join(dir, "f1.json"), "-o", out]);
    expect(m.code).toBe(1);
    const merged = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
    expect(merged.shards?.failed[0]?.index).toBe(1);
    expect(merged.shards?.failed[0]?.reason).toContain("127.0.0.1:1");
    // report takes the note beside the shard files too, and exits 1 for the incomplete run
    const rep = await runBinaryAsync(["report", join(dir, "s0.json"), join(dir, "f1.json")]);
    expect(rep.code).toBe(1);
    expect(rep.stdout).toContain("Shards: 1 of 2 merged, failed 1");
  });
});

describe("merging staged shards", () => {
  test("open-loop stages: each stage's sent and late sends add up over the shards, and its busiest loader is kept", async () => {
    const flags = { stages: "500ms:200-200,500ms:400-400", interval: "250ms" };
    const parts = await Promise.all(
      ["0/2", "1/2"].map(
        async (shard) =>
          (await reportOf(benchOptions({ server: a.target, shard, connections: "4", threads: "1", ...flags }))).report,
      ),
    );
    const m = mergeShards(parts.map((r, i) => input(`s${i}.json`, r)));
    if (!m.ok) throw new Error(m.error);
    expect(validate(m.report), JSON.stringify(validate.errors)).toBe(true);
    const stages = m.report.stages ?? [];
    expect(stages.map((s) => s.target_rps_to)).toEqual([200, 400]);
    const sentOf = (r: BenchReport) => (r.stages ?? []).reduce((n, s) => n + (s.sent ?? 0), 0);
    expect(sentOf(m.report)).toBe(sentOf(parts[0] as BenchReport) + sentOf(parts[1] as BenchReport));
    expect(sentOf(m.report)).toBe(m.report.total.requests);
    const pointsSent = (m.report.timeline?.points ?? []).reduce((n, p) => n + (p.sent ?? 0), 0);
    expect(pointsSent).toBe(m.report.total.requests);
    stages.forEach((s, i) => {
      const own = parts.map((r) => r.stages?.[i]?.loader_utilization ?? null).filter((u): u is number => u !== null);
      if (own.length > 0) expect(s.loader_utilization).toBe(Math.max(...own));
    });
  });

  test("concurrency stages: the merged report has the whole run's stages", async () => {
    const flags = { "concurrency-stages": "500ms:4-4,500ms:2-2", connections: "4" };
    const parts = await Promise.all(
      ["0/2", "1/2"].map(
        async (shard) => (await reportOf(benchOptions({ server: a.target, shard, threads: "1", ...flags }))).report,
      ),
    );
    const m = mergeShards(parts.map((r, i) => input(`s${i}.json`, r)));
    if (!m.ok) throw new Error(m.error);
    expect(validate(m.report), JSON.stringify(validate.errors)).toBe(true);
    expect(m.report.stages?.map((s) => [s.target_concurrency_from, s.target_concurrency_to])).toEqual([
      [4, 4],
      [2, 2],
    ]);
    expect((m.report.stages ?? []).reduce((n, s) => n + s.ok, 0)).toBe(m.report.total.ok);
  });
});
