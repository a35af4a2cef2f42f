// The worker pool on its own: jobs spread over workers, a dead worker fails only its own jobs and is replaced.
import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { Algorithm } from "../../src/crypto/algorithms.ts";
import type { Job } from "../../src/crypto/jobs.ts";
import { keyPairFromKeyObject } from "../../src/crypto/keys.ts";
import { WorkerPool, workerUrl } from "../../src/crypto/pool.ts";
import { tempDir } from "../support/crypto-fixtures.ts";

const pair = keyPairFromKeyObject("k", generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
if (!pair.ok) throw new Error(pair.error);
const keys = [pair.pair.private];

const job = (keyId: string): Job => ({
  op: "sign",
  keyId,
  algorithm: Algorithm.ECDSA_P256_SHA256,
  input: { message: Buffer.from("pool") },
  encoding: "der",
});

describe("WorkerPool", () => {
  test("finds the worker script next to it from source, under crypto/ in the compiled binary", () => {
    expect(workerUrl("file:///repo/src/crypto/pool.ts")).toBe("file:///repo/src/crypto/worker.ts");
    expect(workerUrl("file:///$bunfs/root/grpcperf")).toBe("file:///$bunfs/root/crypto/worker.ts");
  });

  test("signs many jobs at once; unknown keys come back as failures, not exceptions", async () => {
    const pool = await WorkerPool.start(2, keys);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => pool.run(job("k"))));
      expect(results.every((r) => r.ok && "signature" in r)).toBe(true);
      expect(await pool.run(job("nope"))).toEqual({ ok: false, error: "key and algorithm do not match" });
    } finally {
      await pool.close();
    }
    expect(await pool.run(job("k"))).toEqual({ ok: false, error: "crypto pool closed" });
  });

  test("a worker that dies mid-job fails that job, is replaced, and the pool keeps signing", async () => {
    const errors: string[] = [];
    const pool = await WorkerPool.start(1, keys, {
      scriptUrl: new URL("../support/crypto-exiting-worker.ts", import.meta.url).href,
      onWorkerError: (m) => errors.push(m),
    });
    try {
      const died = await pool.run(job("exit"));
      expect(died.ok).toBe(false);
      expect(errors.join("\n")).toContain("restarting it");
      // the replacement may still be starting: the job waits in the pool's queue rather than failing
      const after = await pool.run(job("k"));
      expect(after.ok).toBe(true);
    } finally {
      await pool.close();
    }
  });

  test("closing fails the jobs still waiting; the one a worker holds fails too, nothing hangs", async () => {
    const pool = await WorkerPool.start(1, keys, {
      scriptUrl: new URL("../support/crypto-gated-worker.ts", import.meta.url).href,
    });
    const gateFile = join(tempDir("gate"), "never-opened");
    const held = pool.run({ ...job("k"), input: { message: Buffer.from(`hold:${gateFile}`) } });
    const waiting = pool.run(job("k"));
    expect(pool.queued).toBe(1);
    await pool.close();
    expect(await waiting).toEqual({ ok: false, error: "crypto pool closed" });
    expect(await held).toEqual({ ok: false, error: "crypto pool closed" });
    expect(pool.stats.dispatched).toBe(1);
  });

  test("a worker script that cannot load fails the start with a clear message", async () => {
    const start = WorkerPool.start(1, keys, { scriptUrl: new URL("../no-such-worker.ts", import.meta.url).href });
    await expect(start).rejects.toThrow(/crypto worker/);
  });
});
