// `call --wait-for-ready`: as grpcurl users expect of gRPC clients, a server that is not up yet is waited for
// (reconnecting with backoff) up to --timeout; without the flag, a refused connection fails at once.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { requireBinary } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-wfr-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const procs: Subprocess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
});

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function call(args: string[]) {
  const p = Bun.spawn([requireBinary(), "call", "echo", ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
  procs.push(p);
  return p;
}

test("call --wait-for-ready: the call started before the server answers once it is up", async () => {
  const addr = `127.0.0.1:${await freePort()}`;
  const c = call(["-s", addr, "--wait-for-ready", "--timeout", "20s", "--count", "1"]);
  const server = Bun.spawn([requireBinary(), "serve", "--addr", addr, "--workers", "1"], {
    cwd,
    env,
    stdout: "ignore",
    stderr: "ignore",
  });
  procs.push(server);
  expect(await c.exited).toBe(0);
  expect(await new Response(c.stdout).text()).toContain("echo #1");
});

test("call --wait-for-ready: no server within --timeout is one line, exit 1; without it, refused at once", async () => {
  const addr = `127.0.0.1:${await freePort()}`;
  const waited = call(["-s", addr, "--wait-for-ready", "--timeout", "300ms"]);
  expect(await waited.exited).toBe(1);
  expect(await new Response(waited.stderr).text()).toMatch(
    /^grpcperf: cannot reach .*: deadline exceeded while waiting for a connection \(.*refused.*\)\n$/,
  );
  const refused = call(["-s", addr, "--timeout", "20s"]);
  expect(await refused.exited).toBe(1);
  expect(await new Response(refused.stderr).text()).toContain("connection refused");
});
