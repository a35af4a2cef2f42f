// Graceful shutdown of the real binary: SIGTERM turns health NOT_SERVING, refuses new connections, lets a
// call in flight go on until it ends, then exits 0; a second signal exits at once; the grace period ends
// calls that outstay it (exit 3), even on a server thread too blocked to end them itself.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { service as healthServiceDefinition } from "grpc-health-check";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoRequest } from "../../src/api/echo.ts";
import { EXIT_CALLS_CUT } from "../../src/cli/serve.ts";
import { PREFACE, settingsFrame } from "../../src/h2/frame.ts";
import { Status } from "../../src/rpc/status.ts";
import { openEchoStream } from "../support/echo-stream.ts";
import { channelTo, requireBinary, waitForLine } from "../support/helpers.ts";
import { BLOCKING_LINE, BlockMethod } from "../support/services.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-shutdown-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };

async function startBinary(grace: string) {
  const child = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0", "--grace", grace], {
    cwd,
    env,
    stdout: "ignore",
    stderr: "pipe",
  });
  const target = (await waitForLine(child.stderr, /serving .* on (\S+)/))[1] as string;
  return { child, target, port: Number(target.split(":")[1]) };
}

const HealthClient = grpc.makeClientConstructor(healthServiceDefinition, "Health");

describe("graceful shutdown of the binary", () => {
  test("SIGTERM: health NOT_SERVING, new connections refused, the call in flight completes, exit 0", async () => {
    const { child, target, port } = await startBinary("30s");
    const health = new HealthClient(target, grpc.credentials.createInsecure());
    const watch = (health as unknown as { watch(r: object): grpc.ClientReadableStream<{ status: string }> }).watch({
      service: "",
    });
    const statuses: string[] = [];
    const firstStatus = new Promise<void>((resolve) => watch.once("data", () => resolve()));
    const notServing = new Promise<void>((resolve) => {
      watch.on("data", (r) => {
        statuses.push(r.status);
        if (r.status === "NOT_SERVING") resolve();
      });
      watch.on("error", () => {});
    });
    const call = openEchoStream(`127.0.0.1:${port}`);
    expect(await call.send(1)).toBe(1);
    await firstStatus;

    const seen: string[] = [];
    child.kill("SIGTERM");
    await waitForLine(child.stderr, /SIGTERM: shutting down/, seen);
    await notServing;
    expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);

    const fresh = channelTo({ kind: "tcp", host: "127.0.0.1", port }, { connectTimeoutMs: 5_000 });
    const refused = await fresh.ready();
    expect(refused.ok ? 0 : refused.error.code).toBe(Status.UNAVAILABLE);
    await fresh.close();

    expect(await call.send(2)).toBe(2); // the call in flight is still served while draining
    expect(await call.end()).toBe("0");
    expect(await child.exited).toBe(0);
    health.close();
  });

  test("a second signal exits at once, without waiting for the grace period", async () => {
    const { child, port } = await startBinary("10m");
    const call = openEchoStream(`127.0.0.1:${port}`);
    expect(await call.send(1)).toBe(1);
    child.kill("SIGTERM");
    await waitForLine(child.stderr, /shutting down/);
    child.kill("SIGINT");
    expect(await child.exited).toBe(1);
    call.destroy();
  });

  test("a call that outstays the grace period is cut, and the server exits 3", async () => {
    const { child, port } = await startBinary("100ms");
    const call = openEchoStream(`127.0.0.1:${port}`);
    expect(await call.send(1)).toBe(1);
    child.kill("SIGTERM");
    await waitForLine(child.stderr, /grace period over/);
    expect(await child.exited).toBe(EXIT_CALLS_CUT);
    call.destroy();
  });

  test("a clean drain exits 0 even when a connection outlasts the grace period (no call was cut)", async () => {
    const { child, port } = await startBinary("100ms");
    const call = openEchoStream(`127.0.0.1:${port}`);
    expect(await call.send(1)).toBe(1);
    expect(await call.end()).toBe("0");
    // Preface only, and it never closes its side: the server's drain outlasts the grace period waiting for it.
    const idle = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    idle.on("error", () => {});
    await new Promise<void>((resolve) => idle.once("connect", () => resolve()));
    idle.write(Buffer.concat([PREFACE, settingsFrame([])]));
    await new Promise<void>((resolve) => idle.once("data", () => resolve()));
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    idle.destroy();
  });

  test("--grace is a hard bound: a server thread whose event loop is blocked is terminated, and the exit code is 3", async () => {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "../support/serve-extra.ts"), "2", "1000"], {
      cwd,
      env,
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const lines: string[] = [];
      const port = Number((await waitForLine(child.stderr, /serving on 127\.0\.0\.1:(\d+)/, lines))[1]);
      const ch = channelTo({ kind: "tcp", host: "127.0.0.1", port });
      // A minute of blocked event loop: far past the grace period, so only the hard bound can end the process.
      const blocked = ch.unary(BlockMethod.path, encodeMessage(EchoRequest, { sequence: 60_000 }), {
        timeoutMs: 120_000,
      });
      await waitForLine(child.stderr, new RegExp(BLOCKING_LINE), lines);
      child.kill("SIGTERM");
      await waitForLine(child.stderr, /did not stop within the grace period .*: terminated/, lines);
      expect(await child.exited).toBe(EXIT_CALLS_CUT);
      const outcome = await blocked; // the call never got its answer: its thread was terminated mid-call
      expect(outcome.ok).toBe(false);
      await ch.close();
    } finally {
      child.kill("SIGKILL"); // only if the test failed: a server blocked for a minute must not outlive it
    }
  }, 30_000);
});
