// `call --wait-for-ready` with a deadline across a server restart (issue 30), through the compiled binary on
// TCP and on a Unix socket (whose file the killed server leaves behind). A call in flight when the server
// dies fails as UNAVAILABLE (gRPC never resends a call the server may have seen); the next one waits for a
// connection and, with none by its deadline, fails as DEADLINE_EXCEEDED naming why; the one after that waits
// for the restarted server and succeeds, its deadline counting the wait. No timings are asserted.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { requireBinary, waitForLine } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-wfr-faults-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const procs: Subprocess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function serve(addr: string): Promise<{ proc: Subprocess; target: string }> {
  const proc = Bun.spawn([requireBinary(), "serve", "--addr", addr, "--workers", "1"], {
    cwd,
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  procs.push(proc);
  const m = await waitForLine(proc.stderr, /serving .* on (\S+)/);
  return { proc, target: m[1] as string };
}

interface Line {
  sequence: number;
  ok: boolean;
  code?: number;
  error?: string;
}

/** The JSON lines `call echo --json` prints, one at a time as they come. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      yield JSON.parse(buffer.slice(0, nl)) as Line;
      buffer = buffer.slice(nl + 1);
    }
  }
}

async function next(it: AsyncGenerator<Line>): Promise<Line> {
  const r = await it.next();
  if (r.done) throw new Error("call ended early");
  return r.value;
}

describe("call --wait-for-ready --timeout across a server restart (compiled binary)", () => {
  test.each([
    ["TCP", "127.0.0.1:0"],
    ["Unix socket", `unix:${join(cwd, "s.sock")}`],
  ])(
    "%s: in flight fails UNAVAILABLE, waiting past the deadline fails DEADLINE_EXCEEDED, then the new server answers",
    async (_, addr) => {
      const first = await serve(addr);
      // each call held 500 ms by the server, so the second is in flight when the first's answer shows
      const c = Bun.spawn(
        [requireBinary(), "call", "echo", "-s", first.target, "--wait-for-ready", "--timeout", "4s", "-n", "4"].concat([
          "--server-delay",
          "500ms",
          "--json",
        ]),
        { cwd, env, stdout: "pipe", stderr: "pipe" },
      );
      procs.push(c);
      const out = lines(c.stdout);
      expect(await next(out)).toMatchObject({ sequence: 1, ok: true });
      first.proc.kill("SIGKILL");
      expect(await next(out)).toMatchObject({ sequence: 2, ok: false, code: 14 });
      const waited = await next(out);
      expect(waited).toMatchObject({ sequence: 3, ok: false, code: 4 });
      expect(waited.error).toMatch(/^deadline exceeded while waiting for a connection \(cannot connect to .*\)$/);
      // the server comes back only now, while the fourth call waits for it
      await serve(addr.endsWith(":0") ? first.target : addr);
      expect(await next(out)).toMatchObject({ sequence: 4, ok: true });
      expect(await c.exited).toBe(1);
    },
  );
});
