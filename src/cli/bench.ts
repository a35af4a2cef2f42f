import { cpus } from "node:os";
import { defineCommand } from "citty";
import { ECHO_STREAM_PATH } from "../api/echo.ts";
import { CALIBRATE_RATES, calibrate } from "../bench/calibrate.ts";
import { runFindMax } from "../bench/find-max/run.ts";
import { DEFAULT_CONNECTIONS } from "../bench/load-options.ts";
import { resolveOptions } from "../bench/options.ts";
import { pinOptionsOf } from "../bench/pin-options.ts";
import { cpuListText } from "../bench/pin-plan.ts";
import { runProtocols } from "../bench/protocols.ts";
import { runBench } from "../bench/run.ts";
import { servicesOf } from "../bench/workload.ts";
import { log } from "../log.ts";
import { CALIBRATE_SCHEMA_ID, formatCalibration } from "../report/calibration.ts";
import { checkScopes, parseThresholds, THRESHOLD_FAILED } from "../report/threshold.ts";
import { Status } from "../rpc/status.ts";
import { parseDuration } from "../units.ts";
import { applyLogLevel, CliError } from "./args.ts";
import { benchArgs, benchEnvRows } from "./bench-args.ts";
import { CLIENT_FOREIGN, peerProblem, tlsFromArgs } from "./call/common.ts";
import { USAGE_EXIT, withHelp } from "./help.ts";
import { parseHeaders, parseMetadataJson } from "./metadata.ts";
import { checkWritable } from "./output.ts";
import { repeated } from "./repeated.ts";
import { splitTarget } from "./target.ts";

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
  meta: { name: "bench", description: "Load-test a server: closed loop, or open loop with --rate (see docs/bench.md)" },
  args: benchArgs,
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
    if (findMax && options.protocols) throw new CliError("--find-max takes one --protocol, not --protocols", 2);
    const exit = findMax
      ? await runFindMax(options, findMax)
      : options.protocols
        ? await runProtocols(options, options.protocols, thresholds.value)
        : await runBench(options, thresholds.value);
    if (exit.error) {
      // "frame of 3940676 bytes" is an HTTP/1 answer read as HTTP/2: ask the peer what it is.
      const problem =
        exit.code === 1
          ? await peerProblem(
              { address: options.server, tls: options.tls !== undefined, wire: options.wire },
              Status.UNAVAILABLE,
            )
          : undefined;
      throw new CliError(problem === undefined ? exit.error : `${problem} (${exit.error})`, exit.code);
    }
    process.exitCode = exit.code;
  },
});

/** --calibrate: the pacer alone, at a few rates, -z each (default 2 s); text, or JSON with --json / -O json. */
async function runCalibrate(args: {
  duration?: string;
  format?: string;
  json?: boolean;
  output?: string;
  "pin-cpus"?: string;
}) {
  const ms = args.duration === undefined ? 2000 : parseDuration(args.duration);
  if (ms === undefined || ms <= 0 || ms > 60_000)
    throw new CliError(`--calibrate -z: "${args.duration}" is not a duration up to 1m`, 2);
  const format = args.format?.trim().toLowerCase() ?? (args.json ? "json" : "text");
  if (format !== "text" && format !== "json") throw new CliError(`--format: "${args.format}" is not text or json`, 2);
  const { pin } = calibratePin(args["pin-cpus"]);
  const r = await calibrate(CALIBRATE_RATES, ms, pin);
  if (!r.ok) throw new CliError(r.error, 2);
  const rows = r.rows;
  const pinned =
    pin &&
    `alone on CPU ${cpuListText(pin.load.slice(0, 1))}, the runtime on ${pin.runtime.length > 0 ? `CPU ${cpuListText(pin.runtime)}` : "the same CPU"}`;
  const out =
    format === "json"
      ? `${JSON.stringify({ schema: CALIBRATE_SCHEMA_ID, seconds_per_rate: ms / 1000, ...(pin ? { pin_cpus: pin.load.slice(0, 1), runtime_cpus: pin.runtime } : {}), rates: rows }, null, 2)}\n`
      : formatCalibration(rows, ms, pinned);
  if (args.output === undefined) process.stdout.write(out);
  else await Bun.write(args.output, out);
}

function calibratePin(text: string | undefined) {
  try {
    return pinOptionsOf(text);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

export default withHelp(bench, {
  env: benchEnvRows,
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
