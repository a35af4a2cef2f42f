// Firecracker's hybrid vsock, host side, against a local stand-in for the VMM's muxer (./hvsock-muxer.ts):
// "CONNECT <port>\n", "OK <hostport>\n", then a splice to the "guest" (here: our gRPC server on another Unix
// socket), or a closed socket when nothing listens on that port.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { toLong, unixNanos } from "../../src/clock.ts";
import { echoService } from "../../src/server/echo.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import { parseAddress } from "../../src/transport/address.ts";
import { TransportError } from "../../src/transport/errors.ts";
import { parseHandshake } from "../../src/transport/hvsock.ts";
import { connect } from "../../src/transport/index.ts";
import { CLIENTS, channelTo } from "../support/helpers.ts";
import { type Muxer, startMuxer } from "./hvsock-muxer.ts";

const dir = mkdtempSync(join(tmpdir(), "grpcperf-hv-"));
const GUEST_PORT = 52;

const req = (payload: Uint8Array, sequence = 1) =>
  encodeMessage(EchoRequest, { payload, sequence, clientSendUnixNanos: toLong(unixNanos()) });

let guest: RunningServer;
/** A guest that speaks first (node:http2 sends its SETTINGS at once), for the coalescing muxer. */
let firstGuest: RunningServer;
const muxers: Muxer[] = [];
const vsockPath = join(dir, "v.sock");
const coalescePath = join(dir, "coalesce.sock");
const silentPath = join(dir, "silent.sock");
const garbagePath = join(dir, "garbage.sock");

beforeAll(async () => {
  const guestPath = join(dir, "guest.sock");
  guest = await startServer({ addresses: [{ kind: "unix", path: guestPath }], services: [echoService()] });
  const guests = new Map([[GUEST_PORT, guestPath]]);
  const firstPath = join(dir, "first.sock");
  firstGuest = await startServer({
    addresses: [{ kind: "unix", path: firstPath }],
    services: [echoService()],
    engine: "grpc-js",
  });
  muxers.push(await startMuxer(vsockPath, guests, "firecracker"));
  muxers.push(await startMuxer(coalescePath, new Map([[GUEST_PORT, firstPath]]), "coalesce"));
  muxers.push(await startMuxer(silentPath, guests, "silent"));
  muxers.push(await startMuxer(garbagePath, guests, "garbage"));
});
afterAll(async () => {
  for (const m of muxers) await m.vanish();
  await guest.shutdown(1000);
  await firstGuest.shutdown(1000);
  rmSync(dir, { recursive: true, force: true });
});

function hv(path: string, port: number) {
  const r = parseAddress(`hvsock://${path}:${port}`);
  if (!r.ok) throw new Error(r.error);
  return r.address;
}

async function connectError(path: string, port: number, timeoutMs = 5_000): Promise<TransportError> {
  try {
    (await connect(hv(path, port), { timeoutMs })).destroy();
  } catch (err) {
    if (err instanceof TransportError) return err;
    throw err;
  }
  throw new Error("connect succeeded");
}

describe("hvsock handshake parsing (pure)", () => {
  test("OK line alone, OK line with early bytes, split reads, junk", () => {
    expect(parseHandshake(Buffer.from("OK 1073741824\n"))).toEqual({
      kind: "ok",
      hostPort: 1073741824,
      rest: Buffer.alloc(0),
    });
    const r = parseHandshake(Buffer.from("OK 5\nPRI * HTTP/2.0"));
    expect(r.kind === "ok" && r.rest.toString()).toBe("PRI * HTTP/2.0");
    expect(parseHandshake(Buffer.from("OK 12"))).toEqual({ kind: "incomplete" });
    expect(parseHandshake(Buffer.from("NOPE\n"))).toEqual({ kind: "bad", line: "NOPE" });
    expect(parseHandshake(Buffer.alloc(100, 65)).kind).toBe("bad");
  });
});

describe.each(CLIENTS)("Echo through the Firecracker-style muxer, %s client", (client) => {
  test.each([
    ["OK line once the guest accepted (Firecracker's way; the guest waits for the host)", () => vsockPath],
    ["OK line and the guest's HTTP/2 bytes in one write", () => coalescePath],
  ])("%s: calls work, payloads intact", async (_, path) => {
    const ch = channelTo(hv(path(), GUEST_PORT), { client });
    const payload = Buffer.alloc(256 * 1024, 0x5a);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ch.unary(EchoMethod.path, req(i === 0 ? payload : Buffer.of(i), i))),
    );
    await ch.close();
    expect(results.every((r) => r.ok)).toBe(true);
    const first = results[0];
    if (first?.ok) expect(Buffer.from(EchoResponse.decode(first.value).payload ?? []).equals(payload)).toBe(true);
  });
});

describe("hvsock errors, one clear line each", () => {
  test("nothing listens on that port in the guest → ECONNREFUSED", async () => {
    const e = await connectError(vsockPath, 9999);
    expect(e.errno).toBe("ECONNREFUSED");
    expect(e.message).toBe(
      `cannot connect to hvsock://${vsockPath}:9999: the VMM closed the connection: nothing listens on vsock port 9999 in the guest (ECONNREFUSED)`,
    );
  });

  test("the VMM never answers → ETIMEDOUT", async () => {
    const e = await connectError(silentPath, GUEST_PORT, 300);
    expect(e.errno).toBe("ETIMEDOUT");
    expect(e.message).toContain(`no answer to CONNECT ${GUEST_PORT}`);
  });

  test("the VMM answers something else → a protocol error quoting it", async () => {
    const e = await connectError(garbagePath, GUEST_PORT);
    expect(e.message).toBe(
      `cannot connect to hvsock://${garbagePath}:${GUEST_PORT}: unexpected reply from the VMM: "HELLO THERE"`,
    );
  });

  test("no VMM socket → ENOENT naming the hvsock address", async () => {
    const e = await connectError(join(dir, "none.sock"), GUEST_PORT);
    expect(e.errno).toBe("ENOENT");
    expect(e.message).toBe(
      `cannot connect to hvsock://${join(dir, "none.sock")}:${GUEST_PORT}: no such socket file (ENOENT) (the VMM's socket)`,
    );
  });
});
