// The command line as grpcurl, ghz and k6 users expect it, over the compiled binary: typos refused with the
// nearest name, other tools' spellings accepted or pointed at ours, help that lists variables and exit codes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { binaryRunner, expectRefused, requireBinary, waitForLine } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-conventions-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const ESC = "\u001b";

const run = binaryRunner(cwd, env);

const refused = (args: readonly string[], line: string) => expectRefused(run, args, line);

const COMMANDS: ReadonlyArray<readonly string[]> = [
  ["serve"],
  ["call", "echo"],
  ["call", "sign"],
  ["call", "verify"],
  ["call", "pubkey"],
  ["call", "keys"],
  ["call", "smoke"],
  ["call", "health"],
  ["bench"],
];

let server: Subprocess<"ignore", "pipe", "pipe">;
let target: string;

beforeAll(async () => {
  server = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0", "--workers", "1"], {
    cwd,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  target = (await waitForLine(server.stderr, /serving .* on (\S+)/))[1] as string;
});
afterAll(() => {
  if (server.exitCode === null) server.kill("SIGKILL");
});

describe("every subcommand", () => {
  test("a command group without its command names the commands", () => {
    refused(
      ["call", "--server", target],
      "grpcperf call: name a command first (method, list, describe, echo, sign, verify, pubkey, keys,",
    );
    refused(["call"], "grpcperf call: name a command first (method, list,");
  });

  test.each(COMMANDS.map((c) => [c.join(" "), c] as const))(
    "%s refuses a typo'd flag with the nearest one",
    (_n, c) => {
      const typo = c[0] === "serve" ? ["--grcae", "1s"] : ["--sevrer", target];
      const near = c[0] === "serve" ? "--grace" : "--server";
      refused([...c, ...typo], `grpcperf ${c.join(" ")}: unknown flag ${typo[0]} (did you mean ${near}?)`);
    },
  );

  test.each([["call"], ...COMMANDS].map((c) => [c.join(" "), c] as const))(
    "%s --help lists its variables and exit codes",
    (_n, c) => {
      const r = run([...c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(ESC);
      expect(r.stdout).toContain("ENVIRONMENT (a flag wins over");
      expect(r.stdout).toMatch(/^ {2}SERVER_ADDR {2,}\S/m);
      expect(r.stdout).toMatch(/^ {2}LOG_LEVEL {2,}\S/m);
      expect(r.stdout).toContain("EXIT CODES");
      // Padded to the widest code: bench has 99.
      for (const code of ["0", "1", "2"]) expect(r.stdout).toMatch(new RegExp(`^ {2}${code} {2,}\\S`, "m"));
    },
  );
});

describe("help names what each command reads and returns", () => {
  test("serve: its variables, and exit 3 for calls cut at the end of --grace", () => {
    const out = run(["serve", "--help"]).stdout;
    for (const v of ["KEY_DIR", "CRYPTO_WORKERS", "CRYPTO_QUEUE", "WORKER_THREADS", "SERVER_ENGINE", "ALLOW_CIDS"]) {
      expect(out).toMatch(new RegExp(`^ {2}${v} `, "m"));
    }
    expect(out).toMatch(/^ {2}3 {2}stopped by a signal, but calls were cut/m);
  });

  test("bench: exit 99 for a failed --threshold; compare: its exit codes", () => {
    expect(run(["bench", "--help"]).stdout).toMatch(/^ {2}99 {2}the run completed but a --threshold failed/m);
    const compare = run(["compare", "--help"]);
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/^ {2}2 {2}usage error; a file missing, not JSON or not a bench report/m);
    expect(run(["--help"]).stdout).toMatch(
      /^ {2}99 {2}bench and report --threshold: the run completed, but a bar failed/m,
    );
  });

  test("bench: the replaced system's variables, and that a flag beats --preset beats the environment", () => {
    const out = run(["bench", "--help"]).stdout;
    expect(out).toContain("ENVIRONMENT (a flag wins over --preset, which wins over the environment)");
    for (const v of ["CONNECTIONS, CONCURRENT_REQUESTS", "REQUESTS, TOTAL_REQUESTS", "DURATION", "RATE_LIMIT"]) {
      expect(out).toContain(`  ${v} `);
    }
  });
});

describe("other tools' spellings", () => {
  test.each([
    [["bench", "-d", '{"message":"hi"}'], "-d/--data need --call pkg.Service/Method"],
    [["bench", "-b"], "unknown flag -b: binary request data is not taken: give JSON with -d or --data-file (NDJSON)"],
    [["bench", "--key", "k.pem"], "unknown flag --key: the PEM key of --cert is --cert-key here"],
    [["call", "echo", "--key", "k.pem"], "unknown flag --key: the PEM key of --cert is --cert-key here"],
    [["call", "echo", "-H", "a: b"], "unknown flag -H: metadata (-H) goes with calls of a method by name"],
    [["bench", "--total", "5"], "unknown flag --total: use --requests/-n"],
    [["bench", "--rps", "5"], "unknown flag --rps: use --rate/-r"],
    [["call", "echo", "-plaintext"], "unknown flag -plaintext (long flags take two dashes: --plaintext)"],
    [["call", "health", "-insecure"], "unknown flag -insecure (long flags take two dashes: --insecure)"],
    [["serve", "--port", "50051"], "unknown flag --port: give the port in --addr HOST:PORT"],
    [["bench", "-O", "yaml"], '--format: "yaml" is not one of text, json, html, csv, markdown'],
    [["call", "echo", "--plaintext", "--insecure"], "--plaintext and the TLS flags exclude each other"],
  ])("%p is refused with a pointer", (args, line) => refused(args, line));

  test("call sign --key stays grpcperf's key id", () => {
    const r = run(["call", "sign", "--server", target, "--key", "no-such-key", "--data", "x"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("no-such-key");
  });

  test("--plaintext is the default, said out loud", () => {
    const r = run(["call", "echo", "--plaintext", "--server", target, "-n", "1"]);
    expect(r.code).toBe(0);
  });

  test("ghz's -z (duration) and -O json (format) run a bench", () => {
    const r = run(["bench", "--server", target, "-c", "1", "-z", "1", "-O", "json", "-q"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.options.duration_s).toBe(1);
    expect(report.options.requests).toBeNull();
  });
});

describe("the replaced system's environment", () => {
  test("DURATION=2, a bare number, runs for 2 s", () => {
    const r = run(["bench", "--server", target, "--connections", "1", "--json", "--quiet"], { DURATION: "2" });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.options.duration_s).toBe(2);
    expect(report.options.requests).toBeNull();
    // The run went on until its duration was over (a lower bound on what it did, not a speed).
    expect(report.duration_s).toBeGreaterThanOrEqual(2);
  });

  test("a flag wins over its variable", () => {
    const r = run(["bench", "--server", target, "--connections", "1", "--duration", "1", "--json", "-q"], {
      DURATION: "2",
      CONNECTIONS: "3",
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.options.duration_s).toBe(1);
    expect(report.options.connections).toBe(1);
  });
});
