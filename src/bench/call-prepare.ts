// `bench --call`, on the coordinating thread before any load thread starts: read -d / --data-file, find the
// method's schema once (files, or the server's reflection over a channel like the load's own), and encode
// every distinct request once. A template (-d with placeholders) is checked here with sample values, so a
// bad one fails before anything is sent. Errors are one line: exit 2 for bad input, 1 for a server down.
import { readFileSync } from "node:fs";
import { openChannel } from "../client/channel.ts";
import { resolveMethod } from "../client/schema.ts";
import type { StreamKind } from "../report/types.ts";
import { encodeJson } from "../schema/json.ts";
import type { MethodInfo } from "../schema/lookup.ts";
import { parseJsonSequence } from "../text/json-sequence.ts";
import { formatAddress } from "../transport/address.ts";
import type { CallSpec } from "./call-workload.ts";
import type { BenchOptions, CallTarget } from "./options.ts";
import type { StreamWorkload } from "./stream/workload.ts";
import { compileTemplate, hasPlaceholders } from "./template.ts";

/** A unary method's workload (`call`), or a streaming method's (`stream`: the stream/ loops run it). */
export type PreparedCall =
  | { ok: true; call: CallSpec; stream?: undefined }
  | { ok: true; call?: undefined; stream: StreamWorkload }
  | { ok: false; code: 1 | 2; error: string };

type Bad = { ok: false; code: 1 | 2; error: string };
const bad = (error: string, code: 1 | 2 = 2): Bad => ({ ok: false, code, error });

export interface Inputs {
  readFile(path: string): string;
  readStdin(): string;
}

const realInputs: Inputs = {
  readFile: (path) => readFileSync(path, "utf8"),
  readStdin: () => readFileSync(0, "utf8"),
};

function read(what: string, path: string, inputs: Inputs): { ok: true; text: string } | Bad {
  try {
    return { ok: true, text: path === "-" ? inputs.readStdin() : inputs.readFile(path) };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return bad(`${what}: cannot read ${path === "-" ? "stdin" : `"${path}"`} (${code ?? (e as Error).message})`);
  }
}

export async function prepareCall(
  opts: BenchOptions,
  target: CallTarget,
  inputs: Inputs = realInputs,
): Promise<PreparedCall> {
  // The request text first: a typo in a file name should not wait for a reflection round trip.
  let dataText: string | undefined;
  if (target.data !== undefined) {
    if (target.data.startsWith("@")) {
      const r = read(`-d ${target.data}`, target.data.slice(1), inputs);
      if (!r.ok) return r;
      dataText = r.text;
    } else dataText = target.data;
  }
  let fileText: string | undefined;
  if (target.dataFile !== undefined) {
    const r = read("--data-file", target.dataFile, inputs);
    if (!r.ok) return r;
    fileText = r.text;
  }

  const resolved = await findMethod(opts, target);
  if (!resolved.ok) return resolved;
  const { method, root } = resolved;
  if (method.clientStreaming || method.serverStreaming) {
    const kind: StreamKind = method.clientStreaming ? (method.serverStreaming ? "bidi" : "client") : "server";
    return streamWorkload(method, kind, dataText, fileText);
  }
  const base = { label: method.path.slice(1), path: method.path };

  if (fileText !== undefined) {
    const bodies = encodeLines(method, fileText);
    return bodies.ok ? { ok: true, call: { ...base, bodies: bodies.bodies } } : bodies;
  }
  if (dataText !== undefined && hasPlaceholders(dataText)) {
    const t = compileTemplate(dataText);
    if (!t.ok) return bad(`-d: ${t.error}`);
    const rendered = t.template.render({ requestNumber: 0, workerId: 0 });
    // An array template is ghz's -d '[…]' with placeholders: request k is element k mod length.
    for (const [i, v] of (Array.isArray(rendered) ? rendered : [rendered]).entries()) {
      const sample = encodeJson(method.requestType, v);
      if (!sample.ok)
        return bad(`-d${Array.isArray(rendered) ? ` request ${i + 1} of the array` : ""}: ${sample.error}`);
    }
    if (Array.isArray(rendered) && rendered.length === 0) return bad("-d: the array holds no request");
    const template = { text: dataText, schema: root.toJSON(), requestType: method.requestType.fullName };
    return { ok: true, call: { ...base, bodies: [], template } };
  }
  // ghz's -d '[…]': the array's requests, in turn.
  const array = dataText === undefined ? undefined : requestArray(dataText);
  if (array !== undefined) {
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < array.length; i++) {
      const r = encodeJson(method.requestType, array[i]);
      if (!r.ok) return bad(`-d request ${i + 1} of the array: ${r.error}`);
      bodies.push(r.bytes);
    }
    if (bodies.length === 0) return bad("-d: the array holds no request");
    return { ok: true, call: { ...base, bodies } };
  }
  const one = encodeOne(method, dataText ?? "{}");
  return one.ok ? { ok: true, call: { ...base, bodies: [one.bytes] } } : one;
}

