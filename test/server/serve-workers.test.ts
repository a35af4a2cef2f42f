// `serve --workers N` in the compiled binary, over real TCP and Unix sockets: connections spread over the
// server threads, every thread signs with the same keys, SIGTERM drains every thread (a call in flight
// completes) and exits 0, and bad values are one line with exit code 2. No timing is asserted.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { getPublicKey, sign, verify } from "../../src/client/crypto.ts";
import { echoOnce } from "../../src/client/echo.ts";
import { Algorithm } from "../../src/crypto/algorithms.ts";
import { PREFACE, settingsFrame } from "../../src/h2/frame.ts";
import { type Address, parseAddress } from "../../src/transport/address.ts";
import { openEchoStream } from "../support/echo-stream.ts";
import { channelTo, requireBinary, waitForLine } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-workers-"));
const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const CONNECTIONS = 32;

/** Starts the binary; every stderr line is kept in `lines` for as long as it runs. */
async function startServer(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([requireBinary(), "serve", "--log-level", "debug", "--crypto-workers", "1", ...args], {
    cwd,
    env: { ...baseEnv, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const lines: string[] = [];
  const m = await waitForLine(child.stderr, /serving .* with (\d+) workers?(?: \(grpc-js engine\))? on (\S+)/, lines);
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of child.stderr) {
      rest += decoder.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  const parsed = parseAddress(m[2] as string);
  if (!parsed.ok) throw new Error(parsed.error);
  return { child, lines, workers: Number(m[1]), address: parsed.address };
}

/** Which server threads accepted connections, from their debug lines ("worker 2: connection from …"). */
function acceptingWorkers(lines: readonly string[]): Set<string> {
  const seen = new Set<string>();
  for (const l of lines) {
    const m = /(worker \d+): connection from/.exec(l);
    if (m) seen.add(m[1] as string);
  }
  return seen;
}

/** CONNECTIONS connections at once, each an echo and the P-256 public key; all must succeed. */
async function loadConnections(address: Address): Promise<Set<string>> {
  const results = await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, i) => {
      const channel = channelTo(address, { connectTimeoutMs: 10_000 });
      try {
        const echo = await echoOnce(channel, new Uint8Array([i]), i, 10_000);
        const key = await getPublicKey(channel, { algorithm: Algorithm.ECDSA_P256_SHA256 }, 10_000);
        if (!echo.result.ok) throw new Error(`echo failed: ${echo.result.error.details}`);
        if (!key.result.ok) throw new Error(`GetPublicKey failed: ${key.result.error.details}`);
        return Buffer.from(key.result.value.spkiDer ?? []).toString("hex");
      } finally {
        await channel.close();
      }
    }),
  );
  return new Set(results);
}

function socketTo(address: Address): () => Duplex {
  if (address.kind === "tcp") return () => net.connect({ host: address.host, port: address.port });
  if (address.kind === "unix") return () => net.connect(address.path);
  throw new Error(`no test socket for ${address.kind}`);
}

describe.each([
  ["TCP", () => "127.0.0.1:0"],
  ["unix://", () => `unix://${join(cwd, `w-${process.hrtime.bigint()}.sock`)}`],
])("serve --workers 2 over %s", (_name, addr) => {
  test("connections spread over both threads, calls succeed, one public key everywhere, SIGTERM drains", async () => {
    const server = await startServer(["--addr", addr(), "--workers", "2", "--grace", "30s"]);
    expect(server.workers).toBe(2);

    const keys = await loadConnections(server.address);
    expect(keys.size).toBe(1);
    expect(acceptingWorkers(server.lines).size).toBe(2);

    const call = openEchoStream(socketTo(server.address));
    expect(await call.send(1)).toBe(1);
    server.child.kill("SIGTERM");
    await waitUntil(() => server.lines.some((l) => /SIGTERM: shutting down/.test(l)));
    expect(await call.send(2)).toBe(2); // in flight when the signal came: still served while draining
    expect(await call.end()).toBe("0");
    expect(await server.child.exited).toBe(0);
    if (server.address.kind === "unix") expect(existsSync(server.address.path)).toBe(false);
  });
});

describe.each(["lean", "grpc-js"])("serve --workers 2 --engine %s: a key id and an algorithm together", (engine) => {
  // Each server thread gets copies of the keys, so the key and the algorithm must match by id.
  test("Sign, Verify and GetPublicKey succeed for every key and its algorithm", async () => {
    const server = await startServer(["--addr", "127.0.0.1:0", "--workers", "2", "--engine", engine]);
    const channel = channelTo(server.address, { connectTimeoutMs: 10_000 });
    try {
      for (const [keyId, algorithm] of [
        ["rsa-2048", Algorithm.RSA_PKCS1_SHA256],
        ["rsa-2048", Algorithm.RSA_PSS_SHA256],
        ["ecdsa-p256", Algorithm.ECDSA_P256_SHA256],
        ["ecdsa-p384", Algorithm.ECDSA_P384_SHA384],
      ] as const) {
        const message = new TextEncoder().encode(`${keyId} ${algorithm}`);
        const signed = (await sign(channel, { keyId, algorithm, message }, 10_000)).result;
        if (!signed.ok) throw new Error(`Sign ${keyId} ${algorithm}: ${signed.error.details}`);
        expect(signed.value.algorithm).toBe(algorithm);
        const checked = (
          await verify(channel, { keyId, algorithm, message, signature: signed.value.signature }, 10_000)
        ).result;
        if (!checked.ok) throw new Error(`Verify ${keyId} ${algorithm}: ${checked.error.details}`);
        expect(checked.value.valid).toBe(true);
        const pub = (await getPublicKey(channel, { keyId, algorithm }, 10_000)).result;
        if (!pub.ok) throw new Error(`GetPublicKey ${keyId} ${algorithm}: ${pub.error.details}`);
        expect(pub.value.keyId).toBe(keyId);
      }
    } finally {
      await channel.close();
      server.child.kill("SIGTERM");
      await server.child.exited;
    }
  });
});

