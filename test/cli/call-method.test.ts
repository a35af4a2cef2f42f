// `grpcperf call pkg.Service/Method`, `call list` and `call describe`, the compiled binary against servers
// grpcperf did not write (testsvc.v1.Tester on grpc-js and on gRPC's C core), over TCP and a unix socket:
// all four kinds, the proto3 JSON mapping both ways, metadata both ways, failures with their details, and
// every bad input refused with exit 2 before the call.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJsonSequence } from "../../src/text/json-sequence.ts";
import { runBinaryAsync, serveBinary } from "../support/helpers.ts";
import { available } from "../support/require-env.ts";
import { FIXTURES, TESTSVC_PROTO, TESTSVC_PROTOSET } from "../support/schema-helpers.ts";
import { PYTHON_GRPC, startTester, type Tester, type TesterKind } from "../support/testsvc.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Async: the grpc-js server runs in this process, so a blocking spawn would stall it.
function grpcperf(args: readonly string[], stdin?: string): Promise<Run> {
  return runBinaryAsync(args, { stdin, env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" } });
}

const values = (text: string) => {
  const r = parseJsonSequence(text);
  if (!r.ok) throw new Error(r.error);
  return r.values as Array<Record<string, unknown>>;
};

const FILES = ["--proto", TESTSVC_PROTO, "--import-path", FIXTURES];
const REQUEST = {
  text: "hi",
  bigSigned: "-9007199254740993",
  bigUnsigned: "18446744073709551615",
  payload: "AAEC/w==",
  color: "COLOR_GREEN",
  items: [{ id: "9007199254740993", name: "n", tags: [{ key: "k", color: "COLOR_RED" }] }],
  counts: { a: "1", b: "-2" },
  choiceText: "picked",
  at: "2026-12-03T10:00:00.5Z",
  took: "1.5s",
  extra: { k: [1, "two", null] },
  maybeBig: "12345678901234567",
};
// json_name survives a protoset; grpc-js's reflection (proto-loader's descriptors) drops it.
const RENAMED = { ...REQUEST, renamed: 7 };
// The canonical forms of the Timestamp and Duration: 0, 3, 6 or 9 fractional digits.
const canonical = (r: object) => ({ ...r, at: "2026-12-03T10:00:00.500Z", took: "1.500s" });

const tmp = mkdtempSync(join(tmpdir(), "grpcperf-call-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const kinds: TesterKind[] = available(
  "call-method: python3-grpcio and python3-protobuf",
  PYTHON_GRPC,
  "apt-get install python3-grpcio python3-protobuf",
)
  ? ["grpc-js", "python"]
  : ["grpc-js"];

describe.each(kinds)("call against the %s Tester", (kind) => {
  // The python server has no reflection (Debian packages none): its schema comes from the protoset.
  const schema = kind === "grpc-js" ? [] : ["--protoset", TESTSVC_PROTOSET];
  for (const transport of ["tcp", "unix"] as const) {
    describe(transport, () => {
      let tester: Tester;
      let s: string[];
      beforeAll(async () => {
        tester = await startTester(kind, transport === "unix" ? { unixPath: join(tmp, `${kind}.sock`) } : {});
        s = ["-s", transport === "unix" ? `unix://${(tester.address as { path: string }).path}` : tester.target];
      });
      afterAll(() => tester.stop());

      test("unary: the request comes back field for field in canonical proto3 JSON", async () => {
        const request = kind === "grpc-js" ? REQUEST : RENAMED;
        const r = await grpcperf(["call", "testsvc.v1.Tester/Unary", ...s, ...schema, "-d", JSON.stringify(request)]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        const [res] = values(r.stdout);
        expect(res).toEqual({ echo: canonical(request), seq: "1" });
      });

      test("server streaming prints each message; client streaming takes several objects in -d", async () => {
        const server = await grpcperf(["call", "testsvc.v1.Tester.ServerStream", ...s, ...schema, "-d", '{"small":4}']);
        expect(server.code).toBe(0);
        expect(values(server.stdout).map((m) => m.seq)).toEqual(["1", "2", "3", "4"]);
        const client = await grpcperf([
          "call",
          "testsvc.v1.Tester/ClientStream",
          ...s,
          ...schema,
          "-d",
          '{"text":"a"} {"text":"b"}\n{"text":"c"}',
        ]);
        expect(client.code).toBe(0);
        expect(values(client.stdout)).toEqual([{ echo: { text: "c" }, seq: "3" }]);
      });

      test("bidi from stdin, --json: a line per message and one with the status", async () => {
        const r = await grpcperf(
          ["call", "testsvc.v1.Tester/Bidi", ...s, ...schema, "-d", "@-", "--json"],
          '{"text":"x"}\n{"text":"y"}\n',
        );
        expect(r.code).toBe(0);
        const lines = r.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l));
        expect(lines.slice(0, 2).map((l) => [l.type, l.message.echo.text, l.message.seq])).toEqual([
          ["message", "x", "1"],
          ["message", "y", "2"],
        ]);
        expect(lines[2]).toMatchObject({ type: "status", code: 0, status: "OK", sent: 2, received: 2 });
        expect(lines[2].trailers["x-trailer"]).toBe("done");
      });

      test("metadata goes out with -H (text and -bin) and the reply's headers and trailers show with -v", async () => {
        const bin = Buffer.from([0, 1, 2, 255]).toString("base64");
        const r = await grpcperf([
          "call",
          "testsvc.v1.Tester/Unary",
          ...s,
          ...schema,
          "-H",
          "x-one: 1",
          "--header=X-Two: two",
          "-H",
          `x-blob-bin: ${bin}`,
          "-v",
        ]);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain("echo-x-one: 1");
        expect(r.stderr).toContain("echo-x-two: two");
        expect(r.stderr).toMatch(/echo-x-blob-bin: AAEC\/w/);
        expect(r.stderr).toContain("x-trailer: done");
      });

      test("a failure prints CODE: message and the decoded status details, and exits 1", async () => {
        const r = await grpcperf([
          "call",
          "testsvc.v1.Tester/Unary",
          ...s,
          ...schema,
          "-d",
          '{"text":"fail:5:no such thing"}',
        ]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toStartWith("NOT_FOUND: no such thing\n");
        expect(r.stderr).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
        expect(r.stderr).toContain('"reason": "TEST_FAILURE"');
        const json = await grpcperf([
          "call",
          "testsvc.v1.Tester/ServerStream",
          ...s,
          ...schema,
          "--json",
          "-d",
          '{"text":"fail:7:nope"}',
        ]);
        expect(json.code).toBe(1);
        const status = JSON.parse(json.stdout.trim().split("\n").at(-1) as string);
        expect(status).toMatchObject({ code: 7, status: "PERMISSION_DENIED", details: "nope" });
        expect(status.status_details.details[0]).toMatchObject({ reason: "TEST_FAILURE", domain: "testsvc" });
      });

      test("bench --call loads its unary and bidi methods on this transport", async () => {
        const run = async (method: string, extra: string[]) => {
          const r = await grpcperf(["bench", ...s, ...schema, "--call", method, "-c", "2", "--json", "-q", ...extra]);
          // stderr may carry the loader's busy warning on a small machine; only a failure matters here.
          if (r.code !== 0) throw new Error(`bench exited ${r.code}: ${r.stderr}`);
          return JSON.parse(r.stdout);
        };
        const unary = await run("testsvc.v1.Tester/Unary", ["-n", "40", "-d", '{"text":"n{{.RequestNumber}}"}']);
        expect(unary.total).toMatchObject({ ok: 40, failed: 0 });
        const bidi = await run("testsvc.v1.Tester/Bidi", [
          "-n",
          "6",
          "--stream-messages",
          "5",
          "-d",
          '{"text":"a"} {"text":"b"}',
        ]);
        expect(bidi.streams).toMatchObject({ ok: 6, failed: 0 });
        expect(bidi.streams.messages).toMatchObject({ sent: 30, received: 30 });
      });

      test("a call past --timeout ends DEADLINE_EXCEEDED", async () => {
        const r = await grpcperf([
          "call",
          "testsvc.v1.Tester/Unary",
          ...s,
          ...schema,
          "--timeout",
          "300ms",
          "-d",
          '{"text":"sleep:3000"}',
        ]);
        expect(r.code).toBe(1);
        expect(r.stderr).toStartWith("DEADLINE_EXCEEDED:");
      });
    });
  }
});

describe("schemas, listing and describing", () => {
  let tester: Tester;
  let v1alpha: Tester;
  let bare: Tester;
  beforeAll(async () => {
    tester = await startTester("grpc-js", { reflection: "v1" });
    v1alpha = await startTester("grpc-js", { reflection: "v1alpha" });
    bare = await startTester("grpc-js", { reflection: "none" });
  });
  afterAll(async () => {
    await Promise.all([tester.stop(), v1alpha.stop(), bare.stop()]);
  });

  test("list and describe by reflection (v1, and v1alpha when v1 is missing), --proto and --protoset", async () => {
    for (const t of [tester, v1alpha]) {
      const list = await grpcperf(["call", "list", "-s", t.target]);
      expect(list.code).toBe(0);
      expect(list.stdout.split("\n")).toContain("testsvc.v1.Tester");
      const methods = await grpcperf(["call", "list", "testsvc.v1.Tester", "-s", t.target]);
      expect(methods.stdout).toBe(
        "testsvc.v1.Tester.Unary\ntestsvc.v1.Tester.ServerStream\ntestsvc.v1.Tester.ClientStream\ntestsvc.v1.Tester.Bidi\n",
      );
    }
    const fromFiles = await grpcperf(["call", "list", "testsvc.v1.Tester", ...FILES]);
    expect(fromFiles.stdout).toContain("testsvc.v1.Tester.Bidi\n");
    const desc = await grpcperf(["call", "describe", "testsvc.v1.Tester", "--protoset", TESTSVC_PROTOSET]);
    expect(desc.stdout).toContain("rpc Bidi ( stream .testsvc.v1.Request ) returns ( stream .testsvc.v1.Response );");
    const msg = await grpcperf(["call", "describe", "testsvc.v1.Item", "-s", tester.target]);
    expect(msg.code).toBe(0);
    expect(msg.stdout).toContain("int64 id = 1;");
    const method = await grpcperf(["call", "describe", "testsvc.v1.Tester.Unary", "-s", tester.target]);
    expect(method.stdout).toContain("rpc Unary ( .testsvc.v1.Request ) returns ( .testsvc.v1.Response );");
  });

  test("a server without reflection: exit 2, saying so and pointing at --proto; --proto then works", async () => {
    const r = await grpcperf(["call", "testsvc.v1.Tester/Unary", "-s", bare.target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not offer reflection");
    expect(r.stderr).toContain("--proto");
    const ok = await grpcperf(["call", "testsvc.v1.Tester/Unary", "-s", bare.target, ...FILES, "-d", '{"text":"a"}']);
    expect(ok.code).toBe(0);
    expect(values(ok.stdout)).toEqual([{ echo: { text: "a" }, seq: "1" }]);
  });

  test("bad input is one line and exit 2, and nothing is called", async () => {
    const bad = join(tmp, "bad.proto");
    writeFileSync(bad, 'syntax = "proto3";\nmessage A {\n  int32 x = 1\n}\n');
    const data = join(tmp, "data.json");
    writeFileSync(data, '{"text": 5}');
    const cases: Array<[string[], string]> = [
      [
        ["testsvc.v1.Tester/Unray", "-s", tester.target],
        "unknown method Unray in service testsvc.v1.Tester (did you mean Unary?)",
      ],
      [["testsvc.v1.Testr/Unary", "-s", tester.target], "unknown service testsvc.v1.Testr"],
      [
        ["testsvc.v1.Tester/Unary", ...FILES, "-d", '{"items":[{"tags":[{"color":"RED"}]}]}'],
        ".items[0].tags[0].color:",
      ],
      [["testsvc.v1.Tester/Unary", ...FILES, "-d", '{"text":'], "-d: JSON at line 1, column 1"],
      [["testsvc.v1.Tester/Unary", ...FILES, "-d", `@${data}`], ".text: expected a string"],
      [["testsvc.v1.Tester/Unary", ...FILES, "-d", "{} {}"], "takes one request message, not 2"],
      [["a.B/C", "--proto", bad], `${bad}:4:1:`],
      [["testsvc.v1.Tester/Unary", ...FILES, "-H", "grpc-timeout: 1S"], "set by gRPC itself"],
      [["testsvc.v1.Tester/Unary", ...FILES, "-H", "x-b-bin: not base64!"], "must be base64"],
    ];
    for (const [args, message] of cases) {
      const r = await grpcperf(["call", ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
    }
  });

  test("a method the server lacks is the server's UNIMPLEMENTED, exit 1", async () => {
    const srv = await serveBinary();
    try {
      const target = srv.target;
      const r = await grpcperf(["call", "testsvc.v1.Tester/Unary", "-s", target, ...FILES]);
      expect(r.code).toBe(1);
      expect(r.stderr).toStartWith("UNIMPLEMENTED:");
      // grpcperf's own server answers reflection with the field names its .proto writes.
      const d = await grpcperf(["call", "describe", "grpcperf.v1.EchoRequest", "-s", target]);
      expect(d.stdout).toContain("int64 client_send_unix_nanos = 3;");
    } finally {
      await srv.stop();
    }
  });
});

describe("call and bench --call over mTLS", () => {
  test("reflection and the calls go over the same TLS connection settings", async () => {
    const { makePki } = await import("../support/pki.ts");
    const pki = makePki();
    const srv = await serveBinary([
      "--tls-cert",
      pki.file("server.crt"),
      "--tls-key",
      pki.file("server.key"),
      "--tls-client-ca",
      pki.file("ca.crt"),
    ]);
    try {
      const target = srv.target;
      const tls = [
        "--cacert",
        pki.file("ca.crt"),
        "--cert",
        pki.file("client.crt"),
        "--cert-key",
        pki.file("client.key"),
      ];
      const r = await grpcperf(["call", "grpcperf.v1.Echo/Echo", "-s", target, ...tls, "-d", '{"sequence":"5"}']);
      expect(r.stderr).toBe("");
      expect(values(r.stdout)[0]).toMatchObject({ sequence: "5" });
      const plain = await grpcperf(["call", "grpcperf.v1.Echo/Echo", "-s", target, "--timeout", "3s"]);
      expect(plain.code).toBe(1);
      // bench --call finds the schema the same way, then loads over TLS from two threads.
      const bench = await grpcperf([
        "bench",
        "-s",
        target,
        ...tls,
        "--call",
        "grpcperf.v1.Echo/Echo",
        "-d",
        '{"sequence": {{.RequestNumber}}}',
        "-n",
        "60",
        "--threads",
        "2",
        "-c",
        "2",
        "--json",
        "-q",
      ]);
      expect(bench.code).toBe(0);
      expect(JSON.parse(bench.stdout).total).toMatchObject({ ok: 60, failed: 0 });
    } finally {
      await srv.stop();
      pki.remove();
    }
  });
});
