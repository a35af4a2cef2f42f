import { cpus } from "node:os";
import { defineCommand } from "citty";
import { ECHO_STREAM_PATH } from "../api/echo.ts";
import { CALIBRATE_RATES, CALIBRATE_SCHEMA_ID, calibrate, formatCalibration } from "../bench/calibrate.ts";
import { runFindMax } from "../bench/find-max/run.ts";
import { DEFAULT_CONNECTIONS, resolveOptions } from "../bench/options.ts";
import { runBench, THRESHOLD_FAILED } from "../bench/run.ts";
import { servicesOf } from "../bench/workload.ts";
import { log } from "../log.ts";
import { checkScopes, parseThresholds } from "../report/threshold.ts";
import { Status } from "../rpc/status.ts";
import { parseDuration } from "../units.ts";
import { applyLogLevel, CliError, logLevelArg } from "./args.ts";
import { CLIENT_FOREIGN, peerProblem, tlsClientArgs, tlsFromArgs } from "./call/common.ts";
import { USAGE_EXIT, withHelp } from "./help.ts";
import { parseHeaders, parseMetadataJson } from "./metadata.ts";
import { checkWritable } from "./output.ts";
import { repeated } from "./repeated.ts";
import { splitTarget } from "./target.ts";

/** The closed loop's concurrency schedule: --concurrency-stages, or ghz's --concurrency-* flags (with -z). */
const concurrencyScheduleArgs = {
  "concurrency-stages": {
    type: "string",
    description: "closed loop, calls in flight over time: 10s:10,30s:100 (DUR:N ramps, DUR:FROM-TO); sets the length",
  },
  "concurrency-schedule": {
    type: "string",
    description: "ghz's const, step or line concurrency schedule (with -z and the --concurrency-* flags)",
  },
  "concurrency-start": { type: "string", description: "--concurrency-schedule: calls in flight at the start" },
  "concurrency-step": {
    type: "string",
    description: "--concurrency-schedule: change per step (line: per second; default 1)",
  },
  "concurrency-step-duration": { type: "string", description: "--concurrency-schedule step: length of each step" },
  "concurrency-end": { type: "string", description: "--concurrency-schedule: the level to stop changing at" },
  "concurrency-max-duration": {
    type: "string",
    description: "--concurrency-schedule: stop changing the level after this long (then --concurrency-end)",
  },
} as const;

/** --tags: k=v, k=v,k2=v2, or ghz's JSON object of strings; undefined when none is given. */
export function parseTags(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const value of values) {
    if (value.trim().startsWith("{")) {
      let o: unknown;
      try {
        o = JSON.parse(value);
      } catch {
        throw new CliError(`--tags: ${JSON.stringify(value)} is not a JSON object (or give k=v)`, 2);
      }
      if (typeof o !== "object" || o === null || Array.isArray(o))
        throw new CliError(`--tags: ${JSON.stringify(value)} is not a JSON object (or give k=v)`, 2);
      for (const [k, v] of Object.entries(o)) tags[k] = String(v);
      continue;
    }
    for (const pair of value.split(",")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new CliError(`--tags: "${pair}" is not k=v`, 2);
      tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
  }
  return tags;
}

/**
 * ghz's short flags that mean something else here, said before any call (the run still goes as asked):
 * -c above the default connections without --concurrency (ghz's workers: -c 50, -c 100), and -t above the
 * CPU count (ghz's timeout in seconds). Smaller -c values load the same either way: one call in flight each.
 */
export function ghzHabits(rawArgs: readonly string[], cpuCount: number): string[] {
  const warnings: string[] = [];
  const concurrencyGiven = rawArgs.some((a) => a === "--concurrency" || a.startsWith("--concurrency="));
  for (let i = 0; i < rawArgs.length; i++) {
    const m = /^-([tc])(?:=?(.+))?$/.exec(rawArgs[i] as string);
    if (!m) continue;
    const value = m[2] ?? rawArgs[i + 1] ?? "";
    if (m[1] === "t" && !(Number(value) > cpuCount)) continue;
    if (m[1] === "c" && (concurrencyGiven || !(Number(value) > DEFAULT_CONNECTIONS))) continue;
    warnings.push(
      m[1] === "t"
        ? `-t ${value} is ${value} load threads here (this machine has ${cpuCount} CPUs); ghz's -t (a timeout) is --timeout`
        : `-c ${value} is ${value} HTTP/2 connections here; ghz's -c (workers, calls in flight) is --concurrency`,
    );
  }
  return warnings;
}

