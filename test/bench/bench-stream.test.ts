// Streaming runs end to end over real loopback sockets, load threads included: grpcperf's own EchoStream
// (ping-pong, paced, -z, refused), and the generic kinds against a small @grpc/grpc-js server.
// Assertions are on counts, never on speed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { EchoResponse } from "../../src/api/echo.ts";
import type { BenchFlags } from "../../src/bench/flags.ts";
import type { BenchOptions } from "../../src/bench/options.ts";
import type { StreamWorkload } from "../../src/bench/stream/workload.ts";
import { readSequence, streamBodies } from "../../src/bench/stream/workload.ts";
import { formatText } from "../../src/report/text.ts";
import type { BenchReport, StreamsReport } from "../../src/report/types.ts";
import { echoService } from "../../src/server/echo.ts";
import { benchOptions, countingEcho, newCounter, reportOf } from "../support/bench-helpers.ts";
import { runBinaryAsync, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { TESTSVC_PROTO } from "../support/schema-helpers.ts";
import { startTester, type Tester } from "../support/testsvc.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);

async function run(options: BenchOptions): Promise<BenchReport> {
  return (await reportOf(options)).report;
}

const bench = (flags: BenchFlags) => run(benchOptions({ service: "echo-stream", ...flags }));

function streamsOf(r: BenchReport): StreamsReport {
  if (!r.streams) throw new Error("no streams section");
  return r.streams;
}

test("bodies carry sequence i + 1, read back from the reply", () => {
  const w: StreamWorkload = {
    label: "x",
    path: "/x",
    kind: "bidi",
    requests: [Buffer.from([0x0a, 1, 7])],
    matchSequence: true,
  };
  const bodies = streamBodies(w, 300);
  expect(bodies.map((b) => readSequence(b))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  expect(readSequence(Buffer.from([0x0a, 1, 7]))).toBe(0);
});

test("readSequence reads what protobufjs decodes, around time stamps of every length; a cut varint is 0", () => {
  const stamps = [0, 1, 127, 128, 300, 2 ** 31, 1_765_000_000_123_456_789n, -1];
  for (const [k, sequence] of [1, 127, 128, 16_384, 2 ** 32 + 5, 2 ** 50].entries()) {
    const at = (j: number) => stamps[(k + j) % stamps.length] as number | bigint;
    const reply = Buffer.from(
      EchoResponse.encode({
        payload: Buffer.alloc(k * 40, k),
        sequence,
        clientSendUnixNanos: at(0).toString(),
        serverRecvUnixNanos: at(1).toString(),
        serverSendUnixNanos: at(2).toString(),
      } as unknown as EchoResponse).finish(),
    );
    expect(Number(EchoResponse.decode(reply).sequence)).toBe(sequence);
    // within a larger buffer, as a range of a read
    const read = Buffer.concat([Buffer.from([0xff, 0x80]), reply, Buffer.from([0x10, 0x09])]);
    expect(readSequence(read, 2, 2 + reply.length)).toBe(sequence);
    // the last field 2 wins (proto3), wherever it is
    expect(readSequence(Buffer.concat([reply, Buffer.from([0x10, 0x07])]))).toBe(7);
    // a varint cut by the end: unreadable
    expect(readSequence(reply.subarray(0, reply.length - 1))).toBe(0);
  }
});

describe("echo-stream against grpcperf's own server", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()]);
  });
  afterAll(() => srv.stop());

  test.each(["lean", "http2"])("ping-pong: N streams × M messages are exactly N×M round trips (%s)", async (client) => {
    const r = await bench({
      server: srv.target,
      requests: "37",
      "stream-messages": "13",
      connections: "3",
      concurrency: "7",
      threads: "2",
      client,
    });
    const s = streamsOf(r);
    expect(s).toMatchObject({ kind: "bidi", match: "sequence", total: 37, ok: 37, failed: 0, cancelled: 0 });
    expect(s.messages).toMatchObject({ sent: 37 * 13, received: 37 * 13 });
    expect(s.round_trip_us?.count).toBe(37 * 13);
    expect(s.duration_us?.count).toBe(37);
    expect(s.service_time_us).toBeNull();
    expect(r.total).toMatchObject({ requests: 37, ok: 37, failed: 0 });
    expect(r.services).toEqual([]);
    expect(r.connections.reduce((n, c) => n + c.calls, 0)).toBe(37);
    const text = formatText(r);
    expect(text).toContain("=== Stream Benchmark Results: grpcperf.v1.Echo/EchoStream (bidi) ===");
    expect(text).toContain("Per-message round trip: n=481");
  });

  test("paced (--stream-rate): every message counted, with a service-time histogram", async () => {
    const r = await bench({
      server: srv.target,
      requests: "6",
      "stream-messages": "20",
      "stream-rate": "500",
      connections: "2",
      threads: "1",
    });
    const s = streamsOf(r);
    expect(s).toMatchObject({ ok: 6, failed: 0, message_rate: 500 });
    expect(s.round_trip_us?.count).toBe(120);
    expect(s.service_time_us?.count).toBe(120);
    expect(s.histograms.service_time).not.toBeNull();
  });

  test("-z ends the run: streams still open are cancelled, their answered messages still count", async () => {
    const r = await bench({
      server: srv.target,
      duration: "600ms",
      "stream-messages": "100000",
      "stream-rate": "200",
      connections: "2",
      threads: "2",
    });
    const s = streamsOf(r);
    expect(s).toMatchObject({ ok: 0, failed: 0, cancelled: 2 });
    expect(s.messages.received).toBeGreaterThan(0);
    expect(s.round_trip_us?.count).toBe(s.messages.received);
    expect(r.aborted).toBeNull();
  });

  test("open loop over streams (--rate) with -n opens exactly N", async () => {
    const r = await bench({
      server: srv.target,
      requests: "20",
      rate: "200",
      "stream-messages": "5",
      connections: "2",
      concurrency: "4",
      threads: "2",
    });
    expect(r.mode).toBe("open-loop");
    expect(streamsOf(r)).toMatchObject({ ok: 20, messages: { received: 100 } });
  });

  test("a server without EchoStream: each stream fails UNIMPLEMENTED", async () => {
    const plain = await serveOnLoopback([countingEcho(newCounter())]);
    try {
      const s = streamsOf(await bench({ server: plain.target, requests: "9", connections: "1", threads: "1" }));
      expect(s).toMatchObject({ ok: 0, failed: 9, messages: { received: 0 } });
      expect(s.errors).toHaveLength(1);
      expect(s.errors[0]).toMatchObject({ code: 12, status: "UNIMPLEMENTED", count: 9 });
    } finally {
      await plain.stop();
    }
  });
});

