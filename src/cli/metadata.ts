// `-H 'name: value'` (grpcurl's spelling, repeatable), or ghz's `-m '{"name":"value"}'`, into call metadata. Checked here, before anything is
// sent: a name HTTP/2 would refuse, one gRPC reserves for itself, or a `-bin` value that is not base64.
import { isFieldName, isFieldValue } from "../h2/fields.ts";
import type { Metadata } from "../rpc/channel.ts";
import { CliError } from "./args.ts";

// Set by the client itself; a user's copy would contradict it or break the call.
const RESERVED = new Set(["content-type", "te", "user-agent", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding"]);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** One `name: value` header; names are lowercased (HTTP/2 sends only lowercase names). */
function parseHeader(text: string): readonly [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new CliError(`-H "${text}": expected "name: value"`, 2);
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  if (!isFieldName(name)) throw new CliError(`-H "${text}": "${name}" is not a valid metadata name`, 2);
  if (RESERVED.has(name) || name.startsWith("grpc-")) {
    throw new CliError(`-H "${text}": ${name} is set by gRPC itself and cannot be sent as metadata`, 2);
  }
  if (name.endsWith("-bin")) {
    if (!BASE64.test(value)) throw new CliError(`-H "${text}": a -bin value must be base64`, 2);
    // gRPC sends binary values unpadded; both forms decode the same.
    return [name, value.replace(/=+$/, "")];
  }
  if (!isFieldValue(value)) throw new CliError(`-H "${text}": the value has characters HTTP/2 does not allow`, 2);
  return [name, value];
}

export function parseHeaders(texts: readonly string[]): Metadata {
  return texts.map(parseHeader);
}

/** ghz's -m: a JSON object of string values; each pair is checked as -H would check it. */
export function parseMetadataJson(text: string): Metadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`-m: not JSON (${e instanceof Error ? e.message : String(e)}): expected {"name":"value"}`, 2);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`-m: expected a JSON object {"name":"value"}, got ${JSON.stringify(value)}`, 2);
  }
  return Object.entries(value).map(([name, v]) => {
    if (typeof v !== "string") throw new CliError(`-m: the value of "${name}" must be a string`, 2);
    return parseHeader(`${name}: ${v}`);
  });
}
