// Every flag of `grpcperf bench`, once: its name, short alias, environment variables (the replaced system's
// names, kept working as its compatibility contract), the preset setting that fills it, its type, default and
// meaning. citty's args and the help's ENVIRONMENT rows (cli/bench.ts), the options type and the variables
// options.ts reads (here), and the docs' flag table (scripts/gen-flag-docs.ts) are all made from it.
// The TLS flags and --log-level are shared with `call` and defined beside it (cli/call/common.ts, cli/args.ts).

import type { Preset } from "./presets.ts";

export interface FlagSpec {
  readonly type: "string" | "boolean";
  /** One letter: -s, -c … (ghz's spellings where they mean the same). */
  readonly alias?: string;
  /** What the docs show after the flag: `--rate R`. */
  readonly value?: string;
  /** Environment variables that set it when the flag is not given; the first one set wins. */
  readonly env?: readonly string[];
  /** The help's ENVIRONMENT row, when it says more than `help`. */
  readonly envHelp?: string;
  /** The preset setting that fills it (a flag beats the preset, the preset beats the environment). */
  readonly preset?: keyof Preset;
  /** The default, as the docs and the help say it. */
  readonly default?: string;
  readonly help: string;
}

/** The flags in the order --help and the docs list them. A data table: exempt from the 80-line rule. */
export const BENCH_FLAGS = {
  server: {
    type: "string",
    alias: "s",
    value: "ADDR",
    env: ["SERVER_ADDR"],
    default: "127.0.0.1:50051",
    help: "server address, any form (host:port, unix:PATH, vsock://CID:PORT); or the last word",
  },
  connections: {
    type: "string",
    alias: "c",
    value: "N",
    env: ["CONNECTIONS", "CONCURRENT_REQUESTS"],
    preset: "connections",
    default: "10",
    help: "HTTP/2 connections, each its own socket",
  },
  concurrency: {
    type: "string",
    value: "M",
    env: ["CONCURRENCY"],
    preset: "concurrency",
    default: "= connections",
    help: "calls in flight at most, spread over connections (fewer: one connection per call)",
  },
  threads: {
    type: "string",
    alias: "t",
    value: "T",
    env: ["THREADS"],
    default: "min(4, CPUs)",
    help: "load threads, at most one per connection; results merged",
  },
  requests: {
    type: "string",
    alias: "n",
    value: "N",
    env: ["REQUESTS", "TOTAL_REQUESTS"],
    default: "1000 if no duration",
    help: "total calls, exactly N over all threads",
  },
  duration: {
    type: "string",
    alias: "z",
    value: "D",
    env: ["DURATION"],
    envHelp: "run time; a bare number is seconds, DURATION=60 is 1m",
    preset: "durationMs",
    help: "run time, e.g. 30s, 2m, 60 = 60s; with -n, the first reached ends the run",
  },
  rate: {
    type: "string",
    alias: "r",
    value: "R",
    env: ["RATE_LIMIT"],
    default: "none: closed loop",
    help: "calls/s in total: open loop",
  },
  stages: {
    type: "string",
    value: "S",
    help: "open loop ramping: 10s:1000,30s:5000 (DUR:RATE or DUR:FROM-TO); sets the length",
  },
  "start-rate": {
    type: "string",
    value: "R",
    default: "0; --find-max: 100",
    help: "--stages: the first stage ramps from this rate; --find-max: the first step",
  },
  "load-schedule": {
    type: "string",
    value: "K",
    help: "ghz's step or line rate schedule (with -z and the --load-* flags)",
  },
  "load-start": { type: "string", value: "R", help: "--load-schedule: starting calls/s" },
  "load-step": { type: "string", value: "R", help: "--load-schedule: change per step (line: per second)" },
  "load-step-duration": { type: "string", value: "D", help: "--load-schedule step: length of each step" },
  "load-end": { type: "string", value: "R", help: "--load-schedule: the rate to stop changing at" },
  "load-max-duration": { type: "string", value: "D", help: "--load-schedule: stop changing the rate after this long" },
  "concurrency-stages": {
    type: "string",
    value: "S",
    help: "closed loop, calls in flight over time: 10s:10,30s:100 (DUR:N ramps, DUR:FROM-TO); sets the length",
  },
  "concurrency-schedule": {
    type: "string",
    value: "K",
    help: "ghz's const, step or line concurrency schedule (with -z and the --concurrency-* flags)",
  },
  "concurrency-start": { type: "string", value: "N", help: "--concurrency-schedule: calls in flight at the start" },
  "concurrency-step": {
    type: "string",
    value: "N",
    default: "1",
    help: "--concurrency-schedule: change per step (line: per second)",
  },
  "concurrency-step-duration": {
    type: "string",
    value: "D",
    help: "--concurrency-schedule step: length of each step",
  },
  "concurrency-end": { type: "string", value: "N", help: "--concurrency-schedule: the level to stop changing at" },
  "concurrency-max-duration": {
    type: "string",
    value: "D",
    help: "--concurrency-schedule: stop changing the level after this long (then --concurrency-end)",
  },
  "pin-cpus": {
    type: "string",
    value: "LIST",
    help: "Linux: load thread i alone on the i-th CPU of LIST (1, 2-5, 0,2,4-6); the runtime's JIT, GC and other threads go to the process's other CPUs",
  },
  calibrate: {
    type: "boolean",
    help: "no server: measure this machine's pacer precision (send lag) at 100 to 50,000/s and print it",
  },
  "find-max": {
    type: "boolean",
    help: "search the highest rate that meets every --slo (steps of constant rate; -z bounds it, default 5m)",
  },
  slo: {
    type: "string",
    value: "EXPR",
    help: "--find-max: a bar each step must meet, e.g. p99<2ms, error_rate<0.1% (repeatable)",
  },
  precision: {
    type: "string",
    value: "P",
    default: "5%",
    help: "--find-max: stop when the bracket is this close",
  },
  "step-duration": {
    type: "string",
    value: "D",
    default: "5s",
    help: "--find-max: each step's measured length, after its warm-up (--warmup)",
  },
  "max-rate": {
    type: "string",
    value: "R",
    help: "no call rate above this: refuses a --rate or --stages that peaks higher; --find-max's cap",
  },
  transport: {
    type: "string",
    value: "T",
    env: ["TRANSPORT"],
    default: "from the address",
    help: "tcp, unix, vsock, hvsock: must match the address",
  },
  service: {
    type: "string",
    value: "S",
    env: ["SERVICE", "BENCHMARK_TYPE"],
    default: "echo",
    help: "echo, crypto, both, or echo-stream (bidi; -n counts streams)",
  },
  "stream-messages": {
    type: "string",
    value: "M",
    default: "100",
    help: "streaming: messages each stream sends",
  },
  "stream-rate": {
    type: "string",
    value: "R",
    default: "ping-pong",
    help: "streaming: messages/s within each stream",
  },
  "server-delay": {
    type: "string",
    value: "D",
    default: "0",
    help: "echo, echo-stream: the server waits this long per call, e.g. 5ms (server_delay_us; ≤ 60s)",
  },
  "server-busy": {
    type: "string",
    value: "D",
    default: "0",
    help: "echo, echo-stream: the server spins its CPU this long per call, e.g. 500us (≤ 1s)",
  },
  warmup: {
    type: "string",
    value: "D",
    default: "0; --find-max: 2s",
    help: "load before measuring, not in the results (e.g. 2s)",
  },
  interval: {
    type: "string",
    value: "D",
    default: "1s",
    help: "JSON report's timeline: one point per interval (min 100ms)",
  },
  "payload-size": {
    type: "string",
    value: "N",
    default: "16",
    help: "echo payload / message to sign, bytes (1KiB, 4MiB)",
  },
  alg: {
    type: "string",
    value: "A[,B]",
    default: "ecdsa-p256",
    help: "rsa-pkcs1, rsa-pss, ecdsa-p256, ecdsa-p384; comma-separated",
  },
  timeout: {
    type: "string",
    value: "D",
    default: "10s",
    help: "deadline per call, and bound of connecting",
  },
  "connect-timeout": {
    type: "string",
    value: "D",
    default: "--timeout",
    help: "bound of connecting: TCP, TLS, the server's SETTINGS",
  },
  "reconnect-backoff": {
    type: "string",
    value: "MIN..MAX",
    default: "10ms..50ms",
    help: "after a lost server, gRPC's connection backoff (x1.6, ±20% jitter) from MIN up to MAX; a short MAX measures an outage's end to within tens of ms",
  },
  "wait-for-ready": {
    type: "boolean",
    help: "calls due while no connection is ready wait for one (up to --timeout) instead of failing UNAVAILABLE",
  },
  "stop-on-loss": {
    type: "boolean",
    help: "end the run (partial report, exit 1) when the server goes away, instead of loading on through the outage",
  },
  preset: { type: "string", value: "P", help: "light, medium, heavy, latency or throughput" },
  json: { type: "boolean", help: "one JSON document (schema/bench-report.schema.json)" },
  format: {
    type: "string",
    alias: "O",
    value: "F",
    default: "text",
    help: "text, json (= --json), html, csv (the time series) or markdown, as grpcperf report",
  },
  output: {
    type: "string",
    alias: "o",
    value: "FILE",
    default: "stdout",
    help: "write the report to FILE (tried before the first call)",
  },
  quiet: { type: "boolean", alias: "q", help: "no progress line, warnings and errors only" },
  client: {
    type: "string",
    value: "C",
    env: ["GRPC_CLIENT"],
    default: "lean",
    help: "HTTP/2 client: lean or http2 (node:http2)",
  },
  protocol: {
    type: "string",
    value: "P",
    default: "grpc",
    help: "grpc, connect, grpc-web or grpc-web-text (lean client): the same load in another protocol",
  },
  http1: {
    type: "boolean",
    help: "Connect or gRPC-Web over HTTP/1.1 with keep-alive: one call in flight per connection (others wait)",
  },
  "http-get": {
    type: "boolean",
    help: "Connect's GET for --service echo (Echo is marked NO_SIDE_EFFECTS): the request in the query",
  },
  protocols: {
    type: "string",
    value: "LIST",
    help: "grpc,connect,grpc-web: the same load once per protocol, one after the other; a report each (-o FILE: FILE.PROTOCOL.json) and a compare",
  },
  codec: {
    type: "string",
    value: "C",
    default: "proto",
    help: "proto or json: how messages go on the wire (JSON is transcoded once, before the run)",
  },
  call: {
    type: "string",
    value: "METHOD",
    help: "pkg.Service/Method (or pkg.Service.Method): load any method, unary or streaming",
  },
  data: { type: "string", alias: "d", value: "JSON", help: "--call's request: JSON, @file or @- (stdin); templates" },
  "data-file": {
    type: "string",
    alias: "D",
    value: "FILE",
    help: "--call's requests, one JSON a line (NDJSON), in turn",
  },
  proto: {
    type: "string",
    value: "FILE",
    default: "server reflection",
    help: ".proto file of --call's method (repeatable)",
  },
  "import-path": { type: "string", value: "DIR", help: "directory --proto's imports are searched in (repeatable)" },
  protoset: {
    type: "string",
    value: "FILE",
    help: "FileDescriptorSet (protoc -o --include_imports) of --call's method",
  },
  header: {
    type: "string",
    alias: "H",
    value: "'K: V'",
    help: "metadata 'name: value' on every call (repeatable)",
  },
  metadata: {
    type: "string",
    alias: "m",
    value: "JSON",
    help: 'metadata as a JSON object (ghz\'s -m): \'{"name":"value"}\'',
  },
  name: { type: "string", value: "N", help: "the run's label in the report, compare and the HTML page (ghz's --name)" },
  tags: {
    type: "string",
    value: "k=v",
    help: "labels of the run: k=v (repeatable, or k=v,k2=v2; ghz's JSON object too)",
  },
  html: {
    type: "string",
    value: "FILE",
    help: "also write the run as one self-contained HTML page (as report --html)",
  },
  threshold: {
    type: "string",
    value: "EXPR",
    help: "pass/fail bar, e.g. p99<2ms, error_rate<0.1%, rps>=5000, outage<500ms (repeatable; exit 99)",
  },
  shard: {
    type: "string",
    value: "I/N",
    env: ["JOB_COMPLETION_INDEX"],
    envHelp: "this shard's index, set by a Kubernetes Indexed Job (--shard wins)",
    help: "run slice I of N of the load: 0/4 … 3/4 (remainders go to the lowest)",
  },
  shards: {
    type: "string",
    value: "N",
    env: ["GRPCPERF_SHARDS"],
    envHelp: "shard count; the index comes from JOB_COMPLETION_INDEX",
    help: "shard count, the index from JOB_COMPLETION_INDEX",
  },
  "start-at": {
    type: "string",
    value: "TIME",
    help: "connect and warm up, then measure from this wall-clock time (RFC 3339 or Unix seconds)",
  },
  "report-markers": {
    type: "boolean",
    help: "the JSON report on one stdout line between --- grpcperf report … begin/end --- markers",
  },
} as const satisfies Readonly<Record<string, FlagSpec>>;

export type BenchFlagName = keyof typeof BENCH_FLAGS;

type ValueOf<F extends FlagSpec> = F["type"] extends "boolean" ? boolean : string;

/**
 * Flags as citty hands them over (strings, or undefined when not given), and the repeatable ones the CLI
 * reads from the raw arguments: every --proto, --import-path and --slo.
 */
export type BenchFlags = { [K in BenchFlagName]?: ValueOf<(typeof BENCH_FLAGS)[K]> } & {
  protos?: readonly string[];
  importPaths?: readonly string[];
  slos?: readonly string[];
};

/** The variables of a flag, in the order they are read (none for most). */
export const envNamesOf = (name: BenchFlagName): readonly string[] => (BENCH_FLAGS[name] as FlagSpec).env ?? [];

/** The flag's line in --help: its meaning, its variables and its default. */
export function describeFlag(spec: FlagSpec): string {
  const notes = [
    spec.env ? `env ${spec.env.join(", ")}` : undefined,
    spec.default ? `default ${spec.default}` : undefined,
  ].filter((n) => n !== undefined);
  return notes.length === 0 ? spec.help : `${spec.help} (${notes.join("; ")})`;
}
