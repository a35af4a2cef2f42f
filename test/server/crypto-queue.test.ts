// The signing queue under pressure, over real sockets and a real worker pool: a full queue refuses with
// RESOURCE_EXHAUSTED, a job whose caller's deadline passed or who cancelled is dropped without being signed.
// The one worker is held on a gate (crypto-gated-worker.ts) while the test lines calls up behind it, so
// every count below is exact whatever the machine's speed.
import { afterEach, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { encodeMessage } from "../../src/api/codec.ts";
import { ListKeysMethod, ListKeysRequest, SignMethod, SignRequest, SignResponse } from "../../src/api/crypto.ts";
import { sign } from "../../src/client/crypto.ts";
import { Algorithm } from "../../src/crypto/algorithms.ts";
import { KeyRing } from "../../src/crypto/keyring.ts";
import { keyPairFromKeyObject } from "../../src/crypto/keys.ts";
import { WorkerPool } from "../../src/crypto/pool.ts";
import type { RpcChannel } from "../../src/rpc/channel.ts";
import { type Result, Status } from "../../src/rpc/status.ts";
import { cryptoService } from "../../src/server/crypto.ts";
import { parseAddress } from "../../src/transport/address.ts";
import { tempDir } from "../support/crypto-fixtures.ts";
import {
  channelTo,
  ENGINES,
  requireBinary,
  serveOnLoopback,
  type TestServer,
  waitForLine,
} from "../support/helpers.ts";

const T = 20_000;
const pair = keyPairFromKeyObject("k", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
if (!pair.ok) throw new Error(pair.error);
const { public: pub, private: priv } = pair.pair;
const GATED = new URL("../support/crypto-gated-worker.ts", import.meta.url).href;

interface Rig {
  readonly pool: WorkerPool;
  readonly srv: TestServer;
  readonly ch: RpcChannel;
}
let rig: Rig | undefined;

async function start(queue: number, engine: (typeof ENGINES)[number][1] = ENGINES[0][1]): Promise<Rig> {
  const pool = await WorkerPool.start(1, [priv], { scriptUrl: GATED, queue });
  const srv = await serveOnLoopback([cryptoService(new KeyRing([pub]), pool)], engine);
  rig = { pool, srv, ch: channelTo(srv.address) };
  return rig;
}
afterEach(async () => {
  if (!rig) return;
  await rig.ch.close();
  await rig.srv.stop();
  await rig.pool.close();
  rig = undefined;
});

/** Waits for a state of the pool, however long it takes (the test timeout is the guard). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await Bun.sleep(5);
}

function codeOf(r: Result<unknown>): number {
  return r.ok ? Status.OK : r.error.code;
}

const signP256 = (ch: RpcChannel, message: string) =>
  sign(ch, { algorithm: Algorithm.ECDSA_P256_SHA256, message: Buffer.from(message) }, T);

/** A sign call that holds the worker until open() is called; resolves once the worker has it. */
async function hold(r: Rig) {
  const path = join(tempDir("gate"), "open");
  const before = r.pool.stats.dispatched;
  const call = signP256(r.ch, `hold:${path}`);
  await until(() => r.pool.stats.dispatched === before + 1);
  return { call, open: () => writeFileSync(path, "") };
}

describe("a full queue refuses with RESOURCE_EXHAUSTED", () => {
  test("1 worker busy, queue of 4, 20 more calls: 4 wait and are signed, 16 are refused at once", async () => {
    const r = await start(4);
    const gate = await hold(r);
    const calls = Array.from({ length: 20 }, (_, i) => signP256(r.ch, `flood ${i}`));
    await until(() => r.pool.queued + r.pool.stats.rejected === 20);
    gate.open();
    const results = (await Promise.all(calls)).map((c) => c.result);
    expect(codeOf((await gate.call).result)).toBe(Status.OK);
    const refused = results.filter((x) => codeOf(x) === Status.RESOURCE_EXHAUSTED);
    expect(refused).toHaveLength(16);
    expect(results.filter((x) => x.ok)).toHaveLength(4);
    for (const x of refused) if (!x.ok) expect(x.error.details).toMatch(/^crypto queue full: 4 jobs already wait/);
    expect(r.pool.stats).toEqual({ dispatched: 5, rejected: 16, dropped: { deadline: 0, cancelled: 0 } });
    // and the server still serves
    expect(codeOf((await signP256(r.ch, "after the flood")).result)).toBe(Status.OK);
    expect(r.pool.stats.dispatched).toBe(6);
  });

  test("a queue of 0 still signs when the worker is idle, and refuses when it is not", async () => {
    const r = await start(0);
    expect(codeOf((await signP256(r.ch, "idle")).result)).toBe(Status.OK);
    const gate = await hold(r);
    const busy = await signP256(r.ch, "busy");
    gate.open();
    await gate.call;
    expect(codeOf(busy.result)).toBe(Status.RESOURCE_EXHAUSTED);
    expect(r.pool.stats).toEqual({ dispatched: 2, rejected: 1, dropped: { deadline: 0, cancelled: 0 } });
  });
});

describe.each(ENGINES)("jobs nobody waits for are not signed (%s)", (_name, engine) => {
  test("a deadline that passes while the call waits → DEADLINE_EXCEEDED, and the job never reaches the worker", async () => {
    const r = await start(4, engine);
    const gate = await hold(r);
    const bytes = encodeMessage(SignRequest, SignRequest.create({ keyId: "k", message: Buffer.from("late") }));
    // No local timer: the deadline travels as grpc-timeout only, so the status heard is the server's.
    const late = r.ch.unary(SignMethod.path, bytes, { metadata: [["grpc-timeout", "1000m"]] });
    await until(() => r.pool.queued === 1);
    expect(codeOf(await late)).toBe(Status.DEADLINE_EXCEEDED);
    gate.open();
    expect(codeOf((await gate.call).result)).toBe(Status.OK);
    // FIFO: by the time this is signed, the pool has looked at the late job and dropped it
    expect(codeOf((await signP256(r.ch, "next")).result)).toBe(Status.OK);
    expect(r.pool.stats).toEqual({ dispatched: 2, rejected: 0, dropped: { deadline: 1, cancelled: 0 } });
  });

  test("a call the client cancels while it waits is dropped likewise", async () => {
    const r = await start(4, engine);
    const gate = await hold(r);
    const client = new grpc.Client(r.srv.target, grpc.credentials.createInsecure());
    try {
      let status: number | undefined;
      const heard = new Promise<void>((resolve) => {
        const call = client.makeUnaryRequest(
          SignMethod.path,
          (m: SignRequest) => encodeMessage(SignRequest, m),
          (b: Buffer) => SignResponse.decode(b),
          SignRequest.create({ keyId: "k", message: Buffer.from("never mind") }),
          (err) => {
            status = err?.code ?? Status.OK;
            resolve();
          },
        );
        until(() => r.pool.queued === 1).then(() => call.cancel());
      });
      await heard;
      expect(status).toBe(Status.CANCELLED);
      // A later call on the same connection: once it is answered, the server has read the cancellation
      // (RST_STREAM) that was sent before it.
      await new Promise<void>((resolve, reject) =>
        client.makeUnaryRequest(
          ListKeysMethod.path,
          (m: ListKeysRequest) => encodeMessage(ListKeysRequest, m),
          (b: Buffer) => b,
          ListKeysRequest.create({}),
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    } finally {
      client.close();
    }
    gate.open();
    expect(codeOf((await gate.call).result)).toBe(Status.OK);
    expect(codeOf((await signP256(r.ch, "next")).result)).toBe(Status.OK);
    expect(r.pool.stats).toEqual({ dispatched: 2, rejected: 0, dropped: { deadline: 0, cancelled: 1 } });
  });
});

describe("the compiled binary under a flood", () => {
  test("serve --crypto-workers 1 --crypto-queue 2: 200 RSA signs at once → some refused, the rest signed, still serving, counted at shutdown", async () => {
    // CRYPTO_QUEUE is there to show the flag wins over it
    const server = Bun.spawn(
      [
        requireBinary(),
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--crypto-workers",
        "1",
        "--crypto-queue",
        "2",
        "--workers",
        "1",
      ],
      { env: { ...process.env, CRYPTO_QUEUE: "999" }, stdout: "ignore", stderr: "pipe" },
    );
    const channels: RpcChannel[] = [];
    try {
      const lines: string[] = [];
      const m = await waitForLine(server.stderr, /serving .* on (\S+)/, lines);
      expect(lines.join("\n")).toContain("signing on 1 worker, at most 2 waiting");
      const parsed = parseAddress(m[1] as string);
      if (!parsed.ok) throw new Error(parsed.error);
      const address = parsed.address;
      for (let i = 0; i < 4; i++) channels.push(channelTo(address));
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          sign(
            channels[i % 4] as RpcChannel,
            { algorithm: Algorithm.RSA_PKCS1_SHA256, message: Buffer.from(`${i}`) },
            T,
          ),
        ),
      );
      const codes = results.map((r) => codeOf(r.result));
      const refused = codes.filter((c) => c === Status.RESOURCE_EXHAUSTED).length;
      const signed = codes.filter((c) => c === Status.OK).length;
      expect(refused).toBeGreaterThan(0);
      expect(signed).toBeGreaterThan(0);
      expect(refused + signed).toBe(200);
      const after = await sign(
        channels[0] as RpcChannel,
        { algorithm: Algorithm.RSA_PKCS1_SHA256, message: Buffer.from("after") },
        T,
      );
      expect(codeOf(after.result)).toBe(Status.OK);
      // At shutdown the server tells its side of the story, and it matches what the client saw.
      await Promise.all(channels.splice(0).map((c) => c.close()));
      server.kill("SIGTERM");
      const stats = await waitForLine(server.stderr, /signing jobs: (\d+) run, (\d+) refused \(queue full\)/);
      expect(Number(stats[1])).toBe(signed + 1);
      expect(Number(stats[2])).toBe(refused);
    } finally {
      await Promise.all(channels.map((c) => c.close()));
      if (server.exitCode === null) server.kill("SIGKILL");
    }
  });
});
