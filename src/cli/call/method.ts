// `grpcperf call pkg.Service/Method -d JSON`: any method of any server, as grpcurl calls it. The request is
// checked against the schema before anything is sent; responses print as proto3 JSON as they arrive.
import { defineCommand } from "citty";
import type protobuf from "protobufjs";
import { invoke, type Requests } from "../../client/invoke.ts";
import { fromFiles, loadFileSchema, resolveMethod } from "../../client/schema.ts";
import type { Metadata, StreamEnd } from "../../rpc/channel.ts";
import { Status, statusName } from "../../rpc/status.ts";
import { decodeToJson, encodeJson, type Json } from "../../schema/json.ts";
import { lookupMethod, type MethodInfo } from "../../schema/lookup.ts";
import { decodeStatusDetails } from "../../schema/status-details.ts";
import { binaryToJson, jsonToBinary } from "../../schema/transcode.ts";
import { writeFd } from "../../sink.ts";
import { parseJsonSequence } from "../../text/json-sequence.ts";
import { CliError } from "../args.ts";
import { withHelp } from "../help.ts";
import { splitTarget } from "../target.ts";
import { type CallSetup, callArgs, callHelp, connectFromArgs, hintAfterFailure, peerProblem } from "./common.ts";
import { headerFlags, readData, schemaArgs, schemaExit, schemaFlags } from "./schema-args.ts";

const kindOf = (m: MethodInfo) =>
  m.clientStreaming
    ? m.serverStreaming
      ? "bidi streaming"
      : "client streaming"
    : m.serverStreaming
      ? "server streaming"
      : "unary";

/** The request messages -d holds, encoded; errors name which message and the field path. */
export function encodeRequests(method: MethodInfo, data: string | undefined): Uint8Array[] {
  const streaming = method.clientStreaming;
  let values: unknown[];
  if (data === undefined) values = streaming ? [] : [{}];
  else {
    const seq = parseJsonSequence(data);
    if (!seq.ok) throw new CliError(`-d: ${seq.error}`, 2);
    values = seq.values;
    if (!streaming && values.length !== 1) {
      throw new CliError(
        `-d: ${method.service}/${method.method} is ${kindOf(method)} and takes one request message, not ${values.length}`,
        2,
      );
    }
  }
  return values.map((v, i) => {
    const r = encodeJson(method.requestType, v);
    if (!r.ok) {
      const which = values.length > 1 ? ` message ${i + 1}` : "";
      throw new CliError(`-d${which}: ${r.error}`, 2);
    }
    return r.bytes;
  });
}

/**
 * `-d @-` on a client or bidi stream: each message sent as its line arrives, as grpcurl does, so a stream can
 * be typed at. A message may span lines (pretty-printed): text is taken once what came so far parses.
 * A message that does not fit the schema ends the call; the error is kept in `failed`.
 */
async function* stdinMessages(method: MethodInfo, failed: { error?: CliError }): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder();
  let pending = "";
  let index = 0;
  const encode = function* (text: string, final: boolean) {
    const seq = parseJsonSequence(text);
    if (!seq.ok) {
      if (!final) return false;
      failed.error = new CliError(`-d @-: ${seq.error} (expected JSON messages, one after another)`, 2);
      throw failed.error;
    }
    for (const v of seq.values) {
      index++;
      const r = encodeJson(method.requestType, v);
      if (!r.ok) {
        failed.error = new CliError(`-d @- message ${index}: ${r.error}`, 2);
        throw failed.error;
      }
      yield r.bytes;
    }
    return true;
  };
  for await (const chunk of process.stdin as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    const nl = pending.lastIndexOf("\n");
    if (nl < 0) continue;
    const complete = pending.slice(0, nl + 1);
    if (yield* encode(complete, false)) pending = pending.slice(nl + 1);
  }
  pending += decoder.decode();
  if (pending.trim() !== "") yield* encode(pending, true);
}

/** Why --http-get cannot be: it is Connect's, for unary methods the schema marks as free of side effects. */
function httpGetProblem(setup: CallSetup, method: MethodInfo, root: protobuf.Root): string | undefined {
  const name = `${method.service}/${method.method}`;
  if (setup.wire.protocol !== "connect") return "--http-get is Connect's GET: add --protocol connect";
  if (method.clientStreaming || method.serverStreaming) return `--http-get: ${name} streams; GET is for unary methods`;
  const options = root.lookupService(method.service).methods[method.method]?.options;
  if (options?.idempotency_level !== "NO_SIDE_EFFECTS") {
    return `--http-get: the schema does not mark ${name} idempotency_level = NO_SIDE_EFFECTS`;
  }
  return undefined;
}

