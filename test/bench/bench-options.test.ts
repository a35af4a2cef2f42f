// Option resolution, thread planning and schedule math: pure functions, no sockets.
import { describe, expect, test } from "bun:test";
import { Rotation } from "../../src/bench/load/types.ts";
import { type BenchFlags, resolveOptions } from "../../src/bench/options.ts";
import { planThreads, split } from "../../src/bench/plan.ts";
import { callsBefore, callsOfThread, dueAt } from "../../src/bench/schedule.ts";
import { buildWorkloads } from "../../src/bench/workload.ts";

const resolve = (flags: BenchFlags, env: Record<string, string> = {}, cpus = 8) => {
  const r = resolveOptions(flags, env, cpus);
  if (!r.ok) throw new Error(r.error);
  return r.options;
};
const error = (flags: BenchFlags, env: Record<string, string> = {}) => {
  const r = resolveOptions(flags, env, 8);
  return r.ok ? "" : r.error;
};

describe("defaults", () => {
  test("as the issue's table says", () => {
    const o = resolve({}, {}, 8);
    expect(o.server).toEqual({ kind: "tcp", host: "127.0.0.1", port: 50051 });
    expect(o.connections).toBe(10);
    expect(o.concurrency).toBe(10);
    expect(o.threads).toBe(4);
    expect(o.requests).toBe(1000);
    expect(o.durationMs).toBeUndefined();
    expect(o.rate).toBeUndefined();
    expect(o.service).toBe("echo");
    expect(o.algorithms).toEqual(["ecdsa-p256"]);
  });
  test("threads default to the CPU count when below 4, and never exceed connections", () => {
    expect(resolve({}, {}, 2).threads).toBe(2);
    expect(resolve({ connections: "1" }, {}, 8).threads).toBe(1);
    expect(resolve({ threads: "16", connections: "3" }).threads).toBe(3);
  });
  test("a duration alone means no request count", () => {
    const o = resolve({ duration: "2m" });
    expect(o.durationMs).toBe(120_000);
    expect(o.requests).toBeUndefined();
  });
});

describe("environment variables (the replaced system's names)", () => {
  test.each([
    [
      "SERVER_ADDR",
      "[::1]:9000",
      (o: ReturnType<typeof resolve>) => o.server,
      { kind: "tcp", host: "::1", port: 9000 },
    ],
    ["CONNECTIONS", "7", (o: ReturnType<typeof resolve>) => o.connections, 7],
    ["CONCURRENT_REQUESTS", "6", (o: ReturnType<typeof resolve>) => o.connections, 6],
    ["CONCURRENCY", "40", (o: ReturnType<typeof resolve>) => o.concurrency, 40],
    ["THREADS", "3", (o: ReturnType<typeof resolve>) => o.threads, 3],
    ["REQUESTS", "123", (o: ReturnType<typeof resolve>) => o.requests, 123],
    ["TOTAL_REQUESTS", "456", (o: ReturnType<typeof resolve>) => o.requests, 456],
    ["DURATION", "30s", (o: ReturnType<typeof resolve>) => o.durationMs, 30_000],
    ["DURATION", "60", (o: ReturnType<typeof resolve>) => o.durationMs, 60_000],
    ["RATE_LIMIT", "2500", (o: ReturnType<typeof resolve>) => o.rate, 2500],
    ["TRANSPORT", "tcp", (o: ReturnType<typeof resolve>) => o.server.kind, "tcp"],
    ["SERVICE", "crypto", (o: ReturnType<typeof resolve>) => o.service, "crypto"],
    ["BENCHMARK_TYPE", "both", (o: ReturnType<typeof resolve>) => o.service, "both"],
  ])("%s=%s", (name, value, get, expected) => {
    expect(get(resolve({}, { [name]: value }))).toEqual(expected as never);
  });

  test("the first name of a row wins over its alias", () => {
    expect(resolve({}, { CONNECTIONS: "3", CONCURRENT_REQUESTS: "5" }).connections).toBe(3);
    expect(resolve({}, { REQUESTS: "3", TOTAL_REQUESTS: "5" }).requests).toBe(3);
    expect(resolve({}, { SERVICE: "crypto", BENCHMARK_TYPE: "both" }).service).toBe("crypto");
  });

  test("flags win over env", () => {
    const o = resolve(
      { server: "127.0.0.1:1234", connections: "2", requests: "9", rate: "10", service: "echo" },
      { SERVER_ADDR: "127.0.0.1:9", CONNECTIONS: "8", REQUESTS: "99", RATE_LIMIT: "99", SERVICE: "crypto" },
    );
    expect(o.server).toEqual({ kind: "tcp", host: "127.0.0.1", port: 1234 });
    expect([o.connections, o.requests, o.rate, o.service]).toEqual([2, 9, 10, "echo"]);
  });

  test("an empty variable counts as unset", () => {
    expect(resolve({}, { CONNECTIONS: "" }).connections).toBe(10);
  });

  test("bad values name their source", () => {
    expect(error({}, { CONNECTIONS: "many" })).toContain("CONNECTIONS");
    expect(error({ connections: "0" })).toContain("--connections");
    expect(error({}, { DURATION: "soon" })).toContain("DURATION");
    expect(error({}, { RATE_LIMIT: "-5" })).toContain("RATE_LIMIT");
    expect(error({}, { SERVICE: "nope" })).toContain("SERVICE");
    expect(error({ alg: "md5" })).toContain("--alg");
  });

  test("--alg takes the short names and the enum names, as `call sign` does", () => {
    expect(resolve({ alg: "rsa-pss, ECDSA_P384_SHA384,rsa_pkcs1_sha256" }).algorithms).toEqual([
      "rsa-pss",
      "ecdsa-p384",
      "rsa-pkcs1",
    ]);
  });
});

