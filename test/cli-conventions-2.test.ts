// The command line as grpcurl and ghz users expect it, round two (issue 28), over the compiled binary and
// real loopback sockets: the address the user named and no other, results that survive output errors,
// --proto under --import-path, ghz's concurrency below the connection count.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, binaryRunner, type ServedBinary, serveBinary } from "./helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-conventions-2-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const run = binaryRunner(cwd, env);

/** Exit 2, one line on stderr containing `line`, nothing on stdout. */
function refused(args: readonly string[], line: string) {
  const r = run(args);
  expect({ args, code: r.code }).toEqual({ args, code: 2 });
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(line);
  expect(r.stdout).toBe("");
}

/** The binary with its stdout on /dev/full (ENOSPC on every write), in its own working directory. */
function toFullDisk(args: readonly string[]) {
  const dir = mkdtempSync(join(cwd, "full-"));
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const p = Bun.spawnSync(["sh", "-c", `exec '${BINARY}' ${quoted} > /dev/full`], {
    cwd: dir,
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  return { code: p.exitCode, stderr: p.stderr.toString(), dir };
}

let served: ServedBinary;
let target: string;
/** An address where nothing listens: a run that went there instead of `target` would fail. */
let elsewhere: string;

beforeAll(async () => {
  served = await serveBinary([], { cwd, env });
  target = served.target;
  const other = await serveBinary([], { cwd, env });
  elsewhere = other.target;
  await other.stop();
});
afterAll(() => served.stop());

describe("a positional address is the target, as in grpcurl and ghz", () => {
  test("bench -n 20 ADDR (ghz's order) loads ADDR", () => {
    const r = run(["bench", "-n", "20", "-c", "1", "--json", "-q", target], { SERVER_ADDR: elsewhere });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.options.server).toBe(target);
    expect(report.total.ok).toBe(20);
  });

  test("call echo ADDR calls ADDR", () => {
    const r = run(["call", "echo", target, "-n", "1"], { SERVER_ADDR: elsewhere });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`echo #1 to ${target}`);
  });

  test("call ADDR pkg.Service/Method (grpcurl's order) calls ADDR", () => {
    const r = run(["call", target, "grpcperf.v1.Echo/Echo", "-d", '{"payload":"aGk="}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).payload).toBe("aGk=");
  });

  test("call pkg.Service/Method ADDR, call ADDR list, call ADDR describe SYMBOL, call health ADDR", () => {
    expect(run(["call", "grpcperf.v1.Echo/Echo", target]).code).toBe(0);
    const listed = run(["call", target, "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("grpcperf.v1.Echo\n");
    const described = run(["call", target, "describe", "grpcperf.v1.Echo"]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain("service Echo");
    const health = run(["call", "health", target]);
    expect(health.code).toBe(0);
    expect(health.stdout).toContain(`server at ${target}: SERVING`);
  });

  test("an address given twice, two addresses, or a stray word is refused with exit 2", () => {
    refused(["bench", "-n", "5", target, "--server", elsewhere], "the address is given twice");
    refused(["call", "echo", target, "-s", elsewhere], "the address is given twice");
    refused(["call", target, "grpcperf.v1.Echo/Echo", "-s", target], "the address is given twice");
    refused(["bench", "-n", "5", target, elsewhere], "two addresses given");
    refused(["bench", "-n", "5", "fast", target], 'unexpected argument "fast"');
    refused(["call", "echo", target, "hello"], 'unexpected argument "hello"');
    refused(["call", target], "give a method: pkg.Service/Method");
  });
});

describe("results are not lost to output errors", () => {
  test.each([
    ["-o", "/nonexistent/x.json"],
    ["-o", "/proc/x.json"],
    ["--html", "/nonexistent/x.html"],
    ["--html", "/proc/x.html"],
  ])("bench %s %s is refused before any call (exit 2)", (flag, path) => {
    // Nothing listens at `elsewhere`: had the run started, the error would be that it cannot reach it.
    refused(["bench", "-n", "5", "-q", elsewhere, flag, path], `${flag} ${path}: cannot write there`);
  });

  test("bench > /dev/full: exit 1, the JSON report saved in a fallback file named on stderr", () => {
    const r = toFullDisk(["bench", "-n", "30", "-c", "1", "-q", target]);
    expect(r.code).toBe(1);
    const saved = /the JSON report is saved in (\S+)/.exec(r.stderr)?.[1];
    expect(saved).toBeDefined();
    expect(r.stderr).toContain("stdout: ENOSPC");
    const report = JSON.parse(readFileSync(saved as string, "utf8"));
    expect(report.total.ok).toBe(30);
    expect(report.options.server).toBe(target);
  });

  test("bench -o /dev/full and --html /dev/full: exit 1, the report saved aside", () => {
    for (const flag of ["-o", "--html"]) {
      const r = toFullDisk(["bench", "-n", "10", "-c", "1", "-q", target, flag, "/dev/full"]);
      expect(r.code).toBe(1);
      const saved = /the JSON report is saved in (\S+)/.exec(r.stderr)?.[1] as string;
      expect(existsSync(saved)).toBe(true);
      expect(JSON.parse(readFileSync(saved, "utf8")).total.ok).toBe(10);
    }
  });

  test.each([
    [["call", "echo", "-n", "1"]],
    [["call", "grpcperf.v1.Echo/Echo"]],
    [["call", "list"]],
    [["call", "health"]],
  ])("%p > /dev/full: one line and exit 1, no stack trace", (args) => {
    const r = toFullDisk([...args, "-s", target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("grpcperf: cannot write to stdout (ENOSPC)\n");
  });
});
