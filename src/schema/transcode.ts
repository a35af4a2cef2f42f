// A message's bytes between protobuf's binary form and proto3 JSON, for the JSON codec of Connect,
// gRPC-Web and gRPC: the caller keeps working in binary and the wire carries JSON text (UTF-8).
import type protobuf from "protobufjs";
import type { Checked } from "./checked.ts";
import { decodeToJson, encodeJson } from "./json.ts";

/** Binary message → JSON text bytes. */
export function binaryToJson(type: protobuf.Type, bytes: Uint8Array): Checked<{ bytes: Uint8Array }> {
  const r = decodeToJson(type, bytes);
  return r.ok ? { ok: true, bytes: Buffer.from(JSON.stringify(r.json), "utf8") } : r;
}

/** JSON text bytes → binary message; the error names what is wrong (not JSON, or the field). */
export function jsonToBinary(type: protobuf.Type, text: Uint8Array): Checked<{ bytes: Uint8Array }> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString("utf8"));
  } catch {
    return { ok: false, error: `${type.fullName.slice(1)}: the message is not JSON` };
  }
  return encodeJson(type, value);
}