const bench = defineCommand({
  meta: { name: "bench", description: "Load-test a server: closed loop, or open loop with --rate (see README)" },
  args: {
    server: { type: "string", alias: "s", description: "server address (env SERVER_ADDR, default 127.0.0.1:50051)" },
    connections: {
      type: "string",
      alias: "c",
      description: "HTTP/2 connections (env CONNECTIONS, CONCURRENT_REQUESTS; default 10)",
    },
    concurrency: { type: "string", description: "calls in flight at most, spread over connections (env CONCURRENCY)" },
    threads: { type: "string", alias: "t", description: "load threads (env THREADS; default min(4, CPUs))" },
    requests: { type: "string", alias: "n", description: "total calls (env REQUESTS, TOTAL_REQUESTS; default 1000)" },
    duration: { type: "string", alias: "z", description: "run time, e.g. 30s, 2m, 60 = 60s (env DURATION)" },
    rate: { type: "string", alias: "r", description: "calls/s in total: open loop (env RATE_LIMIT)" },
    stages: {
      type: "string",
      description: "open loop ramping: 10s:1000,30s:5000 (DUR:RATE or DUR:FROM-TO); sets the length",
    },
    "start-rate": {
      type: "string",
      description:
        "--stages: the first stage ramps from this rate (default 0); --find-max: the first step (default 100)",
    },
    "load-schedule": {
      type: "string",
      description: "ghz's step or line rate schedule (with -z and the --load-* flags)",
    },
    "load-start": { type: "string", description: "--load-schedule: starting calls/s" },
    "load-step": { type: "string", description: "--load-schedule: change per step (line: per second)" },
    "load-step-duration": { type: "string", description: "--load-schedule step: length of each step" },
    "load-end": { type: "string", description: "--load-schedule: the rate to stop changing at" },
    "load-max-duration": { type: "string", description: "--load-schedule: stop changing the rate after this long" },
    calibrate: {
      type: "boolean",
      description: "no server: measure this machine's pacer precision (send lag) at 100 to 50,000/s and print it",
    },
    "find-max": {
      type: "boolean",
      description: "search the highest rate that meets every --slo (steps of constant rate; -z bounds it, default 5m)",
    },
    slo: {
      type: "string",
      description: "--find-max: a bar each step must meet, e.g. p99<2ms, error_rate<0.1% (repeatable)",
    },
    precision: { type: "string", description: "--find-max: stop when the bracket is this close (default 5%)" },
    "step-duration": { type: "string", description: "--find-max: each step's measured length (default 5s)" },
    "max-rate": {
      type: "string",
      description: "no call rate above this: refuses a --rate or --stages that peaks higher; --find-max's cap",
    },
    ...concurrencyScheduleArgs,
    transport: { type: "string", description: "tcp, unix, vsock, hvsock: must match the address (env TRANSPORT)" },
    service: {
      type: "string",
      description: "echo, crypto, both, or echo-stream (bidi; -n counts streams) (env SERVICE, BENCHMARK_TYPE)",
    },
    "stream-messages": { type: "string", description: "streaming: messages each stream sends (default 100)" },
    "stream-rate": { type: "string", description: "streaming: messages/s within each stream (default: ping-pong)" },
    "server-delay": {
      type: "string",
      description: "echo, echo-stream: the server waits this long per call, e.g. 5ms (server_delay_us; ≤ 60s)",
    },
    "server-busy": {
      type: "string",
      description: "echo, echo-stream: the server spins its CPU this long per call, e.g. 500us (≤ 1s)",
    },
    warmup: { type: "string", description: "load before measuring, not in the results (e.g. 2s)" },
    interval: { type: "string", description: "JSON report's timeline: one point per interval (default 1s, min 100ms)" },
    "payload-size": { type: "string", description: "echo payload / message to sign, bytes (default 16)" },
    alg: {
      type: "string",
      description: "rsa-pkcs1, rsa-pss, ecdsa-p256, ecdsa-p384; comma-separated (default ecdsa-p256)",
    },
    timeout: { type: "string", description: "deadline per call, and bound of connecting (default 10s)" },
    "connect-timeout": { type: "string", description: "bound of connecting: TCP, TLS, the server's SETTINGS" },
    preset: { type: "string", description: "light, medium, heavy, latency or throughput" },
    json: { type: "boolean", description: "one JSON document (schema/bench-report.schema.json)" },
    format: {
      type: "string",
      alias: "O",
      description: "text (default), json (= --json), html, csv (the time series) or markdown, as grpcperf report",
    },
    output: { type: "string", alias: "o", description: "write the report to FILE instead of stdout" },
    quiet: { type: "boolean", alias: "q", description: "no progress line, warnings and errors only" },
    client: { type: "string", description: "HTTP/2 client: lean (default) or http2, node:http2 (env GRPC_CLIENT)" },
    // Any method, unary or streaming (see README "bench --call"); metadata also goes with echo and crypto.
    call: {
      type: "string",
      description: "pkg.Service/Method (or pkg.Service.Method): load any method, unary or streaming",
    },
    data: {
      type: "string",
      alias: "d",
      description: "--call's request: JSON, @file or @- (stdin); templates, see README",
    },
    "data-file": { type: "string", alias: "D", description: "--call's requests, one JSON a line (NDJSON), in turn" },
    proto: { type: "string", description: ".proto file of --call's method (repeatable; default: server reflection)" },
    "import-path": { type: "string", description: "directory --proto's imports are searched in (repeatable)" },
    protoset: { type: "string", description: "FileDescriptorSet (protoc -o --include_imports) of --call's method" },
    header: { type: "string", alias: "H", description: "metadata 'name: value' on every call (repeatable)" },
    metadata: {
      type: "string",
      alias: "m",
      description: 'metadata as a JSON object (ghz\'s -m): \'{"name":"value"}\'',
    },
    name: { type: "string", description: "the run's label in the report, compare and the HTML page (ghz's --name)" },
    tags: { type: "string", description: "labels of the run: k=v (repeatable, or k=v,k2=v2; ghz's JSON object too)" },
    html: {
      type: "string",
      description: "also write the run as one self-contained HTML page (grpcperf report --html)",
    },
    threshold: {
      type: "string",
      description: "pass/fail bar, e.g. p99<2ms, error_rate<0.1%, rps>=5000, crypto:p99<5ms (repeatable; exit 99)",
    },
    // Distributed runs (README "More than one machine").
    shard: { type: "string", description: "run slice I of N of the load: 0/4 … 3/4 (remainders go to the lowest)" },
    shards: { type: "string", description: "shard count, the index from JOB_COMPLETION_INDEX (env GRPCPERF_SHARDS)" },
    "start-at": {
      type: "string",
      description: "connect and warm up, then measure from this wall-clock time (RFC 3339 or Unix seconds)",
    },
    "report-markers": {
      type: "boolean",
      description: "the JSON report on one stdout line between --- grpcperf report … begin/end --- markers",
    },
    ...tlsClientArgs,
    ...logLevelArg,
  },
  async run({ args, rawArgs }) {
    applyLogLevel(args.quiet && !args["log-level"] ? "warn" : args["log-level"]);
    if (args.calibrate) return await runCalibrate(args);
    // ghz's order: `bench … ADDR`; never loads another address than the one named.
    const target = splitTarget(args.server, args._);
    const flags = {
      ...args,
      server: target.server,
      protos: repeated(rawArgs, "proto"),
      importPaths: repeated(rawArgs, "import-path"),
      slos: repeated(rawArgs, "slo"),
    };
    const r = resolveOptions(flags, process.env, cpus().length);
    if (!r.ok) throw new CliError(r.error, 2);
    for (const w of ghzHabits(rawArgs, cpus().length)) log.warn(w);
    // Output places are tried before any call: a typo'd directory must not cost the run's results.
    checkWritable(r.options.output, "-o");
    checkWritable(args.html, "--html");
    // Bars are checked before any call is sent: a typo must not cost a whole run.
    const thresholds = parseThresholds(repeated(rawArgs, "threshold"));
    if (!thresholds.ok) throw new CliError(thresholds.error, 2);
    const labels = r.options.call
      ? [r.options.call.method]
      : r.options.service === "echo-stream"
        ? [ECHO_STREAM_PATH.slice(1)]
        : servicesOf(r.options.service);
    const scopeProblem = checkScopes(thresholds.value, labels);
    if (scopeProblem !== undefined) throw new CliError(scopeProblem, 2);
    const findMax = r.options.findMax;
    if (findMax && r.options.format !== undefined)
      throw new CliError(
        `--find-max: -O ${r.options.format} is not available (--html FILE writes the search's page)`,
        2,
      );
    if (findMax) {
      if (thresholds.value.length > 0) throw new CliError("--find-max takes its bars as --slo, not --threshold", 2);
      const sloProblem = checkScopes(findMax.slos, labels);
      if (sloProblem !== undefined) throw new CliError(sloProblem.replace(/^--threshold/, "--slo"), 2);
    }
    const metadata = [
      ...parseHeaders(repeated(rawArgs, "header", "H")),
      ...(args.metadata === undefined ? [] : parseMetadataJson(args.metadata)),
    ];
    const tags = parseTags(repeated(rawArgs, "tags"));
    const options = {
      ...r.options,
      tls: tlsFromArgs(args, r.options.server),
      metadata,
      htmlOutput: args.html,
      ...(args.name === undefined || args.name === "" ? {} : { name: args.name }),
      ...(tags === undefined ? {} : { tags }),
    };
    const exit = findMax ? await runFindMax(options, findMax) : await runBench(options, thresholds.value);
    if (exit.error) {
      // "frame of 3940676 bytes" is an HTTP/1 answer read as HTTP/2: ask the peer what it is.
      const problem =
        exit.code === 1
          ? await peerProblem({ address: options.server, tls: options.tls !== undefined }, Status.UNAVAILABLE)
          : undefined;
      throw new CliError(problem === undefined ? exit.error : `${problem} (${exit.error})`, exit.code);
    }
    process.exitCode = exit.code;
  },
});

