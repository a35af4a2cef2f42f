// Turning flags and environment variables into one validated BenchOptions. Pure: the caller passes the
// flags, the environment and the CPU count, so every rule here is unit-testable.
//
// Precedence: an explicit flag, then the preset, then the environment (the replaced system's variable
// names), then the default. A preset is chosen on the command line, so it beats ambient variables.

import { MAX_SERVER_BUSY_US, MAX_SERVER_DELAY_US } from "../api/echo.ts";
import type { SchemaFlags } from "../client/schema.ts";
import {
  type ConcurrencyStagesResult,
  ghzConcurrencyStages,
  parseConcurrencyStages,
} from "../load/concurrency-stages.ts";
import { levelLengthOf, levelPlanOf, peakOf } from "../load/levels.ts";
import { lengthOf, meanRate, planOf } from "../load/schedule.ts";
import { closedLoad, type LoadShape, openLoad } from "../load/shape.ts";
import type { ShardRun } from "../load/shard.ts";
import { ghzStages, parseStages, type StagesResult } from "../load/stages.ts";
import { CLIENT_KINDS, type ClientKind, type Metadata } from "../rpc/channel.ts";
import {
  type Address,
  DEFAULT_ADDRESS,
  formatAddress,
  parseAddress,
  type TransportKind,
} from "../transport/address.ts";
import type { ClientTls } from "../transport/tls.ts";
import { parseDuration, parseMicros, parseSize, parseWhole } from "../units.ts";
import { distributedOptions } from "./distributed.ts";
import { DEFAULT_STEP_WARMUP_MS, type FindMaxSettings, findMaxOf, SLOTS_PER_CONNECTION } from "./find-max/options.ts";
import { type BenchFlagName, type BenchFlags, envNamesOf } from "./flags.ts";
import { isPresetName, PRESETS, type PresetName } from "./presets.ts";
import { DEFAULT_STREAM_MESSAGES, type StreamSettings, type StreamWorkload } from "./stream/workload.ts";
import { ALGORITHMS, algorithmName, DEFAULT_ALGORITHMS, type ServiceChoice } from "./workload.ts";

export type { BenchFlags } from "./flags.ts";

export const DEFAULT_CONNECTIONS = 10;
export const DEFAULT_REQUESTS = 1000;
export const DEFAULT_PAYLOAD_SIZE = 16;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_INTERVAL_MS = 1000;
/** Shorter intervals hold too few calls for their percentiles to mean much, and bloat the report. */
export const MIN_INTERVAL_MS = 100;
export const MAX_THREADS_BY_DEFAULT = 4;
/** The HTTP/2 client bench drives calls with (see README: chosen by measured calls per CPU-second). */
export const DEFAULT_CLIENT: ClientKind = "lean";

