// `bench --find-max` through the compiled binary against `grpcperf serve`: the search brackets a server
// whose limit is set by the run itself (--server-delay with few slots), says the server was the limit,
// exits 99 when no step meets the SLO, 1 with a partial report when the server dies mid-search, 2 for
// bad flags before any call; and it runs --call methods and the crypto service. Relations, never speed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import benchSchema from "../../schema/bench-report.schema.json" with { type: "json" };
import findMaxSchema from "../../schema/find-max.schema.json" with { type: "json" };
import type { FindMaxReport } from "../../src/report/find-max/report.ts";
import { requireBinary, runBinaryAsync, type ServedBinary, serveBinary, waitForLine } from "../support/helpers.ts";

const ajv = new Ajv({ allErrors: true, strict: false });
const validFindMax = ajv.compile(findMaxSchema);
const validBench = ajv.compile(benchSchema);

function checked(text: string): FindMaxReport {
  const r = JSON.parse(text) as FindMaxReport;
  expect(validFindMax(r), JSON.stringify(validFindMax.errors)).toBe(true);
  if (r.answer) expect(validBench(r.answer.report), JSON.stringify(validBench.errors)).toBe(true);
  return r;
}

const dir = () => mkdtempSync(join(tmpdir(), "grpcperf-find-max-"));
const env = (cwd: string) => ({ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd });
const bench = (args: string[]) => {
  const cwd = dir();
  return runBinaryAsync(["bench", ...args], { cwd, env: env(cwd) });
};

// Short steps keep the suite quick; a search's answer does not depend on them for these servers.
const QUICK = ["--step-duration", "1s", "--warmup", "0", "-t", "1", "-c", "2"];

describe("bench --find-max against grpcperf serve", () => {
  let srv: ServedBinary;
  beforeAll(async () => {
    requireBinary();
    srv = await serveBinary();
  });
  afterAll(() => srv.stop());

  test("brackets a server held to 4 calls in flight at 20 ms each (≤ 200/s) and names the server as the limit", async () => {
    const cwd = dir();
    const html = join(cwd, "search.html");
    const r = await bench([
      "--html",
      html,
      "-s",
      srv.target,
      "--find-max",
      // Loose: a 20 ms call only breaks 500 ms at 50/s if the machine stalls for half a second, while past
      // 200/s the queue for a slot grows by a step's length (at 400/s, p99 is about a second).
      "--slo",
      "p99<500ms",
      "--server-delay",
      "20ms",
      "--concurrency",
      "4",
      "--start-rate",
      "50",
      "--precision",
      "10%",
      "--json",
      ...QUICK,
    ]);
    expect(r.code).toBe(0);
    const report = checked(r.stdout);
    expect(report.ended).toBe("converged");
    expect(report.steps[0]).toMatchObject({ step: 1, phase: "grow", target_rps: 50, pass: true });
    // growth doubles until the SLO breaks, bisection follows
    const grow = report.steps.filter((s) => s.phase === "grow").map((s) => s.target_rps);
    expect(grow).toEqual(grow.map((_, i) => 50 * 2 ** i));
    expect(report.steps.some((s) => s.phase === "bisect")).toBe(true);
    const answer = report.answer;
    if (answer === null) throw new Error("no answer");
    // 4 slots × 50 calls/s each: above 200/s calls queue for a slot, and by 400/s the queue is a whole step long
    expect(answer.rps).toBeGreaterThanOrEqual(50);
    expect(answer.rps).toBeLessThan(400);
    expect(answer.report.options.rate).toBe(answer.rps);
    const failing = report.steps.find((s) => s.step === report.limit_step);
    expect(report.limit).toBe("server");
    expect(failing?.pass).toBe(false);
    expect(failing?.slot_waits).toBeGreaterThan(0);
    expect(failing?.target_rps).toBeGreaterThan(answer.rps);
    // the bracket is within the precision: no failing step between the answer and 110% of it
    const lowestFail = Math.min(...report.steps.filter((s) => !s.pass).map((s) => s.target_rps));
    expect((lowestFail - answer.rps) / answer.rps).toBeLessThanOrEqual(0.1);
    // each step's own report: the step's rate, open loop, the step's length
    expect(answer.report.mode).toBe("open-loop");
    expect(answer.report.options.duration_s).toBe(1);
    // with --json the steps go to stderr as they finish, then the answer
    expect(r.stderr).toMatch(/^\s+1\s+grow\s+50\s/m);
    expect(r.stderr).toContain(`highest rate that met every SLO: ${answer.rps}/s`);
    expect(r.stderr).toContain("limit: the server");
    // --html: the steps are the page's stages, in order of rate, and the knee curve runs through them
    const page = readFileSync(html, "utf8");
    const rows = [...page.matchAll(/data-stage="(\d+)" data-metric="target"[^>]*>([^<]*)</g)].map((m) => m[2]);
    const rates = [...report.steps].map((s) => s.target_rps).sort((a, b) => a - b);
    expect(rows).toEqual(rates.map((x) => `${x}/s`));
    expect(page).toContain('data-chart="knee"');
    expect(page).toContain(`highest rate that met every SLO: ${answer.rps}/s`);
  }, 120_000);

  test("exit 99 and no answer when not even the first step meets the SLO", async () => {
    const r = await bench(["-s", srv.target, "--find-max", "--slo", "p50<1ms", "--server-delay", "5ms", ...QUICK]);
    expect(r.code).toBe(99);
    expect(r.stdout).toMatch(/^\s+1\s+grow\s+100\s.*FAIL p50<1ms/m);
    expect(r.stdout).toContain("no answer: not even 100/s met p50<1ms");
    expect(r.stdout.match(/^\s+\d+\s+(grow|bisect)/gm)?.length).toBe(1);
  }, 60_000);

  test("--max-rate caps the search; the SLO still held there, so no limit is claimed", async () => {
    const r = await bench(["-s", srv.target, "--find-max", "--slo", "error_rate<1%", "--max-rate", "150", ...QUICK]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^\s+\d+\s+grow\s+(\d+)/gm)?.map((l) => Number(l.trim().split(/\s+/)[2]))).toEqual([
      100, 150,
    ]);
    expect(r.stdout).toContain("--max-rate reached with every SLO still met");
    expect(r.stdout).toContain("highest rate that met every SLO: 150/s");
    expect(r.stdout).toContain("limit: none reached");
  }, 60_000);

  test("works with --service crypto and with --call of any unary method", async () => {
    // two growing steps, 50/s then --max-rate 100/s, under a bar every step meets
    const capped = (workload: string[], slo: string) =>
      bench([
        "-s",
        srv.target,
        ...workload,
        "--find-max",
        "--slo",
        slo,
        "--start-rate",
        "50",
        "--max-rate",
        "100",
        "--json",
        ...QUICK,
      ]);
    const crypto = await capped(["--service", "crypto"], "p99<5s");
    expect(crypto.code).toBe(0);
    const c = checked(crypto.stdout);
    expect(c.options?.service).toBe("crypto");
    expect(c.answer?.rps).toBe(100);
    expect(c.answer?.report.services[0]?.service).toBe("crypto");

    const call = await capped(
      ["--call", "grpcperf.v1.Echo/Echo", "-d", '{"payload":"aGk="}'],
      "grpcperf.v1.Echo/Echo:p99<5s",
    );
    expect(call.code).toBe(0);
    const m = checked(call.stdout);
    expect(m.options?.call).toBe("grpcperf.v1.Echo/Echo");
    expect(m.steps.map((s) => s.target_rps)).toEqual([50, 100]);
    expect(m.steps.every((s) => s.ok > 0 && s.failed === 0)).toBe(true);
  }, 60_000);
});