/** A streaming method's requests, taken in turn by each stream: --data-file's lines, or -d's JSON values
 * (several in a row for a client stream's messages). Templates are not filled per message yet. */
function streamWorkload(
  method: MethodInfo,
  kind: StreamKind,
  dataText: string | undefined,
  fileText: string | undefined,
): PreparedCall {
  const base = { label: method.path.slice(1), path: method.path, kind };
  if (fileText !== undefined) {
    const r = encodeLines(method, fileText);
    return r.ok ? { ok: true, stream: { ...base, requests: r.bodies } } : r;
  }
  const text = dataText ?? "{}";
  if (hasPlaceholders(text)) return bad(`-d: templates are for unary methods; ${base.label} streams (use --data-file)`);
  const seq = parseJsonSequence(text);
  if (!seq.ok) return bad(`-d: ${seq.error}`);
  const requests: Uint8Array[] = [];
  for (const v of seq.values) {
    const r = encodeJson(method.requestType, v);
    if (!r.ok) return bad(`-d: ${r.error}`);
    requests.push(r.bytes);
  }
  if (requests.length === 0) return bad("-d: no request");
  return { ok: true, stream: { ...base, requests } };
}

async function findMethod(opts: BenchOptions, target: CallTarget) {
  const channel = openChannel(opts.server, { connectTimeoutMs: opts.timeoutMs, tls: opts.tls });
  try {
    const files = target.schema.protos.length > 0 || target.schema.protoset !== undefined;
    if (!files) {
      const ready = await channel.ready();
      if (!ready.ok) return bad(`cannot reach ${formatAddress(opts.server)}: ${ready.error.details}`, 1);
    }
    const r = await resolveMethod(target.method, target.schema, channel, {
      timeoutMs: opts.timeoutMs,
      metadata: opts.metadata,
    });
    return r.ok ? r : bad(`--call ${target.method}: ${r.error}`);
  } finally {
    await channel.close();
  }
}

/** -d's text when it is one JSON array (a request message is an object, so an array can only be a list). */
function requestArray(text: string): unknown[] | undefined {
  if (!text.trimStart().startsWith("[")) return undefined;
  const seq = parseJsonSequence(text);
  return seq.ok && seq.values.length === 1 && Array.isArray(seq.values[0]) ? seq.values[0] : undefined;
}

function encodeOne(method: MethodInfo, text: string): { ok: true; bytes: Uint8Array } | Bad {
  const seq = parseJsonSequence(text);
  if (!seq.ok) return bad(`-d: ${seq.error}`);
  if (seq.values.length !== 1) {
    return bad(
      `-d: expected one JSON request or a JSON array of them, got ${seq.values.length} values (or give them in --data-file)`,
    );
  }
  const r = encodeJson(method.requestType, seq.values[0]);
  return r.ok ? r : bad(`-d: ${r.error}`);
}

const DATA_FILE_FORMATS = "NDJSON (one request a line), a JSON array of requests, or JSON objects one after another";

/**
 * --data-file's requests: NDJSON (each line one JSON request; errors name the line), a JSON array, or JSON
 * documents one after another (pretty-printed), as ghz's -D takes a file of either shape.
 */
function encodeLines(method: MethodInfo, text: string): { ok: true; bodies: Uint8Array[] } | Bad {
  const encodeAll = (values: readonly unknown[], what: (i: number) => string) => {
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < values.length; i++) {
      const r = encodeJson(method.requestType, values[i]);
      if (!r.ok) return bad(`--data-file ${what(i)}: ${r.error}`);
      bodies.push(r.bytes);
    }
    if (bodies.length === 0) return bad(`--data-file: no requests in the file (expected ${DATA_FILE_FORMATS})`);
    return { ok: true as const, bodies };
  };
  if (text.trimStart().startsWith("[")) {
    let array: unknown;
    try {
      array = JSON.parse(text);
    } catch (e) {
      return bad(
        `--data-file: not a JSON array (${e instanceof Error ? e.message : String(e)}); expected ${DATA_FILE_FORMATS}`,
      );
    }
    if (!Array.isArray(array)) return bad(`--data-file: expected ${DATA_FILE_FORMATS}`);
    return encodeAll(array, (i) => `request ${i + 1} of the array`);
  }
  const lines = text.split("\n");
  const values: unknown[] = [];
  const lineOf: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    try {
      values.push(JSON.parse(line));
      lineOf.push(i + 1);
    } catch (e) {
      // Not one request a line: JSON documents one after another (pretty-printed) are the other shape.
      const seq = parseJsonSequence(text);
      if (seq.ok) return encodeAll(seq.values, (k) => `request ${k + 1}`);
      return bad(
        `--data-file line ${i + 1}: not JSON (${e instanceof Error ? e.message : String(e)}); expected ${DATA_FILE_FORMATS}`,
      );
    }
  }
  return encodeAll(values, (k) => `line ${lineOf[k]}`);
}
