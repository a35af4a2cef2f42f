// Load through faults (issue 30), as a user meets them: the compiled binary loading `grpcperf serve` in another
// process, which is killed (SIGKILL) mid-run and started again on the same address. The run goes on for its
// whole duration, every due call is counted once, and the report's outage window lies between the kill and the
// new server's start. No timings are asserted: the order of events is (the accuracy is scripts/bench-faults.sh's).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { requireBinary, waitForLine } from "../support/helpers.ts";
import type { FaultRunDoc, OutageWindowDoc } from "../support/outage-doc.ts";
import { onTerminal } from "../support/terminal.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-faults-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };

type Server = { proc: Subprocess<"ignore", "pipe", "pipe">; target: string };
const servers: Server[] = [];

async function serve(addr: string, extra: string[] = []): Promise<Server> {
  const proc = Bun.spawn([requireBinary(), "serve", "--addr", addr, "--workers", "1", ...extra], {
    cwd,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const m = await waitForLine(proc.stderr, /serving .* on (\S+)/);
  const s = { proc, target: m[1] as string };
  servers.push(s);
  return s;
}

afterEach(() => {
  for (const s of servers.splice(0)) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
});

/** Kills the server once the run has answered calls, restarts it on `addr` once the run has seen errors. */
async function killAndRestart(args: string[], addr: (first: Server) => string, firstAddr: string) {
  const first = await serve(firstAddr);
  const out = join(cwd, `faults-${Math.random().toString(36).slice(2)}.json`);
  const t = onTerminal(["bench", "--server", first.target, ...args, "--json", "-o", out], { cwd, env });
  await t.waitFor(/(?<![\d.])\d+\.\ds {2}[1-9]\d* calls/);
  const killAt = Date.now();
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  // the loader has noticed: the window is open before the new server exists
  await t.waitFor(/errors [1-9]/);
  const restartAt = Date.now();
  await serve(addr(first));
  expect(await t.exited).toBe(0);
  const doc = JSON.parse(readFileSync(out, "utf8")) as FaultRunDoc;
  return { doc, killAt, restartAt };
}

function expectOutageAcross(doc: FaultRunDoc, killAt: number, restartAt: number): void {
  expect(doc.aborted).toBeNull();
  const windows = doc.outages?.windows ?? [];
  expect(windows.length).toBeGreaterThanOrEqual(1);
  const w = windows.find((x) => Date.parse(x.start) >= killAt) as OutageWindowDoc;
  expect(w).toBeDefined();
  expect(Date.parse(w.start)).toBeLessThanOrEqual(restartAt);
  // ended by an answer from the new server: calls after the restart succeed
  expect(w.end).not.toBeNull();
  expect(Date.parse(w.end as string)).toBeGreaterThanOrEqual(restartAt);
  expect(w.failed).toBeGreaterThan(0);
  expect(w.first_error).toContain("UNAVAILABLE");
}

describe("bench through a server restart (compiled binary)", () => {
  test("TCP, open loop: the run completes, every due call is counted once, one outage across the kill", async () => {
    const { doc, killAt, restartAt } = await killAndRestart(
      ["--rate", "200", "-z", "6s", "--connections", "2", "--threads", "2"],
      (first) => first.target,
      "127.0.0.1:0",
    );
    expectOutageAcross(doc, killAt, restartAt);
    // 200/s for 6 s: 1200 calls were due, each is in the report once, ok or failed
    expect(doc.total.requests).toBe(1200);
    expect(doc.total.ok + doc.total.failed).toBe(1200);
  });

  test("--wait-for-ready: calls due while the server is down wait for it; still each due call once", async () => {
    const { doc, killAt, restartAt } = await killAndRestart(
      ["--rate", "200", "-z", "6s", "--connections", "2", "--threads", "2", "--wait-for-ready", "--timeout", "20s"],
      (first) => first.target,
      "127.0.0.1:0",
    );
    expectOutageAcross(doc, killAt, restartAt);
    expect(doc.total.requests).toBe(1200);
    expect(doc.total.ok + doc.total.failed).toBe(1200);
    // only the calls in flight at the kill fail: the ones due later waited for the new server
    expect(doc.total.ok).toBeGreaterThan(doc.total.failed);
  });

  test("Unix socket, closed loop: the same path comes back", async () => {
    const path = join(cwd, `s-${Math.random().toString(36).slice(2)}.sock`);
    const { doc, killAt, restartAt } = await killAndRestart(
      ["-z", "6s", "--connections", "2", "--threads", "1"],
      () => `unix:${path}`,
      `unix:${path}`,
    );
    expectOutageAcross(doc, killAt, restartAt);
    expect(doc.total.ok).toBeGreaterThan(0);
  });

  test("streams: a broken stream counts failed and a new one starts on the new server", async () => {
    const { doc, killAt, restartAt } = await killAndRestart(
      ["--service", "echo-stream", "-z", "6s", "--connections", "2", "--threads", "1"],
      (first) => first.target,
      "127.0.0.1:0",
    );
    expectOutageAcross(doc, killAt, restartAt);
  });

  test("a GOAWAY storm (--max-connection-age 200ms) fails no call and is no outage", async () => {
    const s = await serve("127.0.0.1:0", ["--max-connection-age", "200ms"]);
    const out = join(cwd, "goaway.json");
    const p = Bun.spawnSync(
      [requireBinary(), "bench", "-s", s.target, "--rate", "500", "-z", "3s", "-c", "2", "--json", "-o", out],
      { cwd, env, stdout: "pipe", stderr: "pipe" },
    );
    expect(p.exitCode).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as FaultRunDoc;
    expect(doc.total.failed).toBe(0);
    expect(doc.total.ok).toBe(1500);
    expect(doc.outages?.count ?? 0).toBe(0);
  });
});
