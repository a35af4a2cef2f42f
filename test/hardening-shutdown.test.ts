// Graceful shutdown of the real binary: SIGTERM turns health NOT_SERVING, refuses new connections, lets a
// call in flight go on until it ends, then exits 0; a second signal exits at once; the grace period ends
// calls that outstay it.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { service as healthServiceDefinition } from "grpc-health-check";
import { encodeMessage } from "../src/api/codec.ts";
import { ECHO_STREAM_PATH, EchoRequest, EchoResponse } from "../src/api/echo.ts";
import { fromLong } from "../src/clock.ts";
import { encodeFrame, FrameDecoder } from "../src/rpc/frame.ts";
import { Status } from "../src/rpc/status.ts";
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

/** An EchoStream call held open: send() resolves with the sequence the server echoed back. */
function openStream(port: number) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const stream = session.request({
    ":method": "POST",
    ":path": ECHO_STREAM_PATH,
    "content-type": "application/grpc",
    te: "trailers",
  });
  stream.on("error", () => {});
  const decoder = new FrameDecoder(1 << 20);
  const waiting: ((seq: number) => void)[] = [];
  stream.on("data", (chunk: Buffer) => {
    const out: Buffer[] = [];
    decoder.push(chunk, out);
    for (const m of out) waiting.shift()?.(Number(fromLong(EchoResponse.decode(m).sequence)));
  });
  let status: string | undefined;
  stream.on("trailers", (h) => {
    status = String(h["grpc-status"]);
  });
  const closed = new Promise<void>((resolve) => stream.on("close", () => resolve()));
  return {
    send: (sequence: number) =>
      new Promise<number>((resolve) => {
        waiting.push(resolve);
        stream.write(encodeFrame(encodeMessage(EchoRequest, { sequence })));
      }),
    end: async () => {
      stream.end();
      await closed;
      session.close();
      return status;
    },
    destroy: () => session.destroy(),
  };
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
    const call = openStream(port);
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
    const call = openStream(port);
    expect(await call.send(1)).toBe(1);
    child.kill("SIGTERM");
    await waitForLine(child.stderr, /shutting down/);
    child.kill("SIGINT");
    expect(await child.exited).toBe(1);
    call.destroy();
  });

  test("a call that outstays the grace period is cut, and the server exits 0", async () => {
    const { child, port } = await startBinary("100ms");
    const call = openStream(port);
    expect(await call.send(1)).toBe(1);
    child.kill("SIGTERM");
    await waitForLine(child.stderr, /grace period over/);
    expect(await child.exited).toBe(0);
    call.destroy();
  });
});
