// A service, method, message or enum as proto source text, as `grpcurl describe` shows it: type names are
// written in full with a leading dot, so the text reads the same wherever it is pasted.
import protobuf from "protobufjs";
import type { Checked } from "./checked.ts";
import { defaultJsonName, jsonName } from "./json.ts";

const full = (o: protobuf.ReflectionObject) => o.fullName.replace(/^\./, "");

/** `symbol` (a full name; `pkg.Service/Method` works too) described as proto source text. */
export function describeSymbol(root: protobuf.Root, symbol: string): Checked<{ kind: string; text: string }> {
  const name = symbol.replace(/^\./, "").replace("/", ".");
  let found: protobuf.ReflectionObject | null = null;
  try {
    found = root.lookup(name);
  } catch {
    found = null;
  }
  if (found instanceof protobuf.Service) return { ok: true, kind: "service", text: service(found) };
  if (found instanceof protobuf.Method) return { ok: true, kind: "method", text: method(found, "") };
  if (found instanceof protobuf.Type) return { ok: true, kind: "message", text: message(found, "") };
  if (found instanceof protobuf.Enum) return { ok: true, kind: "enum", text: enumText(found, "") };
  if (found instanceof protobuf.Field) return { ok: true, kind: "field", text: `${field(found)};` };
  return { ok: false, error: `symbol not found: ${symbol}` };
}

function service(s: protobuf.Service): string {
  const lines = s.methodsArray.map((m) => method(m, "  "));
  return `service ${s.name} {\n${lines.join("\n")}\n}`;
}

function method(m: protobuf.Method, indent: string): string {
  m.resolve();
  const req = m.resolvedRequestType ? `.${full(m.resolvedRequestType)}` : m.requestType;
  const res = m.resolvedResponseType ? `.${full(m.resolvedResponseType)}` : m.responseType;
  const rs = m.requestStream ? "stream " : "";
  const ss = m.responseStream ? "stream " : "";
  return `${indent}rpc ${m.name} ( ${rs}${req} ) returns ( ${ss}${res} );`;
}

function typeName(f: protobuf.Field): string {
  f.resolve();
  return f.resolvedType ? `.${full(f.resolvedType)}` : f.type;
}

function field(f: protobuf.Field): string {
  const options: string[] = [];
  // protoc records a json_name for every field; only one that differs from the default was written.
  const json = jsonName(f);
  if (json !== defaultJsonName(f.name)) options.push(`json_name = "${json}"`);
  const opt = options.length > 0 ? ` [${options.join(", ")}]` : "";
  if (f.map) {
    const key = (f as unknown as protobuf.MapField).keyType;
    return `map<${key}, ${typeName(f)}> ${f.name} = ${f.id}${opt}`;
  }
  const label = f.repeated ? "repeated " : f.options?.proto3_optional ? "optional " : "";
  return `${label}${typeName(f)} ${f.name} = ${f.id}${opt}`;
}

function message(t: protobuf.Type, indent: string): string {
  const inner = `${indent}  `;
  const lines: string[] = [];
  const oneofs = t.oneofsArray.filter((o) => !o.fieldsArray.every((f) => f.options?.proto3_optional));
  // A oneof is written where its first field stands, as protoc and grpcurl print it.
  const oneofOf = new Map(oneofs.flatMap((o) => o.fieldsArray.map((f) => [f, o] as const)));
  const written = new Set<protobuf.OneOf>();
  for (const f of t.fieldsArray) {
    const o = oneofOf.get(f);
    if (o === undefined) lines.push(`${inner}${field(f)};`);
    else if (!written.has(o)) {
      written.add(o);
      lines.push(`${inner}oneof ${o.name} {`, ...o.fieldsArray.map((g) => `${inner}  ${field(g)};`), `${inner}}`);
    }
  }
  for (const n of t.nestedArray) {
    if (n instanceof protobuf.Type && !(n.options?.map_entry === true)) lines.push(message(n, inner));
    else if (n instanceof protobuf.Enum) lines.push(enumText(n, inner));
  }
  return `${indent}message ${t.name} {\n${lines.join("\n")}${lines.length > 0 ? "\n" : ""}${indent}}`;
}

function enumText(e: protobuf.Enum, indent: string): string {
  const lines = Object.entries(e.values).map(([k, v]) => `${indent}  ${k} = ${v};`);
  return `${indent}enum ${e.name} {\n${lines.join("\n")}\n${indent}}`;
}