export interface BenchOptions {
  readonly server: Address;
  readonly connections: number;
  /** Calls in flight at most, over all connections. */
  readonly concurrency: number;
  readonly threads: number;
  /** Total measured calls; undefined when only a duration bounds the run. */
  readonly requests: number | undefined;
  readonly durationMs: number | undefined;
  /** Open loop (a rate or rate stages) or closed loop (optionally concurrency stages: `concurrency` is then
   * their peak), with this shard's share; built here once and handed down as it is (load/shape.ts). */
  readonly load: LoadShape;
  readonly service: ServiceChoice;
  readonly warmupMs: number;
  /** The report timeline's interval (--interval), at least MIN_INTERVAL_MS. */
  readonly intervalMs: number;
  readonly payloadSize: number;
  readonly algorithms: readonly string[];
  readonly timeoutMs: number;
  /** --connect-timeout: bounds each connection's set-up; undefined: --timeout does. */
  readonly connectTimeoutMs?: number;
  readonly preset: PresetName | undefined;
  readonly json: boolean;
  /** -O html, csv or markdown: the report rendered as grpcperf report renders it (text and json: `json`). */
  readonly format?: "html" | "csv" | "markdown";
  readonly output: string | undefined;
  readonly quiet: boolean;
  /** HTTP/2 client implementation: lean (our own) or http2 (node:http2). */
  readonly client: ClientKind;
  /** TLS over the transport (read from files by the CLI, so resolveOptions stays pure); plaintext when absent. */
  readonly tls?: ClientTls;
  /** `--call pkg.Service/Method`: any unary method instead of --service; undefined for echo/crypto. */
  readonly call: CallTarget | undefined;
  /** -H / -m metadata on every call (parsed by the CLI, as TLS is); none when absent. */
  readonly metadata?: Metadata;
  /** `--html FILE`: also write the run as grpcperf report's self-contained HTML page. */
  readonly htmlOutput?: string;
  /** --name and --tags: the run's label and free labels, copied into the report. */
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** What option resolution changed from what was asked (fewer connections than --connections), for the report. */
  readonly notes?: readonly string[];
  /** Streaming run (--service echo-stream): -n counts streams, each of `stream.messages` messages. */
  readonly stream?: StreamSettings;
  /** The streaming method when it is not EchoStream (set by --call for a streaming method). */
  readonly streamWorkload?: StreamWorkload;
  /** --call: the stream settings for when the method turns out to stream; `given`: a --stream-* flag was. */
  readonly callStream?: StreamSettings & { readonly given: boolean };
  /** --server-delay / --server-busy, µs: what each Echo or EchoStream request asks the server to take. */
  readonly serverDelayUs?: number;
  readonly serverBusyUs?: number;
  /** --find-max: a capacity search; each step runs these options at its own rate for `stepMs`. */
  readonly findMax?: FindMaxSettings;
  /** --shard / JOB_COMPLETION_INDEX: this process runs one slice of the whole (shard.ts). */
  readonly shard?: ShardRun;
  /** --start-at: the measured phase starts at this Unix time (ms), after connecting and warming up. */
  readonly startAtMs?: number;
  /** --report-markers: the JSON report on stdout between marker lines (for kubectl logs). */
  readonly reportMarkers?: boolean;
}

/** What --call asks for, before the schema is looked up (call-prepare.ts does that, with I/O). */
export interface CallTarget {
  readonly method: string;
  /** -d as given: JSON text, `@file` or `@-` (stdin); undefined means `{}` unless dataFile is set. */
  readonly data: string | undefined;
  /** --data-file: NDJSON, one request a line. */
  readonly dataFile: string | undefined;
  readonly schema: SchemaFlags;
}

export type Resolved = { ok: true; options: BenchOptions } | { ok: false; error: string };

type Env = Readonly<Record<string, string | undefined>>;

class OptionError extends Error {}

function fromEnv(env: Env, names: readonly string[]): { value: string; name: string } | undefined {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v.trim() !== "") return { value: v, name };
  }
  return undefined;
}

/** The raw text of one setting, and who set it (for error messages): the flag, else its variables. */
function pick(flags: BenchFlags, name: BenchFlagName, env: Env) {
  const flag = flags[name];
  if (typeof flag === "string" && flag !== "") return { value: flag, source: `--${name}` };
  const e = fromEnv(env, envNamesOf(name));
  return e ? { value: e.value, source: e.name } : undefined;
}

function int(raw: { value: string; source: string }, min: number): number {
  const n = parseWhole(raw.value);
  if (n === undefined || n < min) throw new OptionError(`${raw.source}: "${raw.value}" is not a whole number ≥ ${min}`);
  return n;
}

function positive(raw: { value: string; source: string }): number {
  const n = Number(raw.value.trim());
  if (!Number.isFinite(n) || n <= 0) throw new OptionError(`${raw.source}: "${raw.value}" is not a number > 0`);
  return n;
}

function duration(raw: { value: string; source: string }, allowZero = false): number {
  const ms = parseDuration(raw.value);
  if (ms === undefined || (!allowZero && ms <= 0)) {
    throw new OptionError(`${raw.source}: "${raw.value}" is not a duration (e.g. 500ms, 30s, 2m, 1h, 60)`);
  }
  return ms;
}

