// TLS and mTLS on real sockets, with certificates made by the openssl CLI for each run: our client, a
// grpc-js client (independent), and the compiled binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import * as grpc from "@grpc/grpc-js";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import type { ClientKind } from "../../src/rpc/channel.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import type { ClientTls } from "../../src/transport/tls.ts";
import {
  CLIENTS,
  channelTo,
  requireBinary,
  serveOnLoopback,
  type TestServer,
  waitForLine,
} from "../support/helpers.ts";
import { makePki, type Pki } from "../support/pki.ts";

let pki: Pki;
const pem = (name: string) => pki.pem(name);
const file = (name: string) => pki.file(name);

beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.remove());

const req = (text: string) => encodeMessage(EchoRequest, { payload: Buffer.from(text), sequence: 1 });

async function echoOver(srv: TestServer, tls: ClientTls, client: ClientKind = "http2") {
  const ch = channelTo(srv.address, { tls, connectTimeoutMs: 5_000, client });
  const r = await ch.unary(EchoMethod.path, req("over tls"), { timeoutMs: 5_000 });
  await ch.close();
  return r;
}

describe("TLS", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()], { tls: { certPem: pem("server.crt"), keyPem: pem("server.key") } });
  });
  afterAll(() => srv.stop());

  test.each(CLIENTS)(
    "a client trusting the CA gets through, checked against the IP in the certificate (%s)",
    async (client) => {
      const r = await echoOver(srv, { caPem: pem("ca.crt"), serverName: "127.0.0.1" }, client);
      expect(r.ok).toBe(true);
      if (r.ok) expect(Buffer.from(EchoResponse.decode(r.value).payload).toString()).toBe("over tls");
    },
  );

  test("--server-name localhost matches the DNS name in the certificate", async () => {
    expect((await echoOver(srv, { caPem: pem("ca.crt"), serverName: "localhost" })).ok).toBe(true);
  });

  test.each(CLIENTS)(
    "a client not trusting the CA is refused with UNAVAILABLE naming the certificate problem (%s)",
    async (client) => {
      const r = await echoOver(srv, { caPem: pem("other-ca.crt"), serverName: "localhost" }, client);
      expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
      if (!r.ok) expect(r.error.details).toMatch(/TLS handshake .* failed/);
    },
  );

  test.each(CLIENTS)(
    "a name the certificate does not carry is refused with UNAVAILABLE naming the certificate problem (%s)",
    async (client) => {
      const r = await echoOver(srv, { caPem: pem("ca.crt"), serverName: "example.com" }, client);
      expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
      expect(r.ok ? "" : r.error.details).toMatch(/TLS handshake .* failed/);
      expect(r.ok ? "" : r.error.details.split("\n")).toHaveLength(1);
    },
  );

  test("--insecure skips verification", async () => {
    expect((await echoOver(srv, { serverName: "localhost", insecure: true })).ok).toBe(true);
  });

  test.each(CLIENTS)("a plaintext client gets no answer, and the server keeps serving (%s)", async (client) => {
    const ch = channelTo(srv.address, { connectTimeoutMs: 2_000, client });
    const r = await ch.unary(EchoMethod.path, req("plain"), { timeoutMs: 2_000 });
    await ch.close();
    expect(r.ok).toBe(false);
    expect((await echoOver(srv, { caPem: pem("ca.crt"), serverName: "localhost" })).ok).toBe(true);
  });

  test("grpc-js's TLS client (independent) gets through", async () => {
    const client = new grpc.Client(srv.target, grpc.credentials.createSsl(pem("ca.crt")), {
      "grpc.ssl_target_name_override": "localhost",
    });
    const res = await new Promise<EchoResponse>((resolve, reject) =>
      client.makeUnaryRequest(
        EchoMethod.path,
        (m: object) => encodeMessage(EchoRequest, m),
        (b: Buffer) => EchoResponse.decode(b),
        { payload: Buffer.from("grpc-js") },
        (err, r) => (err || !r ? reject(err) : resolve(r)),
      ),
    );
    client.close();
    expect(Buffer.from(res.payload).toString()).toBe("grpc-js");
  });
});

