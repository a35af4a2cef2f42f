// The compiled binary as a user runs it: from another directory, as a subprocess, over real sockets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { binaryRunner, requireBinary, waitForLine } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-cli-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };

const run = binaryRunner(cwd, env);

let server: Subprocess<"ignore", "pipe", "pipe">;
let target: string;

beforeAll(async () => {
  server = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0"], { cwd, env, stdout: "pipe", stderr: "pipe" });
  const m = await waitForLine(server.stderr, /serving .* on (\S+)/);
  target = m[1] as string;
});
afterAll(() => {
  if (server.exitCode === null) server.kill("SIGKILL");
});

describe("grpcperf binary", () => {
  test("--version prints the package version and commit", () => {
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^grpcperf \d+\.\d+\.\d+ \(\S+\)\n$/);
  });

  test("--help on each subcommand", () => {
    for (const args of [
      ["--help"],
      ["serve", "--help"],
      ["call", "--help"],
      ["call", "echo", "--help"],
      ["bench", "--help"],
    ]) {
      const r = run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
    }
  });

  test("call echo sends 4 messages by default and prints each latency", () => {
    const r = run(["call", "echo", "--server", target]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    for (const line of lines)
      expect(line).toMatch(/round trip \d+ µs .*server_recv_unix_nanos=\d+ server_send_unix_nanos=\d+/);
  });

  test("call echo --message prints the text the server echoed", () => {
    const r = run(["call", "echo", "--server", target, "--message", "hi there", "-n", "1"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^echo #1 to \S+: "hi there", 8 bytes, round trip \d+ µs/);
    const j = run(["call", "echo", "--server", target, "-m", "hé", "-n", "1", "--json"]);
    expect(JSON.parse(j.stdout).message).toBe("hé");
  });

  test("call runs on the lean client; --client http2 gives the same answer over node:http2", () => {
    for (const client of ["lean", "http2", "HTTP2"]) {
      const r = run(["call", "echo", "--server", target, "-m", "hi", "-n", "2", "--client", client]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split("\n")).toHaveLength(2);
      expect(r.stdout).toMatch(/^echo #1 to \S+: "hi", 2 bytes, round trip \d+ µs/);
    }
    const bad = run(["call", "echo", "--server", target, "--client", "grpc-js"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("grpcperf: --client grpc-js: expected lean or http2");
  });

  test("call echo --json gives one object per line, SERVER_ADDR picks the server", () => {
    const r = run(["call", "echo", "--json", "--count", "3", "--payload-size", "1000"], { SERVER_ADDR: target });
    expect(r.code).toBe(0);
    const objs = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objs.map((o) => o.sequence)).toEqual([1, 2, 3]);
    for (const o of objs) {
      expect(o.ok).toBe(true);
      expect(o.bytes).toBe(1000);
      expect(o.rtt_us).toBeGreaterThan(0);
      expect(BigInt(o.server_send_unix_nanos)).toBeGreaterThanOrEqual(BigInt(o.server_recv_unix_nanos));
    }
  });

  test("call echo --server-delay / --server-busy: the server's own time covers both; above a cap, INVALID_ARGUMENT", () => {
    const r = run([
      "call",
      "echo",
      "--server",
      target,
      "-n",
      "2",
      "--json",
      "--server-delay",
      "10ms",
      "--server-busy",
      "5ms",
    ]);
    expect(r.code).toBe(0);
    for (const line of r.stdout.trim().split("\n"))
      expect(JSON.parse(line).server_time_us).toBeGreaterThanOrEqual(15_000);
    const over = run(["call", "echo", "--server", target, "-n", "1", "--server-busy", "2s"]);
    expect(over.code).toBe(1);
    expect(over.stdout).toContain("server_busy_us 2000000 is above the cap");
    const bad = run(["call", "echo", "--server", target, "--server-delay", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--server-delay: "soon" is not a duration');
  });

  test("port in use: one clear line, exit 1, no stack trace", () => {
    const r = run(["serve", "--addr", target]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("already in use");
  });

  test("bad address: one clear line, exit 2", () => {
    const r = run(["serve", "--addr", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('bad address "nope"');
  });

  test("unreachable server: one clear line, exit 1", () => {
    const r = run(["call", "echo", "--server", "127.0.0.1:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ECONNREFUSED");
    expect(r.stderr).not.toContain("    at ");
  });

  test("unknown --engine: one clear line, exit 2", () => {
    const r = run(["serve", "--addr", "127.0.0.1:0", "--engine", "fast"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('--engine: "fast" is not lean or grpc-js');
  });

  test("a typo'd flag or subcommand is refused before anything runs: exit 2, one line, the nearest name", () => {
    for (const [args, line] of [
      [["bench", "--durations", "5s"], "grpcperf bench: unknown flag --durations (did you mean --duration?)"],
      [["serve", "--wrokers", "2"], "grpcperf serve: unknown flag --wrokers (did you mean --workers?)"],
      [["call", "echo", "--cuont", "3"], "grpcperf call echo: unknown flag --cuont (did you mean --count?)"],
      [["call", "hlth"], 'grpcperf call: unknown command "hlth" (did you mean health?)'],
      [["bench", "--rate"], "grpcperf bench: --rate needs a value"],
      [["call", "echo", "-n"], "grpcperf call echo: -n needs a value"],
    ] as const) {
      const r = run([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(line);
    }
  });

  test("help and usage errors piped to a file carry no escape codes; FORCE_COLOR keeps them, NO_COLOR wins", () => {
    const ESC = "\u001b";
    for (const args of [["--help"], ["bench", "--help"], ["call", "echo", "--help"]]) {
      const r = run(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
      expect(r.stdout).not.toContain(ESC);
    }
    const unknown = run(["lsit"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("lsit");
    expect(unknown.stderr).not.toContain(ESC);
    expect(run(["bench", "--help"], { FORCE_COLOR: "1" }).stdout).toContain(ESC);
    expect(run(["bench", "--help"], { FORCE_COLOR: "1", NO_COLOR: "1" }).stdout).not.toContain(ESC);
  });

  test("--handshake-timeout and --send-timeout with the grpc-js engine are refused: one clear line, exit 2", () => {
    for (const flag of ["--handshake-timeout", "--send-timeout"]) {
      for (const extra of [["--engine", "grpc-js"], ["--no-fast-path"]]) {
        const r = run(["serve", "--addr", "127.0.0.1:0", ...extra, flag, "5s"]);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toContain(`${flag} works on the lean engine only`);
      }
    }
  });

  test("SERVER_ENGINE=grpc-js serves the same calls through @grpc/grpc-js", async () => {
    const s = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0", "--workers", "1"], {
      cwd,
      env: { ...env, SERVER_ENGINE: "grpc-js" },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const m = await waitForLine(s.stderr, /serving .*\(grpc-js engine\) on (\S+)/);
      const r = run(["call", "smoke", "--server", m[1] as string]);
      expect(r.code).toBe(0);
    } finally {
      s.kill("SIGTERM");
      await s.exited;
    }
  });

  test("unknown log level is refused", () => {
    const r = run(["call", "echo", "--server", target], { LOG_LEVEL: "loud" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown log level");
  });

  test("SIGTERM: the server stops and exits 0", async () => {
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