function interval(value: string): number {
  const ms = duration({ value, source: "--interval" });
  if (ms < MIN_INTERVAL_MS) throw new OptionError(`--interval: "${value}" is below ${MIN_INTERVAL_MS}ms`);
  return ms;
}

function size(raw: { value: string; source: string }): number {
  const n = parseSize(raw.value);
  if (n === undefined) throw new OptionError(`${raw.source}: "${raw.value}" is not a size (e.g. 16, 1KiB, 4MiB)`);
  return n;
}

const TRANSPORTS: readonly TransportKind[] = ["tcp", "unix", "vsock", "hvsock"];

const FORMATS = ["text", "json", "html", "csv", "markdown"] as const;
export type ReportFormat = (typeof FORMATS)[number];

function reportFormat(flags: BenchFlags): ReportFormat {
  const format = flags.format?.trim().toLowerCase();
  if (format === undefined) return flags.json === true ? "json" : "text";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new OptionError(`--format: "${flags.format}" is not one of ${FORMATS.join(", ")}`);
  if (flags.json === true && format !== "json")
    throw new OptionError(`--json and --format ${format} exclude each other`);
  return format as ReportFormat;
}

function resolveOrThrow(flags: BenchFlags, env: Env, cpus: number): BenchOptions {
  let preset: PresetName | undefined;
  if (flags.preset !== undefined) {
    if (!isPresetName(flags.preset)) {
      throw new OptionError(`--preset: "${flags.preset}" is not one of ${Object.keys(PRESETS).join(", ")}`);
    }
    preset = flags.preset;
  }
  const p = preset ? PRESETS[preset] : undefined;

  const serverRaw = pick(flags, "server", env);
  const parsed = parseAddress(serverRaw?.value ?? DEFAULT_ADDRESS, "connect");
  if (!parsed.ok) throw new OptionError(serverRaw ? `${serverRaw.source}: ${parsed.error}` : parsed.error);
  const server = parsed.address;

  const transportRaw = pick(flags, "transport", env);
  if (transportRaw) {
    const t = transportRaw.value.trim().toLowerCase();
    if (!TRANSPORTS.includes(t as TransportKind)) {
      throw new OptionError(`${transportRaw.source}: "${transportRaw.value}" is not one of ${TRANSPORTS.join(", ")}`);
    }
    if (t !== server.kind) {
      throw new OptionError(
        `${transportRaw.source} ${t} does not match the server address ${formatAddress(server)}, which is ${server.kind}`,
      );
    }
  }

  // A flag beats the preset; the preset beats the environment.
  const layered = (name: BenchFlagName, presetValue?: string) => {
    const flag = flags[name];
    if (typeof flag === "string" && flag !== "") return { value: flag, source: `--${name}` };
    if (presetValue !== undefined) return { value: presetValue, source: `--preset ${preset}` };
    return pick({}, name, env);
  };

  const levels = concurrencyStagesOf(flags);
  const connRaw = layered("connections", p && String(p.connections));
  const connectionsAsked = connRaw
    ? int(connRaw, 1)
    : levels
      ? Math.min(DEFAULT_CONNECTIONS, levels.peak)
      : DEFAULT_CONNECTIONS;

  const search = findMaxOf(flags);
  if (!search.ok) throw new OptionError(search.error);
  const findMax = search.value;
  if (findMax && levels)
    throw new OptionError(`--find-max and ${levels.source} exclude each other: the search sets a rate`);

  const concRaw = layered("concurrency", p?.concurrency?.toString());
  const concurrency = levels
    ? levels.peak
    : concRaw
      ? int(concRaw, 1)
      : findMax
        ? connectionsAsked * SLOTS_PER_CONNECTION
        : connectionsAsked;
  // ghz's -c is workers over one connection: fewer calls in flight than connections is a fair ask, met with
  // as many connections as calls in flight (each connection needs one), and said in the report.
  // A schedule's peak below --connections stays an error: its low levels would leave connections idle anyway.
  if (levels && concurrency < connectionsAsked) {
    throw new OptionError(
      `${levels.source} peaks at ${concurrency} calls in flight, below connections ${connectionsAsked}: every connection needs one (lower --connections)`,
    );
  }
  const connections = Math.min(connectionsAsked, concurrency);
  const notes: string[] = [];
  if (connections < connectionsAsked) {
    const asked = connRaw ? `${connRaw.source} ${connectionsAsked}` : `the default ${connectionsAsked} connections`;
    notes.push(
      `${concRaw?.source ?? "concurrency"} ${concurrency} is below ${asked}: ran ${connections} connection${connections === 1 ? "" : "s"}, one per call in flight`,
    );
  }

  const threadsRaw = pick(flags, "threads", env);
  // More threads than connections would leave threads with nothing to drive.
  const threads = Math.min(threadsRaw ? int(threadsRaw, 1) : Math.min(MAX_THREADS_BY_DEFAULT, cpus), connections);

  const durRaw = layered("duration", p && `${p.durationMs}ms`);
  const durationMs = durRaw ? duration(durRaw) : undefined;
  const reqRaw = pick(flags, "requests", env);
  // A flag-given --requests beats a preset's duration; with both set, whichever is reached first ends the run.
  const requests = reqRaw ? int(reqRaw, 1) : durationMs === undefined ? DEFAULT_REQUESTS : undefined;
  const durationFinal = reqRaw && durRaw?.source.startsWith("--preset") ? undefined : durationMs;

  const rateRaw = pick(flags, "rate", env);
  const staged = findMax ? undefined : stagesOf(flags, durationMs);
  const rate = findMax ? findMax.startRps : staged ? staged.meanRps : rateRaw ? positive(rateRaw) : undefined;
  if (!findMax)
    capRate(flags["max-rate"], staged ? Math.max(...staged.stages.map((s) => Math.max(s.fromRps, s.toRps))) : rate);

  const serviceRaw = pick(flags, "service", env);
  const service = (serviceRaw?.value.trim().toLowerCase() ?? "echo") as ServiceChoice;
  if (!["echo", "crypto", "both", "echo-stream"].includes(service)) {
    throw new OptionError(
      `${serviceRaw?.source}: "${serviceRaw?.value}" is not one of echo, crypto, both, echo-stream`,
    );
  }
  // --call's method may stream (known once its schema is found): its settings are kept for then.
  const stream = streamSettings(flags, service === "echo-stream" || given(flags.call));

  const algorithms = flags.alg
    ? flags.alg
        .split(",")
        .filter((a) => a.trim() !== "")
        .map((a) => {
          const name = algorithmName(a);
          if (!name) throw new OptionError(`--alg: "${a}" is not one of ${Object.keys(ALGORITHMS).join(", ")}`);
          return name;
        })
    : [...DEFAULT_ALGORITHMS];
  if (algorithms.length === 0) throw new OptionError("--alg: no algorithm named");

  const clientRaw = pick(flags, "client", env);
  const client = (clientRaw?.value.trim().toLowerCase() ?? DEFAULT_CLIENT) as ClientKind;
  if (!CLIENT_KINDS.includes(client)) {
    throw new OptionError(`${clientRaw?.source}: "${clientRaw?.value}" is not one of ${CLIENT_KINDS.join(", ")}`);
  }

  const warmupMs = flags.warmup
    ? duration({ value: flags.warmup, source: "--warmup" }, true)
    : findMax
      ? DEFAULT_STEP_WARMUP_MS
      : 0;
  if (findMax && findMax.boundMs < warmupMs + findMax.stepMs) {
    throw new OptionError(
      `-z/--duration ${flags.duration}: no room for one step (${findMax.stepMs / 1000}s after ${warmupMs / 1000}s warm-up)`,
    );
  }

  const call = callTarget(flags);
  const speed = serverSpeed(flags, call === undefined && (service === "echo" || service === "echo-stream"));

  return {
    server,
    connections,
    concurrency,
    ...(notes.length > 0 ? { notes } : {}),
    threads,
    requests: staged || levels || findMax ? undefined : requests,
    durationMs: findMax ? findMax.stepMs : staged ? staged.lengthMs : levels ? levels.lengthMs : durationFinal,
    load: rate === undefined ? closedLoad(levels?.stages) : openLoad(rate, staged?.stages),
    service,
    warmupMs,
    intervalMs: flags.interval ? interval(flags.interval) : DEFAULT_INTERVAL_MS,
    payloadSize: flags["payload-size"]
      ? size({ value: flags["payload-size"], source: "--payload-size" })
      : DEFAULT_PAYLOAD_SIZE,
    algorithms,
    timeoutMs: flags.timeout ? duration({ value: flags.timeout, source: "--timeout" }) : defaultTimeout(stream),
    ...(flags["connect-timeout"]
      ? { connectTimeoutMs: duration({ value: flags["connect-timeout"], source: "--connect-timeout" }) }
      : {}),
    preset,
    json: reportFormat(flags) === "json",
    ...(["html", "csv", "markdown"].includes(reportFormat(flags))
      ? { format: reportFormat(flags) as "html" | "csv" | "markdown" }
      : {}),
    output: flags.output,
    quiet: flags.quiet === true,
    client,
    call,
    ...(stream && call === undefined ? { stream } : {}),
    ...(stream && call !== undefined ? { callStream: { ...stream, given: streamFlagsGiven(flags) } } : {}),
    ...speed,
    ...(findMax ? { findMax } : {}),
  };
}

