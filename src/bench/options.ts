// Turning flags and environment variables into one validated BenchOptions. Pure: the caller passes the
// flags, the environment and the CPU count, so every rule here is unit-testable. The load part is read in
// load-options.ts, the workload part in workload-options.ts, shards and --start-at in distributed.ts.
//
// Precedence: an explicit flag, then the preset, then the environment (the replaced system's variable
// names), then the default. A preset is chosen on the command line, so it beats ambient variables.

import type { LoadShape } from "../load/shape.ts";
import type { ShardRun } from "../load/shard.ts";
import type { WireFormat } from "../protocol/wire.ts";
import type { ClientKind, Metadata } from "../rpc/channel.ts";
import type { ReconnectSettings } from "../rpc/reconnect.ts";
import {
  type Address,
  DEFAULT_ADDRESS,
  formatAddress,
  parseAddress,
  type TransportKind,
} from "../transport/address.ts";
import type { ClientTls } from "../transport/tls.ts";
import { distributedOptions } from "./distributed.ts";
import { DEFAULT_STEP_WARMUP_MS, type FindMaxSettings } from "./find-max/options.ts";
import type { BenchFlags } from "./flags.ts";
import { runLoadOf, sizesOf } from "./load-options.ts";
import { duration, type Env, OptionError, type Settings, settingsOf, size } from "./option-values.ts";
import { pinOptionsOf as pinOf } from "./pin-options.ts";
import type { PinPlan } from "./pin-plan.ts";
import { isPresetName, PRESETS, type PresetName } from "./presets.ts";
import { lossOptionsOf } from "./reconnect-options.ts";
import type { StreamSettings, StreamWorkload } from "./stream/workload.ts";
import type { ServiceChoice } from "./workload.ts";
import {
  type CallTarget,
  callTarget,
  defaultTimeout,
  serverSpeed,
  serviceOf,
  streamFlagsGiven,
} from "./workload-options.ts";

export type { CallTarget } from "./workload-options.ts";

const DEFAULT_PAYLOAD_SIZE = 16;
const DEFAULT_INTERVAL_MS = 1000;
/** Shorter intervals hold too few calls for their percentiles to mean much, and bloat the report. */
const MIN_INTERVAL_MS = 100;

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
  /** --reconnect-backoff, --wait-for-ready: connections come back after the server went away. */
  readonly reconnect: ReconnectSettings;
  /** --stop-on-loss: a server gone mid-run ends it (as before issue 30). */
  readonly stopOnLoss: boolean;
  readonly preset: PresetName | undefined;
  readonly json: boolean;
  /** -O html, csv or markdown: the report rendered as grpcperf report renders it (text and json: `json`). */
  readonly format?: "html" | "csv" | "markdown";
  readonly output: string | undefined;
  readonly quiet: boolean;
  /** HTTP/2 client implementation: lean (our own) or http2 (node:http2). */
  readonly client: ClientKind;
  /** The protocol and codec of every call: gRPC with protobuf unless --protocol / --codec say otherwise. */
  readonly wire: WireFormat;
  /** --protocols: the run once per protocol (./protocols.ts). */
  readonly protocols?: readonly string[];
  /** --http-get: Connect unary calls as GET. */
  readonly httpGet?: boolean;
  /** --http1: Connect or gRPC-Web over HTTP/1.1. */
  readonly http1?: boolean;
  /** --pin-cpus: where load threads and the runtime's threads run, checked against this process's CPUs. */
  readonly pin?: PinPlan;
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
  /** --shard / JOB_COMPLETION_INDEX: this process runs one slice of the whole (distributed.ts). */
  readonly shard?: ShardRun;
  /** --start-at: the measured phase starts at this Unix time (ms), after connecting and warming up. */
  readonly startAtMs?: number;
  /** --report-markers: the JSON report on stdout between marker lines (for kubectl logs). */
  readonly reportMarkers?: boolean;
}

type Resolved = { ok: true; options: BenchOptions } | { ok: false; error: string };

const TRANSPORTS: readonly TransportKind[] = ["tcp", "unix", "vsock", "hvsock"];

const FORMATS = ["text", "json", "html", "csv", "markdown"] as const;
type ReportFormat = (typeof FORMATS)[number];