// A method set grpcperf did not write, on raw bytes: ServerStream sends K copies, ClientStream answers
// once after the half-close, Bidi answers each message as it comes.
const K = 4;
const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b };
const out = { responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/t.Tester/${name}`,
  requestStream,
  responseStream,
  ...raw,
  ...out,
});

describe("generic kinds against @grpc/grpc-js", () => {
  let server: grpc.Server;
  let target = "";
  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(
      {
        ServerStream: method("ServerStream", false, true),
        ClientStream: method("ClientStream", true, false),
        Bidi: method("Bidi", true, true),
      } as grpc.ServiceDefinition,
      {
        ServerStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          for (let i = 0; i < K; i++) call.write(call.request);
          call.end();
        },
        ClientStream: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          let n = 0;
          call.on("data", () => n++);
          call.on("end", () => cb(null, Buffer.from([0x10, n])));
        },
        Bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          call.on("data", (b: Buffer) => call.write(b));
          call.on("end", () => call.end());
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    target = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  const generic = (kind: StreamWorkload["kind"], name: string, flags: BenchFlags = {}) =>
    run({
      ...benchOptions({
        service: "echo-stream",
        server: target,
        requests: "10",
        connections: "2",
        threads: "1",
        ...flags,
      }),
      streamWorkload: {
        label: `t.Tester/${name}`,
        path: `/t.Tester/${name}`,
        kind,
        requests: [Buffer.from([0x0a, 1, 9])],
      },
    });

  test("server streaming: one first-message figure and K-1 gaps per stream", async () => {
    const s = streamsOf(await generic("server", "ServerStream"));
    expect(s).toMatchObject({ kind: "server", ok: 10, failed: 0, messages: { sent: 10, received: 10 * K } });
    expect(s.first_message_us?.count).toBe(10);
    expect(s.gap_us?.count).toBe(10 * (K - 1));
    expect(s.round_trip_us).toBeNull();
  });

  test("client streaming: M sent per stream, one response each, timed from half-close and first send", async () => {
    const s = streamsOf(await generic("client", "ClientStream", { "stream-messages": "7" }));
    expect(s).toMatchObject({ kind: "client", ok: 10, messages: { sent: 70, received: 10 } });
    expect(s.to_response_us?.count).toBe(10);
    expect(s.from_first_send_us?.count).toBe(10);
  });

  test("bidi matched by order", async () => {
    const s = streamsOf(await generic("bidi", "Bidi", { "stream-messages": "5" }));
    expect(s).toMatchObject({ kind: "bidi", match: "order", ok: 10, messages: { sent: 50, received: 50 } });
    expect(s.round_trip_us?.count).toBe(50);
  });
});

describe("bench --call of a streaming method (the binary, testsvc.v1.Tester on grpc-js, --proto)", () => {
  let tester: Tester;
  beforeAll(async () => {
    tester = await startTester("grpc-js");
  });
  afterAll(() => tester.stop());

  // Async: the Tester runs in this process, so a blocking spawn would leave it unable to answer.
  const bench = (args: string[]) =>
    runBinaryAsync(["bench", "-s", tester.target, "--proto", TESTSVC_PROTO, "-q", ...args]);
  const benchJson = async (args: string[]): Promise<{ report: BenchReport }> => {
    const r = await bench(["-c", "2", "-t", "1", "--json", ...args]);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as BenchReport;
    if (!validate(report)) throw new Error(JSON.stringify(validate.errors, null, 2));
    return { report };
  };

  test("ServerStream: request.small replies per stream, small - 1 gaps each", async () => {
    const { report } = await benchJson(["--call", "testsvc.v1.Tester/ServerStream", "-d", '{"small": 5}', "-n", "8"]);
    const s = streamsOf(report);
    expect(report.options).toMatchObject({ service: "call", call: "testsvc.v1.Tester/ServerStream" });
    expect(report.services).toEqual([]);
    expect(s).toMatchObject({ kind: "server", ok: 8, failed: 0, messages: { sent: 8, received: 40 } });
    expect(s.first_message_us?.count).toBe(8);
    expect(s.gap_us?.count).toBe(32);
  });

  test("ClientStream: --stream-messages requests, one response per stream", async () => {
    const { report } = await benchJson([
      "--call",
      "testsvc.v1.Tester.ClientStream",
      "-d",
      '{"text": "a"}',
      "-n",
      "5",
      "--stream-messages",
      "6",
    ]);
    expect(streamsOf(report)).toMatchObject({ kind: "client", ok: 5, messages: { sent: 30, received: 5 } });
    expect(streamsOf(report).to_response_us?.count).toBe(5);
  });

  test("Bidi: replies matched by order, several -d values taken in turn", async () => {
    const { report } = await benchJson([
      "--call",
      "testsvc.v1.Tester/Bidi",
      "-d",
      '{"text": "a"} {"text": "b"}',
      "-n",
      "4",
      "--stream-messages",
      "9",
    ]);
    const s = streamsOf(report);
    expect(s).toMatchObject({ kind: "bidi", match: "order", ok: 4, messages: { sent: 36, received: 36 } });
    expect(s.round_trip_us?.count).toBe(36);
  });

  test("--stream-messages on a unary method is refused (exit 2)", async () => {
    const r = await bench(["--call", "testsvc.v1.Tester/Unary", "--stream-messages", "3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is a unary method");
  });
});