/** A duration as microseconds, no more than the server's cap. */
function micros(raw: { value: string; source: string }, capUs: number): number {
  const us = parseMicros(raw.value);
  if (us === undefined) {
    throw new OptionError(`${raw.source}: "${raw.value}" is not a duration (e.g. 500us, 20ms, 1s)`);
  }
  if (us > capUs) throw new OptionError(`${raw.source}: "${raw.value}" is above the server's cap of ${capUs / 1e6}s`);
  return us;
}

/** --server-delay / --server-busy: only grpcperf's own Echo and EchoStream read them, so refused elsewhere. */
function serverSpeed(flags: BenchFlags, echo: boolean): { serverDelayUs?: number; serverBusyUs?: number } {
  const delay = given(flags["server-delay"])
    ? { value: flags["server-delay"] as string, source: "--server-delay" }
    : undefined;
  const busy = given(flags["server-busy"])
    ? { value: flags["server-busy"] as string, source: "--server-busy" }
    : undefined;
  if (!echo) {
    const first = delay ?? busy;
    if (first) {
      throw new OptionError(`${first.source} is for --service echo or echo-stream (grpcperf's own Echo server)`);
    }
    return {};
  }
  return {
    ...(delay ? { serverDelayUs: micros(delay, MAX_SERVER_DELAY_US) } : {}),
    ...(busy ? { serverBusyUs: micros(busy, MAX_SERVER_BUSY_US) } : {}),
  };
}

