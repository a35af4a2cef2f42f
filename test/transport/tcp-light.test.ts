// TCP on Bun's own socket (src/transport/tcp-light.ts), as `call` uses it under the lean client: calls of
// every size against each server engine, the errors node:net's connect gives, a peer that closes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { openChannel } from "../../src/client/channel.ts";
import { echoOnce } from "../../src/client/echo.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { type RunningServer, startServer } from "../../src/server/server.ts";
import type { Address } from "../../src/transport/address.ts";
import { TransportError } from "../../src/transport/errors.ts";
import { connect } from "../../src/transport/index.ts";
import { ENGINES } from "../support/helpers.ts";

const local: Address = { kind: "tcp", host: "127.0.0.1", port: 0 };

for (const [name, engine] of ENGINES) {
  describe(`lean client on Bun's socket, ${name} server`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer({ addresses: [local], services: [echoService()], ...engine });
    });
    afterAll(() => server.shutdown(1000));

    test("echoes of 0 bytes to 3 MiB come back whole, in order, on one connection", async () => {
      const ch = openChannel((server.listeners[0] as { address: Address }).address, { client: "lean", lightTcp: true });
      const sizes = [0, 1, 16_383, 16_385, 70_000, 1 << 20, 3 << 20];
      for (const [i, size] of sizes.entries()) {
        const payload = Buffer.alloc(size, i + 1);
        const o = await echoOnce(ch, payload, i + 1, 20_000);
        expect(o.result.ok && o.result.payloadMatches && o.result.sequenceMatches).toBe(true);
      }
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => echoOnce(ch, Buffer.from(`m${i}`), i + 1, 20_000)),
      );
      expect(many.every((o) => o.result.ok && o.result.payloadMatches)).toBe(true);
      await ch.close();
    });
  });
}

describe("connecting", () => {
  async function failure(addr: Address, light: boolean): Promise<string> {
    try {
      (await connect(addr, { timeoutMs: 5_000, light })).destroy();
    } catch (err) {
      expect(err).toBeInstanceOf(TransportError);
      return (err as TransportError).message;
    }
    throw new Error("connect succeeded");
  }

  test("a refused connection is the error node:net's connect gives, word for word", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    for (const host of ["127.0.0.1", "::1"]) {
      const addr: Address = { kind: "tcp", host, port };
      const light = await failure(addr, true);
      expect(light).toBe(await failure(addr, false));
      expect(light).toContain("ECONNREFUSED");
    }
  });

  test("a server that closes the connection: the call fails UNAVAILABLE, nothing hangs", async () => {
    const rude = net.createServer((socket) => socket.once("data", () => socket.destroy()));
    await new Promise<void>((resolve) => rude.listen(0, "127.0.0.1", resolve));
    const port = (rude.address() as net.AddressInfo).port;
    const ch = openChannel({ kind: "tcp", host: "127.0.0.1", port }, { client: "lean", lightTcp: true });
    const o = await echoOnce(ch, Buffer.from("x"), 1, 10_000);
    expect(o.result.ok).toBe(false);
    expect(!o.result.ok && o.result.error.code).toBe(Status.UNAVAILABLE);
    await ch.close();
    await new Promise<void>((resolve) => rude.close(() => resolve()));
  });
});