/** The requests in JSON text, for --codec json (each was checked against the schema already). */
function asJson(method: MethodInfo, requests: Requests): Requests {
  const one = (bytes: Uint8Array): Uint8Array => {
    const r = binaryToJson(method.requestType, bytes);
    if (!r.ok) throw new CliError(`-d: ${r.error}`, 2);
    return r.bytes;
  };
  if (Array.isArray(requests)) return (requests as readonly Uint8Array[]).map(one);
  return (async function* () {
    for await (const r of requests as AsyncIterable<Uint8Array>) yield one(r);
  })();
}

const pairs = (m: Metadata) => m.map(([k, v]) => `  ${k}: ${v}`).join("\n");
const asObject = (m: Metadata) => {
  const o: Record<string, string | string[]> = {};
  for (const [k, v] of m) {
    const had = o[k];
    o[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return o;
};

/** The details trailer of a failed call, decoded, when the server sent one. */
function detailsOf(end: StreamEnd, root: protobuf.Root): Json | undefined {
  const bin = end.trailers.find(([k]) => k === "grpc-status-details-bin")?.[1];
  if (bin === undefined) return undefined;
  const d = decodeStatusDetails(bin, root);
  return d.ok ? d.json : d.error;
}

async function run(
  setup: CallSetup,
  method: MethodInfo,
  root: protobuf.Root,
  requests: Requests,
  opts: {
    timeoutMs: number;
    metadata: Metadata;
    json: boolean;
    verbose: boolean;
    emitDefaults: boolean;
    httpGet: boolean;
  },
): Promise<number> {
  if (opts.httpGet) {
    const problem = httpGetProblem(setup, method, root);
    if (problem !== undefined) throw new CliError(problem, 2);
  }
  const err = process.stderr;
  // A message that cannot be printed (stdout full or closed) ends the command with one line, after the call.
  let stdoutError: string | undefined;
  const print = (text: string) => {
    stdoutError ??= writeFd(1, text);
  };
  if (opts.verbose) {
    err.write(`method ${method.path} (${kindOf(method)})\n`);
    if (opts.metadata.length > 0) err.write(`request metadata:\n${pairs(opts.metadata)}\n`);
  }
  let index = 0;
  let undecodable: string | undefined;
  const json = setup.wire.codec === "json";
  const done = await invoke(
    setup.channel,
    method.path,
    json ? asJson(method, requests) : requests,
    {
      timeoutMs: opts.timeoutMs,
      metadata: opts.metadata,
      unary: !method.clientStreaming && !method.serverStreaming,
      httpGet: opts.httpGet,
    },
    {
      onHeaders: (h) => {
        if (opts.verbose) err.write(`response headers:\n${pairs(h)}\n`);
      },
      onMessage: (wire, elapsedUs) => {
        index++;
        const binary = json ? jsonToBinary(method.responseType, wire) : { ok: true as const, bytes: wire };
        if (!binary.ok) {
          undecodable ??= `response message ${index}: ${binary.error}`;
          return;
        }
        const r = decodeToJson(method.responseType, binary.bytes, { defaults: opts.emitDefaults });
        if (!r.ok) {
          undecodable ??= `response message ${index}: ${r.error}`;
          return;
        }
        print(
          opts.json
            ? `${JSON.stringify({ type: "message", index, elapsed_us: elapsedUs, message: r.json })}\n`
            : `${JSON.stringify(r.json, null, 2)}\n`,
        );
      },
    },
  );
  const { end } = done;
  const code = undecodable !== undefined && end.code === Status.OK ? Status.INTERNAL : end.code;
  const details = undecodable ?? end.details;
  const statusDetails = code === Status.OK ? undefined : detailsOf(end, root);
  if (opts.json) {
    const o: Record<string, unknown> = {
      type: "status",
      code,
      status: statusName(code),
      details,
      sent: done.sent,
      received: done.received,
      elapsed_us: done.elapsedUs,
      headers: asObject(end.headers),
      trailers: asObject(end.trailers),
    };
    if (statusDetails !== undefined) o.status_details = statusDetails;
    print(`${JSON.stringify(o)}\n`);
  } else {
    if (opts.verbose) {
      if (end.trailers.length > 0) err.write(`response trailers:\n${pairs(end.trailers)}\n`);
      err.write(`sent ${done.sent} and received ${done.received} messages in ${done.elapsedUs} µs\n`);
    }
    if (code !== Status.OK) {
      err.write(`${statusName(code)}: ${details}\n`);
      if (statusDetails !== undefined) err.write(`details: ${JSON.stringify(statusDetails, null, 2)}\n`);
      await hintAfterFailure(setup, code);
    }
  }
  if (stdoutError !== undefined) throw new CliError(`cannot write to stdout (${stdoutError})`, 1);
  return code === Status.OK ? 0 : 1;
}

const methodCommand = defineCommand({
  meta: {
    name: "method",
    description: "Call any method: pkg.Service/Method (grpcperf call pkg.Service/Method works too)",
  },
  args: {
    method: { type: "positional", required: true, description: "pkg.Service/Method or pkg.Service.Method" },
    data: {
      type: "string",
      alias: "d",
      description: "request JSON, @file or @- (stdin); several objects in a row are a client stream's messages",
    },
    ...schemaArgs,
    verbose: {
      type: "boolean",
      alias: "v",
      description: "also print the method, metadata, headers and trailers (stderr)",
    },
    ...callArgs,
    codec: { type: "string", description: "proto (default) or json: how messages go on the wire (--protocol)" },
    "http-get": {
      type: "boolean",
      description: "Connect's GET, the request in the query: for unary methods marked NO_SIDE_EFFECTS",
    },
    json: { type: "boolean", description: "one JSON object per message and one with the status, timing and metadata" },
    "emit-defaults": {
      type: "boolean",
      description: 'responses show fields at their default too (0, "", [], {}, null), as grpcurl\'s',
    },
  },
  async run({ args: given, rawArgs }) {
    // grpcurl's order (call ADDR pkg.S/M) and ours (call pkg.S/M -s ADDR) both work; the address is never guessed.
    const split = splitTarget(given.server, given._, 1);
    const name = split.rest[0];
    if (name === undefined) throw new CliError("give a method: pkg.Service/Method", 2);
    const args = { ...given, method: name, server: split.server, _: [] };
    const metadata = headerFlags(rawArgs);
    const flags = schemaFlags(rawArgs, args);
    // -d @- on a client or bidi stream is read as it comes (stdinMessages); otherwise all of it, now.
    const live = args.data === "@-";
    let data = args.data === undefined || live ? undefined : readData(args.data);
    const requestsOf = (m: MethodInfo): Requests => {
      if (live && m.clientStreaming) return stdinMessages(m, stdinFailed);
      if (live) data = readData("@-");
      return encodeRequests(m, data);
    };
    const stdinFailed: { error?: CliError } = {};
    // With files the whole request is checked before connecting; with reflection, once the schema is in.
    let early: { method: MethodInfo; root: protobuf.Root; requests: Requests } | undefined;
    if (fromFiles(flags)) {
      const s = loadFileSchema(flags);
      if (!s.ok) throw new CliError(s.error, 2);
      const m = lookupMethod(s.root, args.method);
      if (!m.ok) throw new CliError(m.error, 2);
      early = { method: m.method, root: s.root, requests: requestsOf(m.method) };
    }
    const setup = await connectFromArgs(args);
    const { channel, timeoutMs } = setup;
    try {
      let target = early;
      if (target === undefined) {
        const reflection = setup.grpc();
        const r = await resolveMethod(args.method, flags, reflection, { timeoutMs, metadata }).finally(() => {
          if (reflection !== channel) void reflection.close();
        });
        if (!r.ok) {
          const problem = r.error.startsWith("server reflection failed")
            ? await peerProblem(setup, Status.UNAVAILABLE)
            : undefined;
          throw new CliError(problem === undefined ? r.error : `${problem} (${r.error})`, schemaExit(r.error));
        }
        target = { method: r.method, root: r.root, requests: requestsOf(r.method) };
      }
      process.exitCode = await run(setup, target.method, target.root, target.requests, {
        timeoutMs,
        metadata,
        json: args.json === true,
        verbose: args.verbose === true,
        emitDefaults: args["emit-defaults"] === true,
        httpGet: args["http-get"] === true,
      });
      if (stdinFailed.error !== undefined) throw stdinFailed.error;
    } finally {
      await channel.close();
    }
  },
});

export default withHelp(
  methodCommand,
  callHelp("the call ended with status OK", "the call ended with another status (printed as CODE: message)", {
    "--max-time": "the deadline of the whole call is --timeout",
  }),
);