/**
 * --max-rate: a guard against a typo'd schedule (one zero too many) flooding a shared server; the peak of
 * --rate or the stages above it is refused before any call. (--find-max reads it as the search's cap.)
 */
function capRate(raw: string | undefined, peak: number | undefined): void {
  if (!given(raw)) return;
  const cap = Number(raw?.trim());
  if (!Number.isFinite(cap) || cap <= 0) throw new OptionError(`--max-rate: "${raw}" is not a number of calls/s > 0`);
  if (peak === undefined) throw new OptionError("--max-rate needs --rate, --stages, --load-schedule or --find-max");
  if (peak > cap) throw new OptionError(`the schedule peaks at ${peak} calls/s, above --max-rate ${cap}`);
}

/** --stages or ghz's --load-schedule, checked against the flags that would bound the run otherwise. */
function stagesOf(flags: BenchFlags, durationMs: number | undefined) {
  const ghz = given(flags["load-schedule"]) && flags["load-schedule"]?.trim().toLowerCase() !== "const";
  const loadFlags = ["load-start", "load-step", "load-step-duration", "load-end", "load-max-duration"] as const;
  const stray = loadFlags.find((f) => given(flags[f]));
  if (!ghz && stray) throw new OptionError(`--${stray} needs --load-schedule step or line`);
  if (!given(flags.stages)) {
    if (given(flags["start-rate"])) throw new OptionError("--start-rate needs --stages or --find-max");
    if (!ghz) return undefined;
  }
  const source = ghz ? "--load-schedule" : "--stages";
  if (ghz && given(flags.stages)) throw new OptionError("--stages and --load-schedule exclude each other");
  const clash = [given(flags.rate) && "--rate", given(flags.requests) && "-n/--requests"];
  if (!ghz) clash.push(given(flags.duration) && "-z/--duration");
  const named = clash.filter((x): x is string => typeof x === "string");
  if (named.length > 0)
    throw new OptionError(
      `${source} and ${named.join(", ")} exclude each other: the schedule sets the rate and the run's length`,
    );
  let r: StagesResult;
  if (ghz) {
    if (!given(flags.duration) || durationMs === undefined)
      throw new OptionError("--load-schedule needs -z/--duration (the run's length, as in ghz)");
    r = ghzStages(
      {
        schedule: flags["load-schedule"] as string,
        start: flags["load-start"],
        step: flags["load-step"],
        stepDuration: flags["load-step-duration"],
        end: flags["load-end"],
        maxDuration: flags["load-max-duration"],
      },
      durationMs,
    );
  } else {
    const start = given(flags["start-rate"]) ? Number(flags["start-rate"]?.trim()) : 0;
    if (!Number.isFinite(start) || start < 0)
      throw new OptionError(`--start-rate: "${flags["start-rate"]}" is not a number ≥ 0`);
    r = parseStages(flags.stages as string, start);
  }
  if (!r.ok) throw new OptionError(r.error);
  const plan = planOf(r.stages);
  return { stages: r.stages, lengthMs: lengthOf(plan), meanRps: meanRate(plan, 0, lengthOf(plan)) };
}

