// Graceful shutdown of the real binary: SIGTERM turns health NOT_SERVING, refuses new connections, lets a
// call in flight go on until it ends, then exits 0; a second signal exits at once; the grace period ends
// calls that outstay it.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { service as healthServiceDefinition } from "grpc-health-check";
import { Status } from "../src/rpc/status.ts";
import { openEchoStream } from "./echo-stream.ts";
import { channelTo, requireBinary, waitForLine } from "./helpers.ts";

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

  test("a call that outstays the grace period is cut, and the server exits 0", async () => {
    const { child, port } = await startBinary("100ms");
    const call = openEchoStream(`127.0.0.1:${port}`);
    expect(await call.send(1)).toBe(1);
    child.kill("SIGTERM");
    await waitForLine(child.stderr, /grace period over/);
    expect(await child.exited).toBe(0);
    call.destroy();
  });
});
