// Unix sockets through the FFI path (the same code VSOCK uses): our server, our thin client, real sockets.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AF_UNIX, sockaddrUn } from "../../native/sockaddr.ts";
import { bindSocket, closeFd, listenSocket, openStreamSocket } from "../../native/socket.ts";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { toLong, unixNanos } from "../../src/clock.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import type { Address } from "../../src/transport/address.ts";
import { TransportError } from "../../src/transport/errors.ts";
import { connect, listen } from "../../src/transport/index.ts";
import { CLIENTS, channelTo, ENGINES, requireBinary, waitForLine } from "../support/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "grpcperf-unix-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `s${++n}.sock`);
const unixAddr = (path: string): Address => ({ kind: "unix", path });

const req = (payload: Uint8Array, sequence = 1) =>
  encodeMessage(EchoRequest, { payload, sequence, clientSendUnixNanos: toLong(unixNanos()) });

async function connectError(addr: Address, timeoutMs = 5_000): Promise<TransportError> {
  try {
    const s = await connect(addr, { timeoutMs });
    s.destroy();
  } catch (err) {
    if (err instanceof TransportError) return err;
    throw err;
  }
  throw new Error("connect succeeded");
}

/** A socket file with nothing behind it, as a crashed server leaves it. */
function staleSocketFile(path: string): void {
  const s = openStreamSocket(AF_UNIX);
  if (!s.ok) throw new Error(s.errno);
  expect(bindSocket(s.value, sockaddrUn(path)).ok).toBe(true);
  closeFd(s.value);
}

describe.each(CLIENTS)("Echo over a Unix socket, %s client", (client) => {
  let server: RunningServer;
  let addr: Address;
  beforeAll(async () => {
    addr = unixAddr(freshPath());
    server = await startServer({ addresses: [addr], services: [echoService()] });
  });
  afterAll(() => server.shutdown(1000));

  test.each([
    ["empty", 0],
    ["1 MiB", 1024 * 1024],
  ])("%s payload comes back byte for byte", async (_name, size) => {
    const ch = channelTo(addr, { client });
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 13 + 5) & 0xff;
    const r = await ch.unary(EchoMethod.path, req(payload, 7), { timeoutMs: 10_000 });
    await ch.close();
    expect(r.ok).toBe(true);
    if (r.ok) expect(Buffer.compare(Buffer.from(EchoResponse.decode(r.value).payload ?? []), payload)).toBe(0);
  });

  test("200 concurrent calls on one connection, and 20 connections at once", async () => {
    const ch = channelTo(addr, { client });
    const rs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => ch.unary(EchoMethod.path, req(Buffer.of(i & 0xff), i))),
    );
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(ch.stats.connects).toBe(1);
    await ch.close();
    const chans = Array.from({ length: 20 }, () => channelTo(addr, { client }));
    const each = await Promise.all(chans.map((c) => c.unary(EchoMethod.path, req(Buffer.from("x")))));
    expect(each.every((r) => r.ok)).toBe(true);
    await Promise.all(chans.map((c) => c.close()));
  });

  test("the listener reports the path it serves", () => {
    expect(server.listeners[0]?.address).toEqual(addr);
  });

  test.each(ENGINES)("handlers see the transport's peer through the %s, not 'unknown'", async (_name, engine) => {
    const path = freshPath();
    const Peer = { path: "/grpcperf.test.Peer/Peer", request: EchoRequest, response: EchoResponse };
    const peerService: ServiceDef = {
      name: "grpcperf.test.Peer",
      methods: [
        unary(Peer, (_req, ctx) => ({ ok: true, value: EchoResponse.create({ payload: Buffer.from(ctx.peer) }) })),
      ],
    };
    const s = await startServer({ addresses: [unixAddr(path)], services: [peerService], ...engine });
    const ch = channelTo(unixAddr(path), { client });
    const r = await ch.unary(Peer.path, req(Buffer.alloc(0)));
    await ch.close();
    await s.shutdown(1000);
    // grpc-js renders a port-less peer as "unix"; the fast path appends ":<port>" whatever it is.
    expect(r.ok && Buffer.from(EchoResponse.decode(r.value).payload ?? []).toString()).toStartWith("unix");
  });
});

