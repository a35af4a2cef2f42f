// The Tester servers (test/support/testsvc.ts) honour their contract (test/support/fixtures/testsvc/README.md), checked with a
// plain @grpc/grpc-js client over TCP and a unix socket, so that `call` and `bench` tests can rely on it.
// The python3-grpcio server is skipped, and says so, when python3-grpcio or python3-protobuf is missing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { decodeToJson, encodeJson, type Json } from "../../src/schema/json.ts";
import { loadProtoFiles } from "../../src/schema/proto-files.ts";
import { REFLECTION_PATHS, ReflectionSession } from "../../src/schema/reflection.ts";
import { available } from "../support/require-env.ts";
import { FIXTURES, grpcJsBidi, TESTSVC_PROTO } from "../support/schema-helpers.ts";
import { PYTHON_GRPC, startTester, type Tester, type TesterKind } from "../support/testsvc.ts";

available(
  "testsvc-servers: python3-grpcio and python3-protobuf",
  PYTHON_GRPC,
  "apt-get install python3-grpcio python3-protobuf",
);

const loaded = loadProtoFiles([TESTSVC_PROTO], [FIXTURES]);
if (!loaded.ok) throw new Error(loaded.error);
const RequestType = loaded.root.lookupType("testsvc.v1.Request");
const ResponseType = loaded.root.lookupType("testsvc.v1.Response");

// google.rpc.Status and ErrorInfo, only as far as the details trailer needs them.
const rpc = protobuf.parse(
  `syntax = "proto3";
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Any { string type_url = 1; bytes value = 2; }
  message ErrorInfo { string reason = 1; string domain = 2; }`,
  { keepCase: true },
).root;

const M = "/testsvc.v1.Tester/";
const encode = (json: Json): Buffer => {
  const r = encodeJson(RequestType, json);
  if (!r.ok) throw new Error(r.error);
  return Buffer.from(r.bytes);
};
const decode = (bytes: Buffer): Json => {
  const r = decodeToJson(ResponseType, bytes);
  if (!r.ok) throw new Error(r.error);
  return r.json;
};
const raw = (b: Buffer) => b;

// Every JSON-mapping feature the brief names: int64 past 2^53 (plain, map value and key, wrapper), a map with
// int64 and bool keys, a oneof with a message, a Timestamp, a Struct, an Any, bytes, an enum, json_name.
const RICH: Json = {
  text: "hello",
  small: 7,
  bigSigned: "9007199254740993",
  bigUnsigned: "18446744073709551615",
  fixedBig: "9007199254740995",
  zigzag: "-9007199254740993",
  payload: "AAEC/w==",
  flag: true,
  color: "COLOR_GREEN",
  items: [{ id: "9007199254740997", name: "one", tags: [{ key: "k", color: "COLOR_RED" }] }],
  counts: { a: "9007199254740993", b: "-1" },
  byId: { "9007199254740993": { name: "big key" }, "-3": { name: "negative key" } },
  byFlag: { true: "yes", false: "no" },
  choiceItem: { id: "42", name: "chosen" },
  at: "2023-11-14T22:13:20.000000005Z",
  took: "1.500s",
  extra: { a: 1, b: [true, null, "s"] },
  maybeBig: "9007199254740993",
  detail: { "@type": "type.googleapis.com/testsvc.v1.Item", id: "1" },
  opt: 0,
  renamed: 7,
};

function client(t: Tester) {
  return new grpc.Client(t.target, grpc.credentials.createInsecure());
}

interface Ended {
  readonly code: number;
  readonly details: string;
  readonly trailers: grpc.Metadata;
}

function unary(c: grpc.Client, request: Buffer, md = new grpc.Metadata(), deadline?: number) {
  return new Promise<{ reply?: Json; headers: grpc.Metadata; end: Ended }>((resolve) => {
    let reply: Json | undefined;
    let headers = new grpc.Metadata();
    const options = deadline ? { deadline: Date.now() + deadline } : {};
    // grpc-js runs the callback before it emits "status", which carries the trailers either way.
    const call = c.makeUnaryRequest(`${M}Unary`, raw, raw, request, md, options, (_err, value) => {
      if (value) reply = decode(value);
    });
    call.on("metadata", (m) => {
      headers = m;
    });
    call.on("status", (s) =>
      resolve({ reply, headers, end: { code: s.code, details: s.details, trailers: s.metadata } }),
    );
  });
}