test("a server that dies during the search: the steps so far are reported, exit 1", async () => {
  const srv = await serveBinary();
  const cwd = dir();
  const out = join(cwd, "partial.json");
  const p = Bun.spawn(
    [requireBinary(), "bench", "-s", srv.target, "--find-max", "--slo", "p99<5s", "--json", "-o", out, ...QUICK],
    { cwd, env: env(cwd), stdout: "pipe", stderr: "pipe" },
  );
  const seen: string[] = [];
  await waitForLine(p.stderr, /^\s+1\s+grow\s/, seen);
  await srv.stop();
  const code = await p.exited;
  const rest = await restOf(p.stderr);
  expect(code).toBe(1);
  const report = checked(readFileSync(out, "utf8"));
  expect(report.ended).toBe("aborted");
  expect(report.aborted).toMatch(/server went away|cannot (connect|reach)/);
  expect(report.steps.length).toBeGreaterThanOrEqual(1);
  expect(report.steps[0]?.pass).toBe(true);
  expect(report.limit).toBeNull();
  expect(rest).toContain("search ended early");
}, 60_000);

/** What is left on a stream after waitForLine read up to its match. */
async function restOf(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

describe("bad --find-max flags: exit 2 and one line, before any call", () => {
  const cases: [string[], RegExp][] = [
    [["--slo", "p99<2ms"], /--slo needs --find-max/],
    [["--precision", "5%"], /--precision needs --find-max/],
    [["--find-max"], /--find-max needs at least one --slo/],
    [["--find-max", "--slo", "p99<2ms", "--rate", "100"], /--find-max and --rate exclude each other/],
    [["--find-max", "--slo", "p99<2ms", "-n", "100"], /--find-max and -n\/--requests exclude each other/],
    [["--find-max", "--slo", "p99<2ms", "--stages", "1s:10"], /--find-max and --stages exclude each other/],
    [["--find-max", "--slo", "rps>5"], /rps is what the search finds/],
    [["--find-max", "--slo", "p99<2"], /--slo "p99<2": "2" needs a unit/],
    [["--find-max", "--slo", "p99<2ms", "--precision", "0"], /--precision: "0" is not a percentage/],
    [["--find-max", "--slo", "p99<2ms", "--precision", "150%"], /--precision: "150%" is not a percentage/],
    [["--find-max", "--slo", "p99<2ms", "--step-duration", "0s"], /--step-duration: "0s" is not a duration > 0/],
    [["--find-max", "--slo", "p99<2ms", "-z", "3s"], /no room for one step/],
    [["--find-max", "--slo", "p99<2ms", "--max-rate", "50"], /--max-rate 50 is below the first step's rate 100/],
    [["--find-max", "--slo", "p99<2ms", "--start-rate", "-5"], /--start-rate: "-5" is not a whole number/],
    [["--find-max", "--slo", "p99<2ms", "--threshold", "p99<1ms"], /--slo, not --threshold/],
    [["--find-max", "--slo", "p99<2ms", "--service", "both"], /--slo "p99<2ms": this run has echo and crypto/],
    [["--find-max", "--slo", "p99<2ms", "--shard", "1/2"], /--find-max runs from one loader: it excludes --shard/],
  ];
  for (const [args, error] of cases) {
    test(args.join(" "), async () => {
      // port 1: nothing listens; a flag error must come before any connection is tried
      const r = await bench(["-s", "127.0.0.1:1", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(error);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  }
});
