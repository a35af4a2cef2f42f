// grpc-status-details-bin: a google.rpc.Status (code, message, details as Any) that richer servers send
// next to grpc-status. The Status and the standard error detail messages of google/rpc/error_details.proto
// are defined here, so the details decode without any file; other Any types resolve from the call's schema.
import protobuf from "protobufjs";
import type { Checked } from "./checked.ts";
import { type Json, toJson } from "./json.ts";
import { wellKnown } from "./wkt.ts";

const RPC = `syntax = "proto3";
package google.rpc;
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
message RetryInfo { google.protobuf.Duration retry_delay = 1; }
message DebugInfo { repeated string stack_entries = 1; string detail = 2; }
message QuotaFailure { message Violation { string subject = 1; string description = 2; } repeated Violation violations = 1; }
message PreconditionFailure { message Violation { string type = 1; string subject = 2; string description = 3; } repeated Violation violations = 1; }
message BadRequest { message FieldViolation { string field = 1; string description = 2; } repeated FieldViolation field_violations = 1; }
message RequestInfo { string request_id = 1; string serving_data = 2; }
message ResourceInfo { string resource_type = 1; string resource_name = 2; string owner = 3; string description = 4; }
message Help { message Link { string description = 1; string url = 2; } repeated Link links = 1; }
message LocalizedMessage { string locale = 1; string message = 2; }`;

const WKT_NEEDED = [
  ["google/protobuf/any.proto", ".google.protobuf.Any"],
  ["google/protobuf/duration.proto", ".google.protobuf.Duration"],
] as const;

function rpcRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const [f] of WKT_NEEDED) root.addJSON((wellKnown(f) as protobuf.INamespace).nested ?? {});
  protobuf.parse(RPC, root, { keepCase: true });
  root.resolveAll();
  return root;
}

let shared: protobuf.Root | undefined;

/** The details trailer (base64, as on the wire) as canonical JSON. Any types the call's schema defines (in
 * `schema`) decode too; others stay as their type URL and base64 value. */
export function decodeStatusDetails(base64: string, schema?: protobuf.Root): Checked<{ json: Json }> {
  shared ??= rpcRoot();
  const root = schema === undefined ? shared : merged(schema);
  const Status = root.lookupType(".google.rpc.Status");
  let message: protobuf.Message;
  try {
    message = Status.decode(Buffer.from(base64, "base64"));
  } catch (e) {
    return {
      ok: false,
      error: `grpc-status-details-bin is not a google.rpc.Status: ${e instanceof Error ? e.message : e}`,
    };
  }
  const plain = message as unknown as {
    code: number;
    message: string;
    details?: Array<{ type_url: string; value: Uint8Array }>;
  };
  const details: Json[] = [];
  for (const any of plain.details ?? []) {
    const one = toJson(root.lookupType(".google.protobuf.Any"), any);
    details.push(one.ok ? one.json : { "@type": any.type_url, value: Buffer.from(any.value).toString("base64") });
  }
  return { ok: true, json: { code: plain.code, message: plain.message, details } };
}

// The call's schema with google.rpc added, built once per schema.
const withRpc = new WeakMap<protobuf.Root, protobuf.Root>();
function merged(schema: protobuf.Root): protobuf.Root {
  let r = withRpc.get(schema);
  if (r === undefined) {
    r = protobuf.Root.fromJSON(schema.toJSON());
    if (r.lookup(".google.rpc.Status") === null) {
      // The schema may not import Any or Duration (echo.proto does not): google.rpc needs both.
      for (const [f, name] of WKT_NEEDED) {
        if (r.lookup(name) === null) r.addJSON((wellKnown(f) as protobuf.INamespace).nested ?? {});
      }
      protobuf.parse(RPC.replace(/import "[^"]+";\n/g, ""), r, { keepCase: true });
    }
    r.resolveAll();
    withRpc.set(schema, r);
  }
  return r;
}