/** Reads a stream call to its end: every reply, the headers, the status with its trailers. */
function collect(call: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>) {
  const replies: Json[] = [];
  let headers = new grpc.Metadata();
  call.on("metadata", (m: grpc.Metadata) => {
    headers = m;
  });
  call.on("data", (b: Buffer) => replies.push(decode(b)));
  call.on("error", () => {}); // the status below carries it
  return new Promise<{ replies: Json[]; headers: grpc.Metadata; end: Ended }>((resolve) =>
    call.on("status", (s: grpc.StatusObject) =>
      resolve({ replies, headers, end: { code: s.code, details: s.details, trailers: s.metadata } }),
    ),
  );
}

function clientStream(c: grpc.Client, requests: Buffer[]) {
  return new Promise<{ reply?: Json; end: Ended }>((resolve) => {
    let reply: Json | undefined;
    const call = c.makeClientStreamRequest(`${M}ClientStream`, raw, raw, (_err, value) => {
      if (value) reply = decode(value);
    });
    call.on("status", (s) => resolve({ reply, end: { code: s.code, details: s.details, trailers: s.metadata } }));
    for (const r of requests) call.write(r);
    call.end();
  });
}

function expectDetailsTrailer(trailers: grpc.Metadata, code: number, message: string) {
  const [bin] = trailers.get("grpc-status-details-bin");
  expect(Buffer.isBuffer(bin)).toBe(true);
  const status = rpc.lookupType("Status").toObject(rpc.lookupType("Status").decode(bin as Buffer)) as {
    code: number;
    message: string;
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  expect(status.code).toBe(code);
  expect(status.message).toBe(message);
  expect(status.details.map((d) => d.type_url)).toEqual(["type.googleapis.com/google.rpc.ErrorInfo"]);
  const info = rpc.lookupType("ErrorInfo").decode(status.details[0]?.value as Uint8Array);
  expect(rpc.lookupType("ErrorInfo").toObject(info)).toEqual({ reason: "TEST_FAILURE", domain: "testsvc" });
}

const KINDS: ReadonlyArray<readonly [TesterKind, boolean]> = [
  ["grpc-js", true],
  ["python", PYTHON_GRPC],
];
const TRANSPORTS = ["tcp", "unix"] as const;

for (const [kind, present] of KINDS) {
  describe.skipIf(!present).each(TRANSPORTS)(`Tester on ${kind}, over %s`, (transport) => {
    let tester: Tester;
    let c: grpc.Client;
    const dir = mkdtempSync(join(tmpdir(), "grpcperf-testsvc-"));
    beforeAll(async () => {
      tester = await startTester(kind, transport === "unix" ? { unixPath: join(dir, "t.sock") } : {});
      c = client(tester);
    });
    afterAll(async () => {
      c.close();
      await tester.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("address and target agree", () => {
      if (transport === "unix") {
        expect(tester.address).toEqual({ kind: "unix", path: join(dir, "t.sock") });
        expect(tester.target).toBe(`unix://${join(dir, "t.sock")}`);
      } else {
        expect(tester.address.kind).toBe("tcp");
        const port = tester.address.kind === "tcp" ? tester.address.port : 0;
        expect(port).toBeGreaterThan(0);
        expect(tester.target).toBe(`127.0.0.1:${port}`);
      }
    });

    test("Unary echoes every field (int64 past 2^53, maps, oneof, Timestamp, Any) with seq 1", async () => {
      const r = await unary(c, encode(RICH));
      expect(r.end.code).toBe(0);
      expect(r.reply).toEqual({ echo: RICH, seq: "1" });
    });

    test("x- headers come back as echo- headers (repeated values, binary); trailer x-trailer: done", async () => {
      const md = new grpc.Metadata();
      md.add("x-one", "1");
      md.add("x-one", "2");
      md.add("x-blob-bin", Buffer.from([0, 1, 0xfe, 0xff]));
      md.add("other", "not echoed");
      const r = await unary(c, encode({ text: "md" }), md);
      // Node's http2 (under the grpc-js client, and server) joins a repeated header's values with ", ".
      expect(r.headers.get("echo-x-one").join(", ")).toBe("1, 2");
      expect(r.headers.get("echo-x-blob-bin")).toEqual([Buffer.from([0, 1, 0xfe, 0xff])]);
      expect(r.headers.get("echo-other")).toEqual([]);
      expect(r.end.trailers.get("x-trailer")).toEqual(["done"]);
    });

    test("fail:5:… is NOT_FOUND with its message, an ErrorInfo details trailer, and x-trailer", async () => {
      const md = new grpc.Metadata();
      md.add("x-seen", "yes");
      const r = await unary(c, encode({ text: "fail:5:no such thing" }), md);
      expect(r.end.code).toBe(grpc.status.NOT_FOUND);
      expect(r.end.details).toBe("no such thing");
      expect(r.end.trailers.get("x-trailer")).toEqual(["done"]);
      expectDetailsTrailer(r.end.trailers, 5, "no such thing");
      expect(r.headers.get("echo-x-seen")).toEqual(["yes"]);
    });

    test("a malformed fail: is INVALID_ARGUMENT", async () => {
      const r = await unary(c, encode({ text: "fail:0:zero" }));
      expect(r.end.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(r.end.details).toBe("bad fail directive: fail:0:zero");
    });

    test("sleep: outlasts a 200 ms deadline", async () => {
      const r = await unary(c, encode({ text: "sleep:5000" }), new grpc.Metadata(), 200);
      expect(r.end.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    });

    test("sleep: then answers", async () => {
      const r = await unary(c, encode({ text: "sleep:50" }));
      expect(r.end.code).toBe(0);
      expect(r.reply).toEqual({ echo: { text: "sleep:50" }, seq: "1" });
    });

    test("ServerStream: small replies (3 when small is 0), seq 1..N, headers and trailer", async () => {
      const md = new grpc.Metadata();
      md.add("x-s", "v");
      const four = await collect(c.makeServerStreamRequest(`${M}ServerStream`, raw, raw, encode(RICH), md));
      expect(four.end.code).toBe(0);
      expect(four.replies).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => ({ echo: RICH, seq: String(i) })));
      expect(four.headers.get("echo-x-s")).toEqual(["v"]);
      expect(four.end.trailers.get("x-trailer")).toEqual(["done"]);
      const req = { text: "three" };
      const three = await collect(c.makeServerStreamRequest(`${M}ServerStream`, raw, raw, encode(req)));
      expect(three.replies).toEqual([1, 2, 3].map((i) => ({ echo: req, seq: String(i) })));
    });

    test("ServerStream: fail: ends the call before any reply, with the details trailer", async () => {
      const r = await collect(c.makeServerStreamRequest(`${M}ServerStream`, raw, raw, encode({ text: "fail:9:no" })));
      expect(r.replies).toEqual([]);
      expect(r.end.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(r.end.details).toBe("no");
      expectDetailsTrailer(r.end.trailers, 9, "no");
      expect(r.end.trailers.get("x-trailer")).toEqual(["done"]);
    });

    test("ClientStream: the last request and how many; an empty stream gives an empty echo", async () => {
      const r = await clientStream(c, [encode({ text: "a" }), encode({ text: "b" }), encode(RICH)]);
      expect(r.end.code).toBe(0);
      expect(r.reply).toEqual({ echo: RICH, seq: "3" });
      expect(r.end.trailers.get("x-trailer")).toEqual(["done"]);
      const none = await clientStream(c, []);
      expect(none.end.code).toBe(0);
      expect(none.reply).toEqual({ echo: {} });
    });

    test("ClientStream: the first fail: ends the call", async () => {
      const r = await clientStream(c, [encode({ text: "ok" }), encode({ text: "fail:8:full" }), encode({})]);
      expect(r.reply).toBeUndefined();
      expect(r.end.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(r.end.details).toBe("full");
      expectDetailsTrailer(r.end.trailers, 8, "full");
    });

    test("Bidi: each reply comes before the next request is sent, then fail: ends it", async () => {
      const md = new grpc.Metadata();
      md.add("x-b", "1");
      const call = c.makeBidiStreamRequest(`${M}Bidi`, raw, raw, md);
      const next: Array<(j: Json) => void> = [];
      call.on("data", (b: Buffer) => next.shift()?.(decode(b)));
      const ended = collect(call);
      const exchange = (json: Json) =>
        new Promise<Json>((resolve) => {
          next.push(resolve);
          call.write(encode(json));
        });
      expect(await exchange({ text: "one" })).toEqual({ echo: { text: "one" }, seq: "1" });
      expect(await exchange(RICH)).toEqual({ echo: RICH, seq: "2" });
      call.write(encode({ text: "fail:10:stop" }));
      const r = await ended;
      expect(r.headers.get("echo-x-b")).toEqual(["1"]);
      expect(r.replies.length).toBe(2);
      expect(r.end.code).toBe(grpc.status.ABORTED);
      expect(r.end.details).toBe("stop");
      expectDetailsTrailer(r.end.trailers, 10, "stop");
      expect(r.end.trailers.get("x-trailer")).toEqual(["done"]);
    });

    test("Bidi: half-close ends it OK with the trailer", async () => {
      const call = c.makeBidiStreamRequest(`${M}Bidi`, raw, raw);
      const ended = collect(call);
      call.write(encode({ text: "x" }));
      call.end();
      const r = await ended;
      expect(r.end.code).toBe(0);
      expect(r.replies).toEqual([{ echo: { text: "x" }, seq: "1" }]);
      expect(r.end.trailers.get("x-trailer")).toEqual(["done"]);
    });
  });
}

// One list_services exchange on one reflection version's path: the status code (0 when it answered).
async function listOn(target: string, path: string): Promise<number> {
  const bidi = grpcJsBidi(target);
  const stream = bidi.open(path);
  try {
    const reply = await stream.exchange(Buffer.from([0x3a, 0x01, 0x2a])); // list_services: "*"
    return reply.ok ? 0 : reply.code;
  } finally {
    stream.close();
    bidi.close();
  }
}

describe("grpc-js Tester reflection", () => {
  const started: Tester[] = [];
  afterAll(async () => {
    for (const t of started) await t.stop();
  });
  const start = async (reflection: "v1" | "v1alpha" | "both" | "none") => {
    const t = await startTester("grpc-js", { reflection });
    started.push(t);
    return t;
  };

  test("both (the default): lists testsvc.v1.Tester and serves its schema", async () => {
    const t = await startTester("grpc-js");
    started.push(t);
    const bidi = grpcJsBidi(t.target);
    const r = await ReflectionSession.open(bidi.open);
    if (!r.ok) throw new Error(r.error);
    expect(r.session.services()).toContain("testsvc.v1.Tester");
    const root = await r.session.root(["testsvc.v1.Tester"]);
    if (!root.ok) throw new Error(root.error);
    expect(root.root.lookupService("testsvc.v1.Tester").methodsArray.map((m) => m.name)).toEqual([
      "Unary",
      "ServerStream",
      "ClientStream",
      "Bidi",
    ]);
    bidi.close();
    expect(await listOn(t.target, REFLECTION_PATHS[1])).toBe(0);
  });

  test.each([
    ["v1", [0, grpc.status.UNIMPLEMENTED]],
    ["v1alpha", [grpc.status.UNIMPLEMENTED, 0]],
    ["none", [grpc.status.UNIMPLEMENTED, grpc.status.UNIMPLEMENTED]],
  ] as const)("%s only: v1 and v1alpha answer %p", async (version, codes) => {
    const t = await start(version);
    expect([await listOn(t.target, REFLECTION_PATHS[0]), await listOn(t.target, REFLECTION_PATHS[1])]).toEqual([
      ...codes,
    ]);
  });
});

test.skipIf(!PYTHON_GRPC)("the python Tester refuses a reflection option it cannot serve", async () => {
  await expect(startTester("python", { reflection: "v1" })).rejects.toThrow(/no reflection/);
});
