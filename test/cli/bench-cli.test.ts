// `grpcperf bench` as a user runs it: the compiled binary (load threads included), from another
// directory, against `grpcperf serve` in another process.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import type { Subprocess } from "bun";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import type { BenchReport } from "../../src/report/types.ts";
import { requireBinary, waitForLine } from "../support/helpers.ts";
import { onTerminal } from "../support/terminal.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-bench-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const validate = new Ajv({ allErrors: true }).compile(schema);

function bench(args: string[], extraEnv: Record<string, string> = {}) {
  const p = Bun.spawnSync([requireBinary(), "bench", ...args], {
    cwd,
    env: { ...env, ...extraEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

async function serve(): Promise<{ proc: Subprocess<"ignore", "pipe", "pipe">; target: string }> {
  const proc = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0"], {
    cwd,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const m = await waitForLine(proc.stderr, /serving .* on (\S+)/);
  return { proc, target: m[1] as string };
}

let server: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  server = await serve();
});
afterAll(() => {
  if (server.proc.exitCode === null) server.proc.kill("SIGKILL");
});

describe("grpcperf bench (compiled binary)", () => {
  test("text report keeps the replaced system's lines", () => {
    const r = bench(["--server", server.target, "--requests", "500", "--connections", "2", "--threads", "2"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const expected = [
      /^=== Echo Service Benchmark Results ===$/,
      /^Total requests: 500$/,
      /^Successful requests: 500$/,
      /^Failed requests: 0$/,
      /^Success rate: 100\.00%$/,
      /^Duration: \d+\.\d\ds$/,
      /^Requests per second: \d+\.\d\d$/,
      /^Average latency: \d+\.\d\d μs$/,
      /^Min latency: \d+ μs$/,
      /^Max latency: \d+ μs$/,
    ];
    for (const [i, re] of expected.entries()) expect(lines[i]).toMatch(re);
    expect(r.stdout).toContain("p99.99:");
    // stderr is not a terminal here: no progress line
    expect(r.stderr).not.toContain("\r");
  });

  test("--json: one document that validates against the schema; env variables are honoured", () => {
    const r = bench(["--json", "--threads", "2"], {
      SERVER_ADDR: server.target,
      TOTAL_REQUESTS: "321",
      CONCURRENT_REQUESTS: "3",
      CONCURRENCY: "6",
    });
    expect(r.code).toBe(0);
    const doc: BenchReport = JSON.parse(r.stdout);
    if (!validate(doc as unknown)) throw new Error(JSON.stringify(validate.errors, null, 2));
    expect(doc.total.ok).toBe(321);
    expect(doc.options).toMatchObject({ server: server.target, connections: 3, concurrency: 6, threads: 2 });
    expect(doc.connections).toHaveLength(3);
    expect(doc.loader.threads).toHaveLength(2);
    expect(doc.loader.threads[0]?.cpu_s).not.toBeNull();
  });

  test("--output writes the report to a file", () => {
    const file = join(cwd, "report.json");
    const r = bench(["--server", server.target, "--requests", "50", "--json", "--output", file, "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(file, "utf8")).total.ok).toBe(50);
  });

  test("unreachable server: one clear line, exit 1", () => {
    const r = bench(["--server", "127.0.0.1:1", "--requests", "10"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("ECONNREFUSED");
  });

  test("--transport that disagrees with the address: one clear line, exit 2", () => {
    const r = bench(["--server", server.target, "--transport", "vsock"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("does not match");
  });

  test("bad flag values: exit 2", () => {
    expect(bench(["--server", server.target, "--rate", "fast"]).code).toBe(2);
    expect(bench(["--server", server.target, "--preset", "huge"]).code).toBe(2);
  });

  test("--server-busy reaches the server: every call's latency is at least the busy time", () => {
    const r = bench(["--server", server.target, "-n", "30", "-c", "2", "--server-busy", "3ms", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(report.options.server_busy_us).toBe(3000);
    expect(report.services[0]?.ok).toBe(30);
    expect(report.services[0]?.latency_us?.min ?? 0).toBeGreaterThanOrEqual(3000);
  });

  test("--server-delay with a service that is not echo: one clear line, exit 2", () => {
    const r = bench(["--server", server.target, "--service", "crypto", "--server-delay", "1ms"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--server-delay is for --service echo or echo-stream");
  });

  test("--stop-on-loss: server killed mid-run: partial report, exit 1", async () => {
    const victim = await serve();
    const out = join(cwd, "killed.json");
    const t = onTerminal(
      [
        "bench",
        "--server",
        victim.target,
        "--duration",
        "20s",
        "--connections",
        "2",
        "--stop-on-loss",
        "--json",
        "-o",
        out,
      ],
      { cwd, env },
    );
    // the loader's progress line has counted answered calls: the run is under way
    await t.waitFor(/(?<![\d.])\d+\.\ds {2}[1-9]\d* calls/);
    victim.proc.kill("SIGKILL");
    expect(await t.exited).toBe(1);
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(doc.aborted).toContain("server went away");
    expect(doc.total.ok).toBeGreaterThan(0);
    expect(doc.duration_s).toBeLessThan(20);
  });
});
