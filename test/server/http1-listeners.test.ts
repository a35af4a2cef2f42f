// HTTP/1.1 on every kind of listener of the lean engine: TLS, where ALPN decides (http/1.1 or h2 on the
// same port; a client naming no protocol is told by its first bytes), and a Unix socket (the path VSOCK
// and hvsock share).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { echoService } from "../../src/server/echo.ts";
import { startServer } from "../../src/server/server.ts";
import { channelTo, ROOT, runBinaryAsync, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { connectEcho, RawHttp1 } from "./http1-raw.ts";

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.remove());

/** A TLS connection offering `alpn` (none when empty), as a raw HTTP/1.1 client, and what ALPN agreed. */
function tlsClient(port: number, alpn: string[]): Promise<{ c: RawHttp1; agreed: string | false }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: "127.0.0.1",
      port,
      ca: pki.pem("ca.crt"),
      servername: "localhost",
      ...(alpn.length > 0 ? { ALPNProtocols: alpn } : {}),
    });
    s.once("secureConnect", () => resolve({ c: RawHttp1.over(s), agreed: s.alpnProtocol ?? false }));
    s.once("error", reject);
  });
}

describe("TLS", () => {
  let srv: TestServer;
  let port: number;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()], {
      tls: { certPem: pki.pem("server.crt"), keyPem: pki.pem("server.key") },
    });
    port = srv.address.kind === "tcp" ? srv.address.port : 0;
  });
  afterAll(() => srv.stop());

  for (const [name, alpn, agreed] of [
    ["ALPN http/1.1", ["http/1.1"], "http/1.1"],
    ["no ALPN (told by the first bytes)", [], false],
  ] as const) {
    test(`${name}: Connect over HTTP/1.1, twice on the connection`, async () => {
      const { c, agreed: got } = await tlsClient(port, [...alpn]);
      expect(got).toBe(agreed);
      for (const sequence of ["1", "2"]) {
        c.write(connectEcho(`{"sequence":"${sequence}"}`));
        const r = await c.response();
        expect({ status: r?.status, sequence: JSON.parse(r?.body.toString() ?? "{}").sequence }).toEqual({
          status: 200,
          sequence,
        });
      }
      c.end();
    });
  }

  test("a client offering h2 and http/1.1 gets h2 (the server's first choice)", async () => {
    const { c, agreed } = await tlsClient(port, ["h2", "http/1.1"]);
    expect(agreed).toBe("h2");
    c.end();
  });

  test("grpcperf call --http1 over TLS offers http/1.1 alone, and is answered so", async () => {
    const r = await runBinaryAsync([
      "call",
      "grpcperf.v1.Echo/Echo",
      "-s",
      `127.0.0.1:${port}`,
      "--proto",
      join(ROOT, "proto/grpcperf/v1/echo.proto"),
      "--protocol",
      "connect",
      "--http1",
      "--cacert",
      pki.file("ca.crt"),
      "--server-name",
      "localhost",
      "--json",
      "-d",
      '{"sequence":"12"}',
    ]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout.trim().split("\n")[0] ?? "{}").message.sequence).toBe("12");
  });

  test("gRPC over HTTP/2 on the same TLS port still answers", async () => {
    const ch = channelTo(srv.address, { tls: { caPem: pki.pem("ca.crt"), serverName: "localhost" } });
    const r = await ch.unary(EchoMethod.path, encodeMessage(EchoRequest, { payload: Buffer.from("h2"), sequence: 1 }));
    await ch.close();
    expect(r.ok && Buffer.from(EchoResponse.decode(r.value).payload).toString()).toBe("h2");
  });
});

describe("Unix socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "grpcperf-http1-unix-"));
  const path = join(dir, "s.sock");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("Connect over HTTP/1.1, and a smuggling attempt refused and closed", async () => {
    const server = await startServer({ addresses: [{ kind: "unix", path }], services: [echoService()] });
    try {
      const open = () =>
        new Promise<RawHttp1>((resolve) => {
          const s = net.connect(path);
          s.once("connect", () => resolve(RawHttp1.over(s)));
        });
      const c = await open();
      c.write(connectEcho('{"sequence":"8"}'));
      expect(JSON.parse((await c.response())?.body.toString() ?? "{}").sequence).toBe("8");
      c.end();
      const bad = await open();
      bad.write("POST /grpcperf.v1.Echo/Echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
      expect((await bad.response())?.status).toBe(400);
      await bad.untilClosed();
    } finally {
      await server.shutdown(1000);
    }
  });
});
