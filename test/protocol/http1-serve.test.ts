// The compiled `grpcperf serve` answering Connect and gRPC-Web over HTTP/1.1 on its one port, beside
// HTTP/2: @connectrpc/connect-node's clients (httpVersion "1.1", node:http with keep-alive) in both codecs,
// unary calls and errors, a bidi stream refused as connect-go refuses it; grpcperf's own `call --http1`
// and `bench --http1`; HTTP/2 and HTTP/1.1 clients on the same port at once; a Unix socket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { serviceDesc } from "../support/connect-peer.ts";
import { ROOT, runBinaryAsync, type ServedBinary, serveBinary } from "../support/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "grpcperf-http1-"));
const socket = join(dir, "serve.sock");
let served: ServedBinary;
beforeAll(async () => {
  served = await serveBinary();
});
afterAll(async () => {
  await served.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Make = (json: boolean) => Transport;
const transports: [string, Make][] = [
  [
    "connect",
    (json) =>
      createConnectTransport({ baseUrl: `http://${served.target}`, httpVersion: "1.1", useBinaryFormat: !json }),
  ],
  [
    "grpc-web",
    (json) =>
      createGrpcWebTransport({ baseUrl: `http://${served.target}`, httpVersion: "1.1", useBinaryFormat: !json }),
  ],
];

interface EchoClient {
  echo(r: object, o?: object): Promise<{ payload: Uint8Array; sequence: bigint; serverRecvUnixNanos: bigint }>;
  echoStream(r: AsyncIterable<object>): AsyncIterable<{ sequence: bigint }>;
}
interface CryptoClient {
  sign(r: object): Promise<{ signature: Uint8Array }>;
}
const failure = (e: unknown) => ConnectError.from(e);

for (const [name, make] of transports) {
  for (const json of [false, true]) {
    describe(`connect-node's ${name}${json ? " JSON" : ""} client over HTTP/1.1`, () => {
      test("Echo, many calls on the keep-alive connection", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as EchoClient;
        for (let i = 1n; i <= 5n; i++) {
          const r = await echo.echo({ payload: Buffer.from("hi"), sequence: i });
          expect({ payload: Buffer.from(r.payload).toString(), sequence: r.sequence }).toEqual({
            payload: "hi",
            sequence: i,
          });
        }
      });

      test("Crypto signs; a wrong key is NOT_FOUND naming it", async () => {
        const crypto = createClient(serviceDesc("Crypto"), make(json)) as unknown as CryptoClient;
        const signed = await crypto.sign({ algorithm: 1, input: { case: "message", value: Buffer.from("m") } });
        expect(signed.signature.length).toBeGreaterThan(0);
        const err = await crypto
          .sign({ keyId: "no-such-key", input: { case: "message", value: Buffer.from("m") } })
          .then(() => undefined, failure);
        expect(err?.code).toBe(Code.NotFound);
        expect(err?.rawMessage).toContain("no-such-key");
      });

      test("a 300 KB payload both ways", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as EchoClient;
        const payload = Buffer.alloc(300_000, 7);
        expect(Buffer.from((await echo.echo({ payload })).payload).equals(payload)).toBe(true);
      });

      test("a deadline the server cannot meet ends DEADLINE_EXCEEDED", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as EchoClient;
        const err = await echo.echo({ serverDelayUs: 2_000_000 }, { timeoutMs: 50 }).then(() => undefined, failure);
        expect(err?.code).toBe(Code.DeadlineExceeded);
      });

      test("a bidi stream is refused (HTTP 505: it needs HTTP/2), and the client hears an error", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as EchoClient;
        async function* one() {
          yield { sequence: 1n };
        }
        const err = await (async () => {
          for await (const _ of echo.echoStream(one())) {
            // no message comes
          }
        })().then(() => undefined, failure);
        expect(err).toBeDefined();
        expect(err?.message).toContain("505");
      });
    });
  }
}

test("connect-node's Connect GET over HTTP/1.1 reaches Echo (NO_SIDE_EFFECTS)", async () => {
  const transport = createConnectTransport({
    baseUrl: `http://${served.target}`,
    httpVersion: "1.1",
    useHttpGet: true,
  });
  const echo = createClient(serviceDesc("Echo"), transport) as unknown as EchoClient;
  expect((await echo.echo({ sequence: 21n })).sequence).toBe(21n);
});

test("HTTP/2 (gRPC, Connect) and HTTP/1.1 (Connect, gRPC-Web) clients on the same port at once", async () => {
  const base = `http://${served.target}`;
  const clients = [
    createGrpcTransport({ baseUrl: base }),
    createConnectTransport({ baseUrl: base, httpVersion: "2" }),
    createConnectTransport({ baseUrl: base, httpVersion: "1.1" }),
    createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" }),
  ].map((t) => createClient(serviceDesc("Echo"), t) as unknown as EchoClient);
  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) => clients[i % clients.length]?.echo({ sequence: BigInt(i) })),
  );
  expect(answers.map((a) => a?.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)));
});

const PROTO = join(ROOT, "proto/grpcperf/v1/echo.proto");
const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

describe("grpcperf call --http1 against grpcperf serve", () => {
  for (const protocol of ["connect", "grpc-web", "grpc-web-text"]) {
    for (const codec of ["proto", "json"]) {
      test(`${protocol} ${codec}: an answer, and an error status`, async () => {
        const args = ["call", "grpcperf.v1.Echo/Echo", "-s", served.target, "--proto", PROTO, "--protocol", protocol];
        args.push("--codec", codec, "--http1", "--json");
        const ok = await runBinaryAsync([...args, "-d", '{"sequence":"3"}']);
        const [message, status] = lines(ok.stdout);
        expect({ sequence: message.message.sequence, status: status.status }).toEqual({ sequence: "3", status: "OK" });
        const late = await runBinaryAsync([...args, "--timeout", "50ms", "-d", '{"serverDelayUs":2000000}']);
        expect(lines(late.stdout).at(-1)?.status).toBe("DEADLINE_EXCEEDED");
      });
    }
  }

  test("over a Unix socket too", async () => {
    const overUnix = await serveBinary(["--addr", `unix://${socket}`]);
    const r = await runBinaryAsync([
      "call",
      "grpcperf.v1.Echo/Echo",
      "-s",
      `unix://${socket}`,
      "--proto",
      PROTO,
      "--protocol",
      "connect",
      "--http1",
      "--json",
      "-d",
      '{"sequence":"5"}',
    ]);
    await overUnix.stop();
    expect(lines(r.stdout)[0].message.sequence).toBe("5");
  });
});

describe("grpcperf bench --http1 against grpcperf serve", () => {
  for (const protocol of ["connect", "grpc-web"]) {
    test(`${protocol}: every call answered over keep-alive connections`, async () => {
      const r = await runBinaryAsync([
        "bench",
        "-s",
        served.target,
        "--protocol",
        protocol,
        "--http1",
        "-n",
        "300",
        "-c",
        "3",
        "-t",
        "1",
        "--warmup",
        "0s",
        "--json",
      ]);
      const report = JSON.parse(r.stdout);
      expect(report.options).toMatchObject({ protocol, http1: true });
      expect(report.total).toMatchObject({ requests: 300, ok: 300, failed: 0 });
    });
  }
});