describe("socket file lifecycle", () => {
  test("a stale socket file is replaced, and removed again on close", async () => {
    const path = freshPath();
    staleSocketFile(path);
    expect(existsSync(path)).toBe(true);
    const l = await listen(unixAddr(path), (s) => s.destroy());
    (await connect(unixAddr(path))).destroy();
    await l.close();
    expect(existsSync(path)).toBe(false);
  });

  test("a live server's socket is never removed: EADDRINUSE, and the first server keeps working", async () => {
    const path = freshPath();
    const first = await startServer({ addresses: [unixAddr(path)], services: [echoService()] });
    let err: unknown;
    try {
      await listen(unixAddr(path), (s) => s.destroy());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe("EADDRINUSE");
    expect((err as TransportError).message).toBe(
      `cannot listen on unix://${path}: address already in use (EADDRINUSE)`,
    );
    const ch = channelTo(unixAddr(path));
    expect((await ch.unary(EchoMethod.path, req(Buffer.from("still here")))).ok).toBe(true);
    await ch.close();
    await first.shutdown(1000);
  });

  test("a path that is not a socket is left alone", async () => {
    const path = freshPath();
    writeFileSync(path, "precious");
    await expect(listen(unixAddr(path), (s) => s.destroy())).rejects.toThrow("exists and is not a socket");
    expect(existsSync(path)).toBe(true);
  });

  test("a missing directory is one clear line", async () => {
    await expect(listen(unixAddr(join(dir, "nope", "x.sock")), (s) => s.destroy())).rejects.toThrow(
      /cannot listen on unix:\/\/.*\(ENOENT\)$/,
    );
  });
});

describe("connect errors, one clear line each", () => {
  test("no socket file → ENOENT", async () => {
    const e = await connectError(unixAddr(join(dir, "missing.sock")));
    expect(e.errno).toBe("ENOENT");
    expect(e.message).toBe(`cannot connect to unix://${join(dir, "missing.sock")}: no such socket file (ENOENT)`);
  });

  test("stale socket file → ECONNREFUSED", async () => {
    const path = freshPath();
    staleSocketFile(path);
    const e = await connectError(unixAddr(path));
    expect(e.errno).toBe("ECONNREFUSED");
    expect(e.message).toContain("connection refused (nothing listening) (ECONNREFUSED)");
  });

  test("a server that never accepts and whose backlog is full → ETIMEDOUT after the connect timeout", async () => {
    const path = freshPath();
    const s = openStreamSocket(AF_UNIX);
    if (!s.ok) throw new Error(s.errno);
    expect(bindSocket(s.value, sockaddrUn(path)).ok).toBe(true);
    expect(listenSocket(s.value, 0).ok).toBe(true);
    const held: Awaited<ReturnType<typeof connect>>[] = [];
    try {
      // Fill the backlog: connects succeed until the queue is full, then the kernel says EAGAIN.
      let e: TransportError | undefined;
      for (let i = 0; i < 8 && !e; i++) {
        try {
          held.push(await connect(unixAddr(path), { timeoutMs: 200 }));
        } catch (err) {
          e = err as TransportError;
        }
      }
      expect(e?.errno).toBe("ETIMEDOUT");
      expect(e?.message).toBe(`cannot connect to unix://${path}: timed out after 200 ms (ETIMEDOUT)`);
    } finally {
      for (const h of held) h.destroy();
      closeFd(s.value);
    }
  });

  test("the server goes away with the connection still queued → the call fails with ECONNRESET", async () => {
    const path = freshPath();
    const s = openStreamSocket(AF_UNIX);
    if (!s.ok) throw new Error(s.errno);
    expect(bindSocket(s.value, sockaddrUn(path)).ok).toBe(true);
    expect(listenSocket(s.value, 8).ok).toBe(true);
    const ch = channelTo(unixAddr(path));
    expect((await ch.ready()).ok).toBe(true);
    closeFd(s.value); // never accepted: the kernel resets the queued connection
    const r = await ch.unary(EchoMethod.path, req(Buffer.from("x")), { timeoutMs: 5_000 });
    await ch.close();
    expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
    if (!r.ok) expect(r.error.details).toMatch(/ECONNRESET|reset/i);
  });
});

describe("the binary over a Unix socket", () => {
  test("serve on unix://, call echo, SIGTERM removes the socket file", async () => {
    const path = freshPath();
    const bin = requireBinary();
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir };
    const server = Bun.spawn([bin, "serve", "--addr", `unix://${path}`], { env, stdout: "pipe", stderr: "pipe" });
    try {
      await waitForLine(server.stderr, /serving .* on unix:\/\//);
      const call = Bun.spawnSync([bin, "call", "echo", "--server", `unix://${path}`, "--count", "2"], { env });
      expect(call.exitCode).toBe(0);
      expect(call.stdout.toString()).toContain(`echo #2 to unix://${path}`);
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(existsSync(path)).toBe(false);
    } finally {
      if (server.exitCode === null) server.kill("SIGKILL");
    }
  }, 30_000); // a hang guard only: serve generates its signing keys before it is ready

  test("a bad --allow-cid list is one clear line, exit 2", () => {
    const r = Bun.spawnSync([requireBinary(), "serve", "--addr", `unix://${freshPath()}`, "--allow-cid", "3,x"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString().trim()).toBe(
      'grpcperf: --allow-cid: bad CID list "3,x": CID "x" is not a number, any, local or host',
    );
  });
});