describe("mTLS", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()], {
      tls: { certPem: pem("server.crt"), keyPem: pem("server.key"), clientCaPem: pem("ca.crt") },
    });
  });
  afterAll(() => srv.stop());
  const base = () => ({ caPem: pem("ca.crt"), serverName: "localhost" });
  // With TLS 1.3 the client finishes its handshake before the server has checked the client certificate,
  // so the refusal arrives either as a failed handshake (UNAVAILABLE) or as the connection cut under the
  // first call (CANCELLED); either way no call gets through.
  const refused = [Status.UNAVAILABLE, Status.CANCELLED] as number[];

  test("a client certificate signed by the CA gets through", async () => {
    expect((await echoOver(srv, { ...base(), certPem: pem("client.crt"), keyPem: pem("client.key") })).ok).toBe(true);
  });

  test("a client without a certificate is refused", async () => {
    const r = await echoOver(srv, base());
    expect(refused).toContain(r.ok ? 0 : r.error.code);
  });

  test("a client certificate signed by another CA is refused", async () => {
    const r = await echoOver(srv, { ...base(), certPem: pem("rogue.crt"), keyPem: pem("rogue.key") });
    expect(refused).toContain(r.ok ? 0 : r.error.code);
    // and the server still serves good clients
    expect((await echoOver(srv, { ...base(), certPem: pem("client.crt"), keyPem: pem("client.key") })).ok).toBe(true);
  });
});

describe("the binary with TLS", () => {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir() };
  const run = (args: string[]) => {
    const p = Bun.spawnSync([requireBinary(), ...args], { cwd: pki.dir, env, stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };

  test("serve --tls-cert/--tls-key/--tls-client-ca; call echo and call health with a client certificate", async () => {
    const server = Bun.spawn(
      [
        requireBinary(),
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--tls-cert",
        file("server.crt"),
        "--tls-key",
        file("server.key"),
        "--tls-client-ca",
        file("ca.crt"),
      ],
      { cwd: pki.dir, env, stdout: "pipe", stderr: "pipe" },
    );
    try {
      const target = (await waitForLine(server.stderr, /serving .* on (\S+) \(mTLS\)/))[1] as string;
      const tlsArgs = ["--cacert", file("ca.crt"), "--server-name", "localhost"];
      const mine = ["--cert", file("client.crt"), "--cert-key", file("client.key")];
      const echo = run(["call", "echo", "--server", target, "--count", "1", ...tlsArgs, ...mine]);
      expect(echo.code).toBe(0);
      expect(run(["call", "health", "--server", target, ...tlsArgs, ...mine]).stdout).toContain("SERVING");
      expect(run(["call", "keys", "--server", target, ...tlsArgs, ...mine]).code).toBe(0);
      const refused = run(["call", "echo", "--server", target, "--count", "1", ...tlsArgs]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).not.toContain("    at ");
    } finally {
      server.kill("SIGTERM");
      await server.exited;
    }
    // five runs of the binary one after the other: time for that work on a loaded machine, not a speed
  }, 30_000);

  test("a missing certificate file: one line, exit 2", () => {
    const r = run(["serve", "--addr", "127.0.0.1:0", "--tls-cert", file("nope.crt"), "--tls-key", file("server.key")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--tls-cert");
  });

  test("a key that does not match the certificate: one line, exit 1", () => {
    const r = run([
      "serve",
      "--addr",
      "127.0.0.1:0",
      "--tls-cert",
      file("server.crt"),
      "--tls-key",
      file("client.key"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("TLS");
  });

  test("--tls-key without --tls-cert: exit 2", () => {
    expect(run(["serve", "--tls-key", file("server.key")]).code).toBe(2);
  });
});