describe("transport", () => {
  test("must agree with the address", () => {
    expect(error({ transport: "vsock", server: "127.0.0.1:50051" })).toContain("does not match");
    expect(error({}, { TRANSPORT: "tcp", SERVER_ADDR: "vsock://3:5000" })).toContain("does not match");
    expect(resolve({ transport: "vsock", server: "vsock://3:5000" }).server.kind).toBe("vsock");
  });
  test("unknown transport is refused", () => {
    expect(error({ transport: "udp" })).toContain("not one of");
  });
});

describe("presets", () => {
  test.each([
    ["light", 10, 10, 5_000],
    ["medium", 50, 50, 10_000],
    ["heavy", 100, 100, 15_000],
    ["latency", 1, 1, 10_000],
  ])("%s", (preset, connections, concurrency, durationMs) => {
    const o = resolve({ preset });
    expect([o.connections, o.concurrency, o.durationMs, o.requests]).toEqual([
      connections,
      concurrency,
      durationMs,
      undefined,
    ]);
  });
  test("throughput has more calls in flight than connections", () => {
    const o = resolve({ preset: "throughput" });
    expect(o.concurrency).toBeGreaterThan(o.connections);
  });
  test("explicit flags beat the preset, the preset beats env", () => {
    expect(resolve({ preset: "heavy", connections: "3" }).connections).toBe(3);
    expect(resolve({ preset: "heavy" }, { CONNECTIONS: "3" }).connections).toBe(100);
    expect(resolve({ preset: "light", requests: "50" })).toMatchObject({ requests: 50, durationMs: undefined });
  });
  test("unknown preset", () => {
    expect(error({ preset: "extreme" })).toContain("--preset");
  });
});

describe("planThreads", () => {
  test("split is near-equal and exact", () => {
    expect(split(10, 3)).toEqual([4, 3, 3]);
    expect(split(2, 4)).toEqual([1, 1, 0, 0]);
  });
  test("every connection in exactly one thread; slots add up to the concurrency", () => {
    for (const [c, m, t] of [
      [10, 10, 4],
      [3, 100, 2],
      [1, 1, 4],
      [100, 256, 3],
    ] as const) {
      const plans = planThreads(c, m, t);
      const conns = plans.flatMap((p) => p.connections);
      expect(conns.map((x) => x.index).sort((a, b) => a - b)).toEqual(Array.from({ length: c }, (_, i) => i));
      expect(conns.reduce((n, x) => n + x.slots, 0)).toBe(m);
      expect(Math.min(...conns.map((x) => x.slots))).toBeGreaterThanOrEqual(1);
      expect(plans.length).toBe(Math.min(c, t));
    }
  });
});

describe("open-loop schedule", () => {
  const s = (thread: number) => ({ rate: 1000, threads: 3, thread, startMs: 100 });
  test("threads interleave into one even schedule", () => {
    const dues = [0, 1, 2].flatMap((t) => Array.from({ length: 4 }, (_, i) => dueAt(s(t), i))).sort((a, b) => a - b);
    expect(dues).toEqual(Array.from({ length: 12 }, (_, k) => 100 + k));
  });
  test("a total of N calls is split exactly", () => {
    for (const n of [0, 1, 2, 10, 1001]) {
      expect(callsOfThread(n, 3, 0) + callsOfThread(n, 3, 1) + callsOfThread(n, 3, 2)).toBe(n);
    }
  });
  test("calls due before an end time", () => {
    // due at 100..109 (exclusive end 110): 10 calls over three threads
    const total = [0, 1, 2].reduce((n, t) => n + callsBefore(s(t), 110), 0);
    expect(total).toBe(10);
    expect(callsBefore(s(0), 50)).toBe(0);
  });
});