/** Connects, sends the HTTP/2 preface, and tells whether the server spoke (an admitted connection gets
 * SETTINGS at once) or closed the connection without a word (refused at accept). */
function firstWord(address: Address): Promise<{ outcome: "spoke" | "closed"; socket: Duplex }> {
  const socket = socketTo(address)();
  socket.on("error", () => {});
  socket.write(Buffer.concat([PREFACE, settingsFrame([])]));
  return new Promise((resolve) => {
    socket.once("data", () => resolve({ outcome: "spoke", socket }));
    socket.once("close", () => resolve({ outcome: "closed", socket }));
  });
}

describe("serve --workers 2 --max-connections", () => {
  test("one count for both threads: with the limit's worth of calls open, every further connection is closed", async () => {
    const server = await startServer(["--addr", "127.0.0.1:0", "--workers", "2", "--max-connections", "4"]);
    try {
      const calls = [0, 1, 2, 3].map(() => openEchoStream(socketTo(server.address)));
      for (const c of calls) expect(await c.send(1)).toBe(1);
      // Counted per thread, a thread with fewer than 4 of the calls would let these in.
      const extras = await Promise.all([0, 1, 2, 3].map(() => firstWord(server.address)));
      expect(extras.map((e) => e.outcome)).toEqual(["closed", "closed", "closed", "closed"]);
      for (const c of calls) expect(await c.send(2)).toBe(2);
      for (const c of calls) expect(await c.end()).toBe("0");
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.child.exited).toBe(0);
  });
});

describe("serve --max-connections with idle connections", () => {
  // One thread, so where each connection lands is known: eviction is per accepting thread (README).
  test("the limit filled with preface-only connections: an honest call still succeeds, the longest idle makes room", async () => {
    const server = await startServer(["--addr", "127.0.0.1:0", "--workers", "1", "--max-connections", "3"]);
    try {
      const idle: Array<Awaited<ReturnType<typeof firstWord>>> = [];
      for (let i = 0; i < 3; i++) idle.push(await firstWord(server.address)); // in order, each admitted
      expect(idle.map((e) => e.outcome)).toEqual(["spoke", "spoke", "spoke"]);
      const firstClosed = new Promise<void>((resolve) => idle[0]?.socket.once("close", () => resolve()));
      const channel = channelTo(server.address, { connectTimeoutMs: 10_000 });
      const echo = await echoOnce(channel, new Uint8Array([1]), 1, 10_000);
      expect(echo.result.ok).toBe(true);
      await firstClosed;
      await channel.close();
      for (const e of idle) e.socket.destroy();
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.child.exited).toBe(0);
  });
});

/** Polls a condition on data another task fills in; bounded only by the test's own timeout. */
async function waitUntil(ok: () => boolean): Promise<void> {
  while (!ok()) await Bun.sleep(10);
}

describe("worker count from the environment and bad values", () => {
  test("WORKER_THREADS=2 starts two threads; --workers wins over it", async () => {
    const fromEnv = await startServer(["--addr", "127.0.0.1:0"], { WORKER_THREADS: "2" });
    expect(fromEnv.workers).toBe(2);
    fromEnv.child.kill("SIGTERM");
    expect(await fromEnv.child.exited).toBe(0);

    const fromFlag = await startServer(["--addr", "127.0.0.1:0", "--workers", "1"], { WORKER_THREADS: "2" });
    expect(fromFlag.workers).toBe(1);
    fromFlag.child.kill("SIGTERM");
    expect(await fromFlag.child.exited).toBe(0);
  });

  test.each([
    [["--workers", "0"], {}],
    [["--workers", "two"], {}],
    [["--workers", "-1"], {}],
    [["--workers", "100000"], {}],
    [[], { WORKER_THREADS: "1.5" }],
  ])("%p %p → exit 2 with one line", async (args, env) => {
    const child = Bun.spawn([requireBinary(), "serve", "--addr", "127.0.0.1:0", ...args], {
      cwd,
      env: { ...baseEnv, ...env },
      stdout: "ignore",
      stderr: "pipe",
    });
    const [code, err] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    expect(code).toBe(2);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain("--workers");
  });
});
