// `bench --call`: any unary method, against a server grpcperf did not write (a grpc-js testsvc.v1.Tester that
// records every request and its metadata), and the compiled binary against `grpcperf serve` by reflection.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import Ajv from "ajv";
import type protobuf from "protobufjs";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { prepareCall } from "../../src/bench/call-prepare.ts";
import { startRun } from "../../src/bench/coordinator.ts";
import type { BenchFlags } from "../../src/bench/options.ts";
import { formatText } from "../../src/report/text.ts";
import type { BenchReport } from "../../src/report/types.ts";
import type { Metadata } from "../../src/rpc/channel.ts";
import { loadProtoFiles } from "../../src/schema/proto-files.ts";
import { benchOptions, reportOf } from "../support/bench-helpers.ts";
import { requireBinary, type ServedBinary, serveBinary } from "../support/helpers.ts";
import { TESTSVC_PROTO, TESTSVC_PROTOSET } from "../support/schema-helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);
const cwd = mkdtempSync(join(tmpdir(), "grpcperf-bench-call-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };

const loaded = loadProtoFiles([TESTSVC_PROTO]);
if (!loaded.ok) throw new Error(loaded.error);
const Request = loaded.root.lookupType("testsvc.v1.Request");

interface Seen {
  requests: Record<string, unknown>[];
  tokens: string[];
}

/** testsvc.v1.Tester/Unary on grpc-js: records each request (as plain JSON-ish object) and its x-token. */
async function testerServer(seen: Seen): Promise<{ target: string; stop: () => void }> {
  const server = new grpc.Server();
  const raw = (b: Buffer) => b;
  server.addService(
    {
      // grpcperf's own Echo path too, so --service echo's metadata can be seen arriving.
      Echo: {
        path: "/grpcperf.v1.Echo/Echo",
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
      Unary: {
        path: "/testsvc.v1.Tester/Unary",
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    } as grpc.ServiceDefinition,
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        for (const t of call.metadata.get("x-token")) seen.tokens.push(String(t));
        cb(null, Buffer.alloc(0));
      },
      Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const m = Request.decode(call.request) as protobuf.Message & Record<string, unknown>;
        seen.requests.push(Request.toObject(m, { longs: String }));
        for (const t of call.metadata.get("x-token")) seen.tokens.push(String(t));
        cb(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { target: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

async function bench(flags: BenchFlags, metadata?: Metadata): Promise<BenchReport> {
  const options = { ...benchOptions(flags), metadata };
  if (!options.call) throw new Error("no --call");
  const prepared = await prepareCall(options, options.call);
  if (!prepared.ok) throw new Error(prepared.error);
  return (await reportOf(options, prepared.call)).report;
}

describe("against a grpc-js testsvc.v1.Tester (in process)", () => {
  const seen: Seen = { requests: [], tokens: [] };
  let srv: Awaited<ReturnType<typeof testerServer>>;
  beforeAll(async () => {
    srv = await testerServer(seen);
  });
  afterAll(() => srv.stop());
  const reset = () => {
    seen.requests.length = 0;
    seen.tokens.length = 0;
  };

  test("--proto, static -d: every call carries the one body; -H metadata reaches the server; report by method", async () => {
    reset();
    const report = await bench(
      {
        server: srv.target,
        call: "testsvc.v1.Tester/Unary",
        protos: [TESTSVC_PROTO],
        data: '{"text":"hello","bigSigned":"-9007199254740993","renamed":4}',
        requests: "120",
        connections: "3",
        threads: "2",
      },
      [["x-token", "abc"]],
    );
    expect(seen.requests).toHaveLength(120);
    for (const r of seen.requests)
      expect(r).toMatchObject({ text: "hello", big_signed: "-9007199254740993", custom_named: 4 });
    expect(seen.tokens).toEqual(Array(120).fill("abc"));
    expect(report.options).toMatchObject({ service: "call", call: "testsvc.v1.Tester/Unary" });
    expect(report.services.map((s) => s.service)).toEqual(["testsvc.v1.Tester/Unary"]);
    expect(report.services[0]).toMatchObject({ total: 120, ok: 120, failed: 0 });
    expect(formatText(report)).toContain("=== testsvc.v1.Tester/Unary Benchmark Results ===");
    if (!validate(JSON.parse(JSON.stringify(report)))) throw new Error(JSON.stringify(validate.errors));
  });

  test("metadata goes with --service echo too", async () => {
    reset();
    const options = {
      ...benchOptions({ server: srv.target, requests: "20", connections: "2" }),
      metadata: [["x-token", "e"]] as Metadata,
    };
    const outcome = await startRun(options).outcome;
    expect(outcome.kind).toBe("finished");
    expect(seen.tokens).toEqual(Array(20).fill("e"));
  });

  test("--protoset, --data-file with 3 lines: each line is sent in turn, blank lines skipped", async () => {
    reset();
    const file = join(cwd, "three.ndjson");
    writeFileSync(file, '{"text":"one"}\n\n{"text":"two"}\n  \n{"text":"three"}\n');
    await bench({
      server: srv.target,
      call: "testsvc.v1.Tester.Unary",
      protoset: TESTSVC_PROTOSET,
      "data-file": file,
      requests: "90",
      connections: "2",
      threads: "2",
    });
    const counts = new Map<string, number>();
    for (const r of seen.requests) counts.set(r.text as string, (counts.get(r.text as string) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(["one", "three", "two"]);
    // Each thread goes round the lines; with 90 calls every line is sent many times.
    for (const n of counts.values()) expect(n).toBeGreaterThan(10);
  });

  test("a template: the server sees {{.RequestNumber}} 0..N-1, each once (closed loop, several threads)", async () => {
    reset();
    await bench({
      server: srv.target,
      call: "testsvc.v1.Tester/Unary",
      protos: [TESTSVC_PROTO],
      data: '{"big_signed": {{.RequestNumber}}, "text": "user-{{randomInt 1 100}}", "at": "2026-01-01T00:00:00Z"}',
      requests: "200",
      connections: "4",
      threads: "2",
    });
    const numbers = seen.requests.map((r) => Number(r.big_signed ?? 0)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (const r of seen.requests) expect(r.text).toMatch(/^user-([1-9]|[1-9]\d)$/);
  });

  test("open loop (--rate) with a template", async () => {
    reset();
    const report = await bench({
      server: srv.target,
      call: "testsvc.v1.Tester/Unary",
      protos: [TESTSVC_PROTO],
      data: '{"small": {{.RequestNumber}}}',
      requests: "100",
      rate: "500",
      connections: "2",
      threads: "2",
    });
    expect(report.mode).toBe("open-loop");
    expect(report.total.ok).toBe(100);
    expect(new Set(seen.requests.map((r) => r.small ?? 0)).size).toBe(100);
  });

  test.each([
    [{ data: '{"txt":"x"}' }, /^-d: \.txt: unknown field of testsvc\.v1\.Request \(did you mean text\?\)$/],
    [{ data: '{"small":"x"}' }, /^-d: \.small: expected an int32/],
    [{ data: "{oops" }, /^-d: JSON at line 1, column 1/],
    [{ data: '{"small": {{.Nope}}}' }, /^-d: \{\{\.Nope\}\}: unknown placeholder/],
    [{ data: '{"flag": {{.RequestNumber}}}' }, /^-d: \.flag: expected a bool/],
    [
      { call: "testsvc.v1.Tester/Unery" },
      /unknown method Unery in service testsvc\.v1\.Tester \(did you mean Unary\?\)/,
    ],
    [
      { call: "testsvc.v1.Tester/ServerStream", data: '{"small": {{.RequestNumber}}}' },
      /^-d: templates are for unary methods/,
    ],
    [{ protos: [join(cwd, "missing.proto")] }, /missing\.proto/],
  ])("bad input %#: nothing is sent, one line", async (over, message) => {
    reset();
    const file = join(cwd, "bad.ndjson");
    writeFileSync(file, '{"text":"ok"}\n{"small": true}\n');
    const flags: BenchFlags = { server: srv.target, call: "testsvc.v1.Tester/Unary", protos: [TESTSVC_PROTO], ...over };
    const options = benchOptions(flags);
    const r = await prepareCall(options, options.call as NonNullable<typeof options.call>);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(2);
      expect(r.error).toMatch(message);
    }
    expect(seen.requests).toHaveLength(0);
  });

  test("--data-file: the error names the line", async () => {
    const file = join(cwd, "bad-line.ndjson");
    writeFileSync(file, '{"text":"ok"}\n\n{"small": true}\n');
    const options = benchOptions({
      server: srv.target,
      call: "testsvc.v1.Tester/Unary",
      protos: [TESTSVC_PROTO],
      "data-file": file,
    });
    const r = await prepareCall(options, options.call as NonNullable<typeof options.call>);
    expect(r).toMatchObject({
      ok: false,
      code: 2,
      error: expect.stringMatching(/^--data-file line 3: \.small: expected an int32/),
    });
  });

  test("reflection missing (grpc-js serves none): says so and points at --proto", async () => {
    const options = benchOptions({ server: srv.target, call: "testsvc.v1.Tester/Unary" });
    const r = await prepareCall(options, options.call as NonNullable<typeof options.call>);
    expect(r).toMatchObject({ ok: false, code: 2, error: expect.stringMatching(/does not offer reflection.*--proto/) });
  });
});

describe("the compiled binary against grpcperf serve (reflection)", () => {
  let server: ServedBinary;
  let target: string;
  beforeAll(async () => {
    server = await serveBinary([], { cwd, env });
    target = server.target;
  });
  afterAll(() => server.stop());
  const run = (args: string[]) => {
    const p = Bun.spawnSync([requireBinary(), "bench", "-s", target, ...args], {
      cwd,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };

  test("--call grpcperf.v1.Echo/Echo with -d, -H and -m: --json names the method", () => {
    const r = run([
      "--call",
      "grpcperf.v1.Echo/Echo",
      "-d",
      '{"payload":"AAECAwQFBgcICQoLDA0ODw=="}',
      "-H",
      "x-a: 1",
      "-m",
      '{"x-b":"2"}',
      "-n",
      "300",
      "-c",
      "3",
      "--json",
      "-q",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(report.options).toMatchObject({ service: "call", call: "grpcperf.v1.Echo/Echo", client: "lean" });
    expect(report.services).toHaveLength(1);
    expect(report.services[0]).toMatchObject({ service: "grpcperf.v1.Echo/Echo", total: 300, ok: 300 });
    if (!validate(report)) throw new Error(JSON.stringify(validate.errors));
  });

  test("-d @file and --rate", () => {
    const file = join(cwd, "echo.json");
    writeFileSync(file, '{"payload":"AAAA"}');
    const r = run(["--call", "grpcperf.v1.Echo.Echo", "-d", `@${file}`, "-n", "100", "-r", "400", "-q"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("=== grpcperf.v1.Echo/Echo Benchmark Results ===");
    expect(r.stdout).toContain("Total requests: 100");
  });

  test.each([
    [
      ["--call", "grpcperf.v1.Echo/Ech"],
      /^grpcperf: --call grpcperf\.v1\.Echo\/Ech: unknown method Ech .*did you mean Echo\?/,
    ],
    [["--call", "grpcperf.v1.Ehco/Echo"], /unknown service grpcperf\.v1\.Ehco.*did you mean grpcperf\.v1\.Echo\?/],
    [["--call", "grpcperf.v1.Echo/Echo", "--service", "crypto"], /--call and --service exclude each other/],
    [["--call", "grpcperf.v1.Echo/Echo", "--payload-size", "16"], /--call and --payload-size exclude each other/],
    [["-d", "{}"], /-d\/--data need --call/],
    [["--call", "grpcperf.v1.Echo/Echo", "-d", '{"payload": 5}'], /^grpcperf: -d: \.payload: expected bytes/],
    [["--call", "grpcperf.v1.Echo/Echo", "-d", "@/nonexistent.json"], /-d @\/nonexistent\.json: cannot read/],
    [["--call", "grpcperf.v1.Echo/Echo", "-m", "[1]"], /-m: expected a JSON object/],
    [["-H", "nocolon"], /expected "name: value"/],
  ])("bad input %p: exit 2, one line", (args, message) => {
    const r = run([...args, "-n", "5", "-q"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  test("server down: exit 1", () => {
    const p = Bun.spawnSync([requireBinary(), "bench", "-s", "127.0.0.1:1", "--call", "grpcperf.v1.Echo/Echo", "-q"], {
      cwd,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toMatch(/cannot reach 127\.0\.0\.1:1/);
  });
});