/**
 * --concurrency-stages or ghz's --concurrency-schedule, checked against the flags that would set the load or
 * bound the run otherwise; undefined without either (ghz's `const` is no schedule).
 */
function concurrencyStagesOf(flags: BenchFlags) {
  const ghz = given(flags["concurrency-schedule"]) && flags["concurrency-schedule"]?.trim().toLowerCase() !== "const";
  const ghzFlags = [
    "concurrency-start",
    "concurrency-step",
    "concurrency-step-duration",
    "concurrency-end",
    "concurrency-max-duration",
  ] as const;
  const stray = ghzFlags.find((f) => given(flags[f]));
  if (!ghz && stray) throw new OptionError(`--${stray} needs --concurrency-schedule step or line`);
  if (!ghz && !given(flags["concurrency-stages"])) return undefined;
  const source = ghz ? "--concurrency-schedule" : "--concurrency-stages";
  if (ghz && given(flags["concurrency-stages"]))
    throw new OptionError("--concurrency-stages and --concurrency-schedule exclude each other");
  const clash = [
    given(flags.rate) && "--rate",
    given(flags.stages) && "--stages",
    given(flags["load-schedule"]) && flags["load-schedule"]?.trim().toLowerCase() !== "const" && "--load-schedule",
    given(flags.requests) && "-n/--requests",
    given(flags.concurrency) && "--concurrency",
    !ghz && given(flags.duration) && "-z/--duration",
  ].filter((x): x is string => typeof x === "string");
  if (clash.length > 0)
    throw new OptionError(
      `${source} and ${clash.join(", ")} exclude each other: the schedule sets the calls in flight and the run's length (closed loop)`,
    );
  let r: ConcurrencyStagesResult;
  if (ghz) {
    const totalMs = given(flags.duration) ? parseDuration(flags.duration as string) : undefined;
    if (totalMs === undefined || totalMs <= 0)
      throw new OptionError("--concurrency-schedule needs -z/--duration (the run's length, as in ghz)");
    r = ghzConcurrencyStages(
      {
        schedule: flags["concurrency-schedule"] as string,
        start: flags["concurrency-start"],
        step: flags["concurrency-step"],
        stepDuration: flags["concurrency-step-duration"],
        end: flags["concurrency-end"],
        maxDuration: flags["concurrency-max-duration"],
      },
      totalMs,
    );
  } else r = parseConcurrencyStages(flags["concurrency-stages"] as string);
  if (!r.ok) throw new OptionError(r.error);
  return { source, stages: r.stages, peak: peakOf(r.stages), lengthMs: levelLengthOf(levelPlanOf(r.stages)) };
}

