// The workload part of the options: which calls are sent (--service, --alg, --call and its request
// flags, the streaming flags, --server-delay/--server-busy) and by which client. Pure.
import { MAX_SERVER_BUSY_US, MAX_SERVER_DELAY_US } from "../api/echo.ts";
import type { SchemaFlags } from "../client/schema.ts";
import { isGrpc, type WireFormat, wireName, wireOf } from "../protocol/wire.ts";
import { CLIENT_KINDS, type ClientKind } from "../rpc/channel.ts";
import type { BenchFlags } from "./flags.ts";
import { given, int, micros, named, OptionError, positive, type Raw, type Settings } from "./option-values.ts";
import { DEFAULT_STREAM_MESSAGES, type StreamSettings } from "./stream/workload.ts";
import { ALGORITHMS, algorithmName, DEFAULT_ALGORITHMS, type ServiceChoice } from "./workload.ts";

const DEFAULT_TIMEOUT_MS = 10_000;
/** The HTTP/2 client bench drives calls with (see docs/bench.md, "Loader efficiency": chosen by measured calls per CPU-second). */
const DEFAULT_CLIENT: ClientKind = "lean";
const SERVICES: readonly ServiceChoice[] = ["echo", "crypto", "both", "echo-stream"];

/** What --call asks for, before the schema is looked up (call-prepare.ts does that, with I/O). */
export interface CallTarget {
  readonly method: string;
  /** -d as given: JSON text, `@file` or `@-` (stdin); undefined means `{}` unless dataFile is set. */
  readonly data: string | undefined;
  /** --data-file: NDJSON, one request a line. */
  readonly dataFile: string | undefined;
  readonly schema: SchemaFlags;
}

interface Service {
  readonly service: ServiceChoice;
  /** Streaming settings: for echo-stream, or kept for a --call method that turns out to stream. */
  readonly stream: StreamSettings | undefined;
  readonly algorithms: readonly string[];
  readonly client: ClientKind;
  readonly wire: WireFormat;
  /** --protocols: one run per protocol, in this order (--protocol is then not given). */
  readonly protocols?: readonly string[];
  /** --http-get: Connect unary calls as GET. */
  readonly httpGet?: boolean;
  /** --http1: Connect or gRPC-Web over HTTP/1.1. */
  readonly http1?: boolean;
}

/** --service, the streaming flags, --alg and --client, checked in that order. */
export function serviceOf(s: Settings): Service {
  const serviceRaw = s.pick("service");
  const service = (serviceRaw?.value.trim().toLowerCase() ?? "echo") as ServiceChoice;
  if (!SERVICES.includes(service)) {
    throw new OptionError(`${serviceRaw?.source}: "${serviceRaw?.value}" is not one of ${SERVICES.join(", ")}`);
  }
  // --call's method may stream (known once its schema is found): its settings are kept for then.
  const stream = streamSettings(s.flags, service === "echo-stream" || given(s.flags.call));
  const algorithms = algorithmsOf(s.flags.alg);
  const clientRaw = s.pick("client");
  const client = (clientRaw?.value.trim().toLowerCase() ?? DEFAULT_CLIENT) as ClientKind;
  if (!CLIENT_KINDS.includes(client)) {
    throw new OptionError(`${clientRaw?.source}: "${clientRaw?.value}" is not one of ${CLIENT_KINDS.join(", ")}`);
  }
  const wire = wireOf(s.flags.protocol, s.flags.codec);
  if (typeof wire === "string") throw new OptionError(wire);
  const protocols = protocolsOf(s.flags.protocols, s.flags.protocol);
  for (const p of protocols ?? []) {
    const each = wireOf(p, s.flags.codec);
    if (typeof each === "string") throw new OptionError(each.replace("--protocol", "--protocols:"));
    if (!isGrpc(each) && client !== "lean")
      throw new OptionError(`--protocols ${p} is the lean client's, not --client ${client}`);
  }
  if (wire.codec === "json" && (service === "echo-stream" || given(s.flags.call))) {
    throw new OptionError("--codec json: for --service echo, crypto or both; --call and streams send protobuf");
  }
  if (!isGrpc(wire) && client !== "lean") {
    throw new OptionError(
      `--protocol ${wireName(wire)} --codec ${wire.codec} is the lean client's, not --client ${client}`,
    );
  }
  const httpGet = s.flags["http-get"] === true;
  if (
    httpGet &&
    (wire.protocol !== "connect" || protocols !== undefined || service !== "echo" || given(s.flags.call))
  ) {
    throw new OptionError(
      "--http-get is Connect's GET: with --protocol connect and --service echo (Echo is marked NO_SIDE_EFFECTS)",
    );
  }
  const http1 = s.flags.http1 === true;
  if (http1 && (wire.protocol === "grpc" || (protocols ?? []).includes("grpc"))) {
    throw new OptionError("--http1: gRPC needs HTTP/2; use --protocol connect or grpc-web");
  }
  return {
    service,
    stream,
    algorithms,
    client,
    wire,
    ...(protocols ? { protocols } : {}),
    ...(httpGet ? { httpGet } : {}),
    ...(http1 ? { http1 } : {}),
  };
}

