// @connectrpc/connect-node's clients (Connect, gRPC-Web and gRPC transports, HTTP/2, binary and JSON)
// calling the compiled `grpcperf serve`: every protocol reaches the same services, and a failure arrives
// as the same code and message whichever protocol carried it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { serviceDesc } from "../support/connect-peer.ts";
import { type ServedBinary, serveBinary } from "../support/helpers.ts";

let served: ServedBinary;
beforeAll(async () => {
  served = await serveBinary();
});
afterAll(async () => {
  await served.stop();
});

type Make = (json: boolean) => Transport;
const transports: [string, Make][] = [
  [
    "connect",
    (json) => createConnectTransport({ baseUrl: `http://${served.target}`, httpVersion: "2", useBinaryFormat: !json }),
  ],
  [
    "grpc-web",
    (json) => createGrpcWebTransport({ baseUrl: `http://${served.target}`, httpVersion: "2", useBinaryFormat: !json }),
  ],
  ["grpc", (json) => createGrpcTransport({ baseUrl: `http://${served.target}`, useBinaryFormat: !json })],
];

for (const [name, make] of transports) {
  for (const json of [false, true]) {
    describe(`${name}${json ? " JSON" : ""}`, () => {
      test("Echo answers with the payload and sequence it was sent", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as {
          echo(r: object): Promise<{ payload: Uint8Array; sequence: bigint; serverRecvUnixNanos: bigint }>;
        };
        const r = await echo.echo({ payload: Buffer.from("hi"), sequence: 9n });
        expect(Buffer.from(r.payload).toString()).toBe("hi");
        expect(r.sequence).toBe(9n);
        expect(r.serverRecvUnixNanos > 0n).toBe(true);
      });

      test("Crypto signs; a wrong key is the same error in every protocol", async () => {
        const crypto = createClient(serviceDesc("Crypto"), make(json)) as unknown as {
          sign(r: object): Promise<{ signature: Uint8Array }>;
        };
        const signed = await crypto.sign({ algorithm: 1, input: { case: "message", value: Buffer.from("m") } });
        expect(signed.signature.length).toBeGreaterThan(0);
        const err = await crypto
          .sign({ keyId: "no-such-key", input: { case: "message", value: Buffer.from("m") } })
          .then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          );
        expect(err?.code).toBe(Code.NotFound);
        expect(err?.rawMessage).toContain("no-such-key");
      });

      test("a 300 KB payload both ways (past the stream window: the answer waits for WINDOW_UPDATE)", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as {
          echo(r: object): Promise<{ payload: Uint8Array }>;
        };
        const payload = Buffer.alloc(300_000, 7);
        const r = await echo.echo({ payload });
        expect(Buffer.from(r.payload).equals(payload)).toBe(true);
      });

      test("a bidi stream carries every message both ways", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as {
          echoStream(r: AsyncIterable<object>): AsyncIterable<{ sequence: bigint }>;
        };
        async function* requests() {
          for (let i = 1n; i <= 3n; i++) yield { sequence: i };
        }
        const got: bigint[] = [];
        for await (const r of echo.echoStream(requests())) got.push(r.sequence);
        expect(got).toEqual([1n, 2n, 3n]);
      });

      test("a deadline the server cannot meet ends DEADLINE_EXCEEDED", async () => {
        const echo = createClient(serviceDesc("Echo"), make(json)) as unknown as {
          echo(r: object, o: object): Promise<unknown>;
        };
        const err = await echo.echo({ serverDelayUs: 2_000_000 }, { timeoutMs: 50 }).then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
        expect(err?.code).toBe(Code.DeadlineExceeded);
      });
    });
  }
}

test("connect-node's Connect GET (useHttpGet) reaches Echo, which is marked NO_SIDE_EFFECTS", async () => {
  const transport = createConnectTransport({ baseUrl: `http://${served.target}`, httpVersion: "2", useHttpGet: true });
  const echo = createClient(serviceDesc("Echo"), transport) as unknown as {
    echo(r: object): Promise<{ sequence: bigint }>;
  };
  expect((await echo.echo({ sequence: 21n })).sequence).toBe(21n);
});