/** --calibrate: the pacer alone, at a few rates, -z each (default 2 s); text, or JSON with --json / -O json. */
async function runCalibrate(args: { duration?: string; format?: string; json?: boolean; output?: string }) {
  const ms = args.duration === undefined ? 2000 : parseDuration(args.duration);
  if (ms === undefined || ms <= 0 || ms > 60_000)
    throw new CliError(`--calibrate -z: "${args.duration}" is not a duration up to 1m`, 2);
  const format = args.format?.trim().toLowerCase() ?? (args.json ? "json" : "text");
  if (format !== "text" && format !== "json") throw new CliError(`--format: "${args.format}" is not text or json`, 2);
  const rows = await calibrate(CALIBRATE_RATES, ms);
  const out =
    format === "json"
      ? `${JSON.stringify({ schema: CALIBRATE_SCHEMA_ID, seconds_per_rate: ms / 1000, rates: rows }, null, 2)}\n`
      : formatCalibration(rows, ms);
  if (args.output === undefined) process.stdout.write(out);
  else await Bun.write(args.output, out);
}

export default withHelp(bench, {
  env: [
    ["SERVER_ADDR", "server address (--server)"],
    ["CONNECTIONS, CONCURRENT_REQUESTS", "HTTP/2 connections (--connections)"],
    ["CONCURRENCY", "calls in flight at most (--concurrency)"],
    ["THREADS", "load threads (--threads)"],
    ["REQUESTS, TOTAL_REQUESTS", "total calls (--requests)"],
    ["DURATION", "run time; a bare number is seconds, DURATION=60 is 1m (--duration)"],
    ["RATE_LIMIT", "calls/s in total, open loop (--rate)"],
    ["TRANSPORT", "tcp, unix, vsock, hvsock; must match the address (--transport)"],
    ["SERVICE, BENCHMARK_TYPE", "echo, crypto, both or echo-stream (--service)"],
    ["GRPC_CLIENT", "lean or http2 (--client)"],
    ["GRPCPERF_SHARDS", "shard count (--shards); the index comes from JOB_COMPLETION_INDEX"],
    ["JOB_COMPLETION_INDEX", "this shard's index, set by a Kubernetes Indexed Job (--shard wins)"],
  ],
  precedence: "a flag wins over --preset, which wins over the environment",
  exits: [
    ["0", "the run completed and at least one call succeeded; --find-max: an answer was found"],
    [
      "1",
      "server unreachable, gone mid-run or every call failed; interrupted (partial report); the report could not be written (its JSON saved aside, named on stderr)",
    ],
    USAGE_EXIT,
    [
      String(THRESHOLD_FAILED),
      "the run completed but a --threshold failed (1 wins when the run itself failed); --find-max: no step met the SLO",
    ],
  ],
  foreign: {
    ...CLIENT_FOREIGN,
    "-b": "binary request data is not taken: give JSON with -d or --data-file (NDJSON)",
    "--binary": "binary request data is not taken: give JSON with -d or --data-file (NDJSON)",
    "-B": "binary request data is not taken: give JSON with -d or --data-file (NDJSON)",
    "--binary-file": "binary request data is not taken: give JSON with -d or --data-file (NDJSON)",
    "-M": "no --metadata-file: give -m '{\"name\":\"value\"}' or -H 'name: value'",
    "--metadata-file": "no --metadata-file: give -m '{\"name\":\"value\"}' or -H 'name: value'",
    "-x": "no --max-duration: -z/--duration bounds the run",
    "--total": "use --requests/-n",
    "--rps": "use --rate/-r",
    "--max-duration": "use --duration/-z",
    "--cpus": "load threads are --threads/-t",
    "--skipFirst": "use --warmup D: load before measuring, a length of time rather than a count of calls",
    "--skip-first": "use --warmup D: load before measuring, a length of time rather than a count of calls",
    "--stream-call-count": "use --stream-messages N (messages each stream sends)",
    "--stream-interval": "use --stream-rate R (messages/s within each stream)",
    "-e": "messages are sent uncompressed: grpcperf has no message compression",
    "--enable-compression": "messages are sent uncompressed: grpcperf has no message compression",
    "--count-errors": "failed calls are always counted, by status (Failed requests, error_rate, Errors by status)",
    "--qps": "use --rate/-r (calls/s in total: an open loop)",
    "--vus": "k6's virtual users are calls in flight here: --concurrency N (closed loop)",
    "--iterations": "use --requests/-n",
  },
});