/** --protocols: distinct names, at least two, and not with --protocol. */
function protocolsOf(text: string | undefined, single: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  if (single !== undefined) throw new OptionError("--protocols and --protocol exclude each other");
  const names = [
    ...new Set(
      text
        .split(",")
        .map((p) => p.trim().toLowerCase())
        .filter((p) => p !== ""),
    ),
  ];
  if (names.length < 2) throw new OptionError(`--protocols ${text}: name two or more, e.g. grpc,connect,grpc-web`);
  return names;
}

function algorithmsOf(text: string | undefined): string[] {
  if (!text) return [...DEFAULT_ALGORITHMS];
  const algorithms = text
    .split(",")
    .filter((a) => a.trim() !== "")
    .map((a) => {
      const name = algorithmName(a);
      if (!name) throw new OptionError(`--alg: "${a}" is not one of ${Object.keys(ALGORITHMS).join(", ")}`);
      return name;
    });
  if (algorithms.length === 0) throw new OptionError("--alg: no algorithm named");
  return algorithms;
}

/** --call and its flags, checked against each other and against the echo/crypto flags. */
export function callTarget(flags: BenchFlags): CallTarget | undefined {
  const protos = flags.protos ?? [];
  const importPaths = flags.importPaths ?? [];
  if (!given(flags.call)) {
    const needs = named(
      given(flags.data) && "-d/--data",
      given(flags["data-file"]) && "--data-file",
      protos.length > 0 && "--proto",
      importPaths.length > 0 && "--import-path",
      given(flags.protoset) && "--protoset",
    );
    if (needs.length > 0) throw new OptionError(`${needs.join(", ")} need --call pkg.Service/Method`);
    return undefined;
  }
  const method = flags.call.trim();
  if (!/^\/?[A-Za-z_][\w.]*[./][A-Za-z_]\w*$/.test(method)) {
    throw new OptionError(`--call: "${method}" is not pkg.Service/Method (or pkg.Service.Method)`);
  }
  const clash = named(
    given(flags.service) && "--service",
    given(flags["payload-size"]) && "--payload-size",
    given(flags.alg) && "--alg",
  );
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

/** --server-delay / --server-busy: only grpcperf's own Echo and EchoStream read them, so refused elsewhere. */
export function serverSpeed(flags: BenchFlags, echo: boolean): { serverDelayUs?: number; serverBusyUs?: number } {
  const raw = (name: "server-delay" | "server-busy"): Raw | undefined => {
    const v = flags[name];
    return given(v) ? { value: v, source: `--${name}` } : undefined;
  };
  const delay = raw("server-delay");
  const busy = raw("server-busy");
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

export const streamFlagsGiven = (flags: BenchFlags) => given(flags["stream-messages"]) || given(flags["stream-rate"]);

/** --stream-messages / --stream-rate; refused for a unary run, where they would silently do nothing. */
function streamSettings(flags: BenchFlags, streaming: boolean): StreamSettings | undefined {
  const messagesRaw = flags["stream-messages"]
    ? { value: flags["stream-messages"], source: "--stream-messages" }
    : undefined;
  const rateRaw = flags["stream-rate"] ? { value: flags["stream-rate"], source: "--stream-rate" } : undefined;
  if (!streaming) {
    const first = messagesRaw ?? rateRaw;
    if (first)
      throw new OptionError(`${first.source} is for streaming methods (--service echo-stream, or --call of one)`);
    return undefined;
  }
  return {
    messages: messagesRaw ? int(messagesRaw, 1) : DEFAULT_STREAM_MESSAGES,
    rate: rateRaw ? positive(rateRaw) : undefined,
  };
}

/** --timeout is the deadline of a whole stream: a paced stream gets its schedule's length on top of the default. */
export function defaultTimeout(stream: StreamSettings | undefined): number {
  if (stream?.rate === undefined) return DEFAULT_TIMEOUT_MS;
  return DEFAULT_TIMEOUT_MS + Math.ceil((stream.messages * 1000) / stream.rate);
}