describe("workload rotation", () => {
  test("services alternate; a service's bodies (one per algorithm) take turns", () => {
    const workloads = buildWorkloads({ service: "both", payloadSize: 8, algorithms: ["ecdsa-p256", "ecdsa-p384"] });
    const r = new Rotation(workloads);
    const picks = Array.from({ length: 6 }, () => {
      const w = r.next();
      return `${workloads[w]?.service}:${workloads[w]?.bodies.indexOf(r.body)}`;
    });
    expect(picks).toEqual(["echo:0", "crypto:0", "echo:0", "crypto:1", "echo:0", "crypto:0"]);
  });
});

describe("client implementation", () => {
  test("lean by default; --client and GRPC_CLIENT choose, the flag winning", () => {
    expect(resolve({}).client).toBe("lean");
    expect(resolve({ client: "http2" }).client).toBe("http2");
    expect(resolve({}, { GRPC_CLIENT: "http2" }).client).toBe("http2");
    expect(resolve({ client: "lean" }, { GRPC_CLIENT: "http2" }).client).toBe("lean");
  });
  test("an unknown client is an error naming the choices", () => {
    expect(error({ client: "grpc-js" })).toContain("lean, http2");
    expect(error({}, { GRPC_CLIENT: "x" })).toContain("GRPC_CLIENT");
  });
});

describe("--call", () => {
  test("the method, its data and schema flags", () => {
    const o = resolve({ call: "pkg.S/M", data: "{}", protos: ["a.proto"], importPaths: ["inc"] });
    expect(o.call).toEqual({
      method: "pkg.S/M",
      data: "{}",
      dataFile: undefined,
      schema: { protos: ["a.proto"], importPaths: ["inc"], protoset: undefined },
    });
    expect(resolve({}).call).toBeUndefined();
    // An ambient SERVICE does not clash with --call; only the flag does.
    expect(resolve({ call: "pkg.S.M" }, { SERVICE: "crypto" }).call?.method).toBe("pkg.S.M");
  });

  test.each([
    [{ call: "pkg.S/M", service: "echo" }, "--call and --service exclude each other"],
    [{ call: "pkg.S/M", alg: "rsa-pss", "payload-size": "8" }, "--call and --payload-size, --alg exclude each other"],
    [{ call: "pkg.S/M", data: "{}", "data-file": "x" }, "-d/--data and --data-file exclude each other"],
    [{ call: "pkg.S/M", protoset: "x.pb", protos: ["a.proto"] }, "--proto and --protoset exclude each other"],
    [{ data: "{}" }, "-d/--data need --call"],
    [{ protoset: "x.pb" }, "--protoset need --call"],
    [{ call: "nodots" }, "is not pkg.Service/Method"],
  ] as [BenchFlags, string][])("%p", (flags, message) => {
    expect(error(flags)).toContain(message);
  });

  test("Rotation starts where it is told (a thread's offset into --data-file's lines)", () => {
    const bodies = [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")];
    const r = new Rotation([{ service: "x", path: "/x", bodies }], 2);
    const seen = [0, 1, 2, 3].map(() => {
      r.next();
      return r.body.toString();
    });
    expect(seen).toEqual(["c", "a", "b", "c"]);
  });
});

describe("streaming settings", () => {
  test("echo-stream: 100 messages per stream by default; --stream-rate paces and stretches the default deadline", () => {
    const a = resolveOptions({ service: "echo-stream" }, {}, 2);
    expect(a.ok && a.options.stream).toEqual({ messages: 100, rate: undefined });
    const b = resolveOptions({ service: "echo-stream", "stream-messages": "50", "stream-rate": "10" }, {}, 2);
    expect(b.ok && b.options.stream).toEqual({ messages: 50, rate: 10 });
    expect(b.ok && b.options.timeoutMs).toBe(15_000);
  });

  test("stream flags on a unary run are refused, naming the flag", () => {
    const r = resolveOptions({ "stream-messages": "5" }, {}, 2);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("--stream-messages is for streaming methods");
  });
});