/** --call and its flags, checked against each other and against the echo/crypto flags. */
function callTarget(flags: BenchFlags): CallTarget | undefined {
  const protos = flags.protos ?? [];
  const importPaths = flags.importPaths ?? [];
  const given = (v: string | undefined) => v !== undefined && v !== "";
  if (!given(flags.call)) {
    const needs = [
      given(flags.data) && "-d/--data",
      given(flags["data-file"]) && "--data-file",
      protos.length > 0 && "--proto",
      importPaths.length > 0 && "--import-path",
      given(flags.protoset) && "--protoset",
    ].filter((x): x is string => typeof x === "string");
    if (needs.length > 0) throw new OptionError(`${needs.join(", ")} need --call pkg.Service/Method`);
    return undefined;
  }
  const method = (flags.call as string).trim();
  if (!/^\/?[A-Za-z_][\w.]*[./][A-Za-z_]\w*$/.test(method)) {
    throw new OptionError(`--call: "${method}" is not pkg.Service/Method (or pkg.Service.Method)`);
  }
  const clash = [
    given(flags.service) && "--service",
    given(flags["payload-size"]) && "--payload-size",
    given(flags.alg) && "--alg",
  ].filter((x): x is string => typeof x === "string");
  if (clash.length > 0) {
    throw new OptionError(
      `--call and ${clash.join(", ")} exclude each other: --call sends the method's own request (-d or --data-file)`,
    );
  }
  if (given(flags.data) && given(flags["data-file"]))
    throw new OptionError("-d/--data and --data-file exclude each other");
  if (given(flags.protoset) && protos.length > 0) throw new OptionError("--proto and --protoset exclude each other");
  return {
    method,
    data: given(flags.data) ? flags.data : undefined,
    dataFile: given(flags["data-file"]) ? flags["data-file"] : undefined,
    schema: { protos, importPaths, protoset: given(flags.protoset) ? flags.protoset : undefined },
  };
}

const given = (v: string | undefined) => v !== undefined && v !== "";
const streamFlagsGiven = (flags: BenchFlags) => given(flags["stream-messages"]) || given(flags["stream-rate"]);

/** --stream-messages / --stream-rate; refused for a unary run, where they would silently do nothing. */
function streamSettings(flags: BenchFlags, streaming: boolean): StreamSettings | undefined {
  const messagesRaw = flags["stream-messages"]
    ? { value: flags["stream-messages"], source: "--stream-messages" }
    : undefined;
  const rateRaw = flags["stream-rate"] ? { value: flags["stream-rate"], source: "--stream-rate" } : undefined;
  if (!streaming) {
    const given = messagesRaw ?? rateRaw;
    if (given)
      throw new OptionError(`${given.source} is for streaming methods (--service echo-stream, or --call of one)`);
    return undefined;
  }
  return {
    messages: messagesRaw ? int(messagesRaw, 1) : DEFAULT_STREAM_MESSAGES,
    rate: rateRaw ? positive(rateRaw) : undefined,
  };
}

/** --timeout is the deadline of a whole stream: a paced stream gets its schedule's length on top of the default. */
function defaultTimeout(stream: StreamSettings | undefined): number {
  if (stream?.rate === undefined) return DEFAULT_TIMEOUT_MS;
  return DEFAULT_TIMEOUT_MS + Math.ceil((stream.messages * 1000) / stream.rate);
}

export function resolveOptions(flags: BenchFlags, env: Env, cpus: number): Resolved {
  try {
    const d = distributedOptions(resolveOrThrow(flags, env, cpus), flags, env);
    return d.ok ? { ok: true, options: d.value } : d;
  } catch (err) {
    if (err instanceof OptionError) return { ok: false, error: err.message };
    throw err;
  }
}