function reportFormat(flags: BenchFlags): ReportFormat {
  const format = flags.format?.trim().toLowerCase();
  if (format === undefined) return flags.json === true ? "json" : "text";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new OptionError(`--format: "${flags.format}" is not one of ${FORMATS.join(", ")}`);
  if (flags.json === true && format !== "json")
    throw new OptionError(`--json and --format ${format} exclude each other`);
  return format as ReportFormat;
}

function presetOf(flags: BenchFlags): PresetName | undefined {
  if (flags.preset === undefined) return undefined;
  if (!isPresetName(flags.preset)) {
    throw new OptionError(`--preset: "${flags.preset}" is not one of ${Object.keys(PRESETS).join(", ")}`);
  }
  return flags.preset;
}

/** The server's address, and --transport / TRANSPORT checked against it. */
function serverOf(s: Settings): Address {
  const serverRaw = s.pick("server");
  const parsed = parseAddress(serverRaw?.value ?? DEFAULT_ADDRESS, "connect");
  if (!parsed.ok) throw new OptionError(serverRaw ? `${serverRaw.source}: ${parsed.error}` : parsed.error);
  const server = parsed.address;
  const transportRaw = s.pick("transport");
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
  return server;
}

/** --warmup (--find-max's steps warm up 2 s by default), and room for one step within --find-max's -z. */
function warmupOf(flags: BenchFlags, findMax: FindMaxSettings | undefined): number {
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
  return warmupMs;
}

function interval(value: string): number {
  const ms = duration({ value, source: "--interval" });
  if (ms < MIN_INTERVAL_MS) throw new OptionError(`--interval: "${value}" is below ${MIN_INTERVAL_MS}ms`);
  return ms;
}

/** Each part read in the order its errors are reported: the first bad setting is the one named. */
function resolveOrThrow(flags: BenchFlags, env: Env, cpus: number): BenchOptions {
  const preset = presetOf(flags);
  const s = settingsOf(flags, env, preset);
  const server = serverOf(s);
  const sizes = sizesOf(s, cpus);
  const run = runLoadOf(s, sizes);
  const { service, stream, algorithms, client, wire, protocols, httpGet, http1 } = serviceOf(s);
  const warmupMs = warmupOf(flags, sizes.findMax);
  const call = callTarget(flags);
  const speed = serverSpeed(flags, call === undefined && (service === "echo" || service === "echo-stream"));
  const intervalMs = flags.interval ? interval(flags.interval) : DEFAULT_INTERVAL_MS;
  const payloadSize = flags["payload-size"]
    ? size({ value: flags["payload-size"], source: "--payload-size" })
    : DEFAULT_PAYLOAD_SIZE;
  const timeoutMs = flags.timeout ? duration({ value: flags.timeout, source: "--timeout" }) : defaultTimeout(stream);
  const connectTimeout = flags["connect-timeout"]
    ? { connectTimeoutMs: duration({ value: flags["connect-timeout"], source: "--connect-timeout" }) }
    : {};
  const format = reportFormat(flags);
  return {
    server,
    connections: sizes.connections,
    concurrency: sizes.concurrency,
    ...(sizes.notes.length > 0 ? { notes: sizes.notes } : {}),
    threads: sizes.threads,
    ...run,
    service,
    warmupMs,
    intervalMs,
    payloadSize,
    algorithms,
    timeoutMs,
    ...connectTimeout,
    ...lossOptionsOf(flags),
    ...pinOf(flags["pin-cpus"]),
    preset,
    json: format === "json",
    ...(format === "html" || format === "csv" || format === "markdown" ? { format } : {}),
    output: flags.output,
    quiet: flags.quiet === true,
    client,
    wire,
    ...(protocols ? { protocols } : {}),
    ...(httpGet ? { httpGet } : {}),
    ...(http1 ? { http1 } : {}),
    call,
    ...(stream && call === undefined ? { stream } : {}),
    ...(stream && call !== undefined ? { callStream: { ...stream, given: streamFlagsGiven(flags) } } : {}),
    ...speed,
    ...(sizes.findMax ? { findMax: sizes.findMax } : {}),
  };
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
