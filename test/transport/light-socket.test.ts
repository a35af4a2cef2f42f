// Bun's own socket under the lean client (src/transport/light-socket.ts), as bench's load connections use
// it on TCP and Unix sockets: the bytes a Writer hands it arrive whole and in order (also when the peer
// reads nothing for a while, so the socket takes part of a write and the rest waits for drain), and a
// lost connection reads exactly as node:net words it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { openChannel } from "../../src/client/channel.ts";
import { echoOnce } from "../../src/client/echo.ts";
import { encodeFrame, Flag, FrameType } from "../../src/h2/frame.ts";
import { Writer } from "../../src/h2/writer.ts";
import { echoService } from "../../src/server/echo.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import type { Address } from "../../src/transport/address.ts";
import { connect } from "../../src/transport/index.ts";
import { adoptUnix, bindUnix } from "../../src/transport/unix.ts";

const dir = mkdtempSync(join(tmpdir(), "grpcperf-light-"));

/** A server socket that collects every byte it is sent. */
async function sink(): Promise<{ port: number; got: () => Buffer; closed: Promise<void>; stop: () => void }> {
  const chunks: Buffer[] = [];
  let closedResolve = () => {};
  const closed = new Promise<void>((r) => {
    closedResolve = r;
  });
  const server = net.createServer((s) => {
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("close", () => closedResolve());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    got: () => Buffer.concat(chunks),
    closed,
    stop: () => server.close(),
  };
}

/** DATA frames of distinct bytes, so that a slab reused too early would show as wrong bytes on the wire. */
const frame = (i: number, size: number) => encodeFrame(FrameType.DATA, 0, 2 * i + 1, Buffer.alloc(size, i & 0xff));

describe("Writer on Bun's socket (slab reuse without write callbacks)", () => {
  test("many turns of frames arrive byte for byte, in order, though the peer reads only at the end", async () => {
    // A listening Unix socket that nobody accepts on yet: the connection waits in its backlog and the
    // socket's buffer fills, so the socket takes part of a write and the rest waits for drain while later
    // turns build in another slab.
    const addr: Address = { kind: "unix", path: join(dir, "late.sock") };
    const bound = await bindUnix(addr);
    const socket = await connect(addr, { light: true });
    const w = new Writer(socket, true);
    let blocked = 0;
    w.onBlocked = () => blocked++;
    const sent: Buffer[] = [];
    for (let turn = 0; turn < 64; turn++) {
      for (let k = 0; k < 4; k++) {
        const f = frame(turn * 4 + k, 1000 + ((turn * 977 + k * 131) % 15_000));
        sent.push(f);
        w.append(f);
      }
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(blocked).toBeGreaterThan(0); // the queued path was taken
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => {
      void adoptUnix(addr, bound.fd, (peer) => {
        peer.on("data", (c: Buffer) => chunks.push(c));
        peer.on("close", () => resolve());
      }).then((listener) => closed.finally(() => listener.close()));
    });
    socket.end();
    await closed;
    const want = Buffer.concat(sent);
    expect(Buffer.concat(chunks).equals(want)).toBe(true);
    bound.removeFile();
  });

  test("small turns taken at once reuse the slab from its start: every write is its own frames", async () => {
    const s = await sink();
    const socket = await connect({ kind: "tcp", host: "127.0.0.1", port: s.port }, { light: true });
    const w = new Writer(socket, true);
    const sent: Buffer[] = [];
    for (let turn = 0; turn < 200; turn++) {
      const f = encodeFrame(FrameType.PING, turn % 2 === 0 ? Flag.ACK : 0, 0, Buffer.alloc(8, turn));
      sent.push(f);
      w.append(f);
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(w.slab.subarray(0, 17).equals(sent[199] as Buffer)).toBe(true); // the last turn went at the start
    socket.end();
    await s.closed;
    expect(s.got().equals(Buffer.concat(sent))).toBe(true);
    s.stop();
  });
});

describe("a lost connection reads as node:net words it", () => {
  async function events(light: boolean, port: number): Promise<string[]> {
    const socket: Duplex = await connect({ kind: "tcp", host: "127.0.0.1", port }, { light });
    const seen: string[] = [];
    return new Promise((resolve) => {
      socket.on("data", () => {});
      socket.on("end", () => seen.push("end"));
      socket.on("error", (e: Error & { code?: string }) => seen.push(`error ${e.message} ${e.code}`));
      socket.on("close", () => resolve([...seen, "close"]));
      socket.resume();
      socket.write(Buffer.from("x"));
    });
  }

  test("reset by the peer: the same 'error' message and code, then 'close'", async () => {
    // The peer resets (RST) once it has read a byte.
    const server = net.createServer((s) => s.once("data", () => s.resetAndDestroy()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const light = await events(true, port);
    expect(light).toEqual(await events(false, port));
    expect(light).toEqual(["error read ECONNRESET ECONNRESET", "close"]);
    server.close();
  });

  test("closed by the peer (FIN): 'end', then 'close', as net.Socket", async () => {
    const server = net.createServer((s) => s.once("data", () => s.end()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const light = await events(true, port);
    expect(light).toEqual(await events(false, port));
    expect(light).toEqual(["end", "close"]);
    server.close();
  });
});

describe("lean client on Bun's socket over a Unix socket (the descriptor path VSOCK takes)", () => {
  let server: RunningServer;
  const addr: Address = { kind: "unix", path: join(dir, "echo.sock") };
  beforeAll(async () => {
    server = await startServer({ addresses: [addr], services: [echoService()] });
  });
  afterAll(() => server.shutdown(1000));

  test("echoes of 0 bytes to 1 MiB come back whole, in order, on one connection", async () => {
    const ch = openChannel(addr, { client: "lean", lightTcp: true });
    for (const [i, size] of [0, 1, 16_385, 70_000, 1 << 20].entries()) {
      const o = await echoOnce(ch, Buffer.alloc(size, i + 1), i + 1, 20_000);
      expect(o.result.ok && o.result.payloadMatches && o.result.sequenceMatches).toBe(true);
    }
    await ch.close();
  });

  test("a socket file nobody listens on: the error the node:net path gives, word for word", async () => {
    const gone: Address = { kind: "unix", path: join(dir, "nobody.sock") };
    const failure = async (light: boolean) => {
      try {
        (await connect(gone, { timeoutMs: 2_000, light })).destroy();
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error("connect succeeded");
    };
    expect(await failure(true)).toBe(await failure(false));
  });
});
