// The canonical proto3 JSON mapping (https://protobuf.dev/programming-guides/json/) both ways, walking
// protobufjs reflection. Input is checked here, field by field, so an error names the field path and what
// was expected; protobufjs's generated encoder/decoder then does the wire work (no codec of our own).
// Where the spec lets a parser be lenient (original field names, numbers for int64 and enums, base64url),
// we accept what protoc's JsonFormat (Java/C++) accepts.
import Long from "long";
import protobuf from "protobufjs";
import { nearest } from "../text/nearest.ts";
import type { Checked } from "./checked.ts";
import { fail, isObject, type Json, Misfit, show } from "./json-common.ts";
import { article, mapKeyOut, readScalar, writeScalar } from "./json-scalars.ts";
import { wellKnownJson } from "./json-wkt.ts";

export type { Json };

// 64-bit fields must decode exactly: protobufjs uses Long when util.Long is set, doubles otherwise.
if (!protobuf.util.Long) {
  protobuf.util.Long = Long as unknown as typeof protobuf.util.Long;
  protobuf.configure();
}

/** A JSON value to a protobufjs message of `type`, checked against the mapping. */
export function fromJson(type: protobuf.Type, json: unknown): Checked<{ message: protobuf.Message }> {
  try {
    return { ok: true, message: type.fromObject(readMessage(type, json, "")) };
  } catch (e) {
    return { ok: false, error: e instanceof Misfit ? e.message : `${type.fullName}: ${String(e)}` };
  }
}

/** A JSON value to the wire bytes of a `type` message. */
export function encodeJson(type: protobuf.Type, json: unknown): Checked<{ bytes: Uint8Array }> {
  try {
    const plain = readMessage(type, json, "");
    return { ok: true, bytes: type.encode(plain).finish() };
  } catch (e) {
    return { ok: false, error: e instanceof Misfit ? e.message : `${type.fullName}: ${String(e)}` };
  }
}

/**
 * How a message is written. `defaults`: fields at their default are written too (grpcurl's -emit-defaults,
 * protojson's EmitUnpopulated): scalars as their zero, lists as [], maps as {}, an unset message as null. An
 * unset oneof member or proto3 optional stays out, as protojson leaves it: its absence is the information.
 */
interface JsonOutOptions {
  readonly defaults?: boolean;
}

/** Wire bytes of a `type` message to its canonical JSON. */
export function decodeToJson(
  type: protobuf.Type,
  bytes: Uint8Array,
  opts: JsonOutOptions = {},
): Checked<{ json: Json }> {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    return { ok: false, error: `cannot decode ${type.fullName.slice(1)}: ${e instanceof Error ? e.message : e}` };
  }
  return toJson(type, message, opts);
}

/** A decoded message (or plain object with the .proto's field names) to canonical JSON. */
export function toJson(type: protobuf.Type, message: object, opts: JsonOutOptions = {}): Checked<{ json: Json }> {
  try {
    return { ok: true, json: writeMessage(type, message as Record<string, unknown>, "", opts.defaults === true) };
  } catch (e) {
    return { ok: false, error: e instanceof Misfit ? e.message : `${type.fullName}: ${String(e)}` };
  }
}

/** protoc's json_name: underscores dropped and the letter after each one upper-cased. */
export function jsonName(field: protobuf.Field): string {
  const declared = (field as { jsonName?: string }).jsonName ?? field.options?.json_name;
  if (typeof declared === "string" && declared !== "") return declared;
  return defaultJsonName(field.name);
}

export function defaultJsonName(name: string): string {
  return name.replace(/_+([a-zA-Z0-9]?)/g, (_, c: string) => c.toUpperCase());
}

// --- input ---------------------------------------------------------------------------------------------

const byInputName = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function inputNames(type: protobuf.Type): Map<string, protobuf.Field> {
  let m = byInputName.get(type);
  if (m === undefined) {
    m = new Map();
    for (const f of type.fieldsArray) {
      m.set(f.name, f);
      m.set(jsonName(f), f);
    }
    byInputName.set(type, m);
  }
  return m;
}

type Plain = Record<string, unknown>;

function readMessage(type: protobuf.Type, json: unknown, path: string): Plain {
  const special = WELL_KNOWN.read[type.fullName];
  if (special !== undefined) return special(type, json, path);
  if (!isObject(json)) fail(path, `expected an object (${type.fullName.slice(1)}), got ${show(json)}`);
  const obj = json as Record<string, unknown>;
  const names = inputNames(type);
  const out: Plain = {};
  const oneofSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(obj)) {
    const field = names.get(key);
    const here = `${path}.${key}`;
    if (field === undefined) {
      const near = nearest(key, [...type.fieldsArray.map(jsonName)]);
      fail(here, `unknown field of ${type.fullName.slice(1)}${near === undefined ? "" : ` (did you mean ${near}?)`}`);
      continue;
    }
    if (field.name in out) fail(here, `field ${field.name} given twice`);
    // null means "the default", except for google.protobuf.Value, where it is NullValue.
    if (value === null && !isValueField(field)) continue;
    const oneof = field.partOf;
    if (oneof !== null && oneof !== undefined && !isSynthetic(oneof)) {
      const other = oneofSeen.get(oneof.name);
      if (other !== undefined) fail(here, `oneof ${oneof.name} already has ${other} set; only one member may be`);
      oneofSeen.set(oneof.name, key);
    }
    out[field.name] = readField(field, value, here);
  }
  return out;
}

const isSynthetic = (o: protobuf.OneOf) => o.fieldsArray.length === 1 && o.fieldsArray[0]?.options?.proto3_optional;
const isValueField = (f: protobuf.Field) => f.resolvedType?.fullName === ".google.protobuf.Value" && !f.repeated;

function readField(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field.map) {
    if (!isObject(value)) fail(path, `expected an object (map), got ${show(value)}`);
    const keyType = (field as unknown as protobuf.MapField).keyType;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = readMapKey(keyType, k, `${path}[${JSON.stringify(k)}]`);
      out[key] = readSingle(field, v, `${path}[${JSON.stringify(k)}]`);
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) fail(path, `expected an array, got ${show(value)}`);
    return (value as unknown[]).map((v, i) => readSingle(field, v, `${path}[${i}]`));
  }
  return readSingle(field, value, path);
}

function readMapKey(keyType: string, k: string, path: string): string {
  if (keyType === "string") return k;
  if (keyType === "bool") {
    if (k !== "true" && k !== "false") fail(path, `expected a bool map key ("true" or "false")`);
    return k;
  }
  return String(readScalar(keyType, k, path));
}

function readSingle(field: protobuf.Field, value: unknown, path: string): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) {
    if (value === null && t.fullName !== ".google.protobuf.Value")
      fail(path, `expected ${t.fullName.slice(1)}, got null`);
    return readMessage(t, value, path);
  }
  if (t instanceof protobuf.Enum) return readEnum(t, value, path);
  if (value === null) fail(path, `expected ${article(field.type)}, got null`);
  return readScalar(field.type, value, path);
}

function readEnum(e: protobuf.Enum, value: unknown, path: string): number {
  if (e.fullName === ".google.protobuf.NullValue" && value === null) return 0;
  if (typeof value === "string") {
    const n = e.values[value];
    if (n !== undefined) return n;
    // Enum values usually carry the enum's prefix (COLOR_RED), so "RED" is matched by suffix too.
    const names = Object.keys(e.values);
    const up = value.toUpperCase();
    const near = names.find((n) => n.endsWith(`_${up}`) || n === up) ?? nearest(value, names);
    return fail(
      path,
      `unknown ${e.fullName.slice(1)} value ${show(value)}${near === undefined ? "" : ` (did you mean ${near}?)`}`,
    );
  }
  // Open enums: any int32 is allowed on input, as protoc's parsers do.
  if (typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value;
  return fail(path, `expected a ${e.fullName.slice(1)} name or number, got ${show(value)}`);
}

// --- output --------------------------------------------------------------------------------------------

function writeMessage(type: protobuf.Type, message: Record<string, unknown>, path: string, defaults = false): Json {
  const special = WELL_KNOWN.write[type.fullName];
  if (special !== undefined) return special(type, message, path, defaults);
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    const own = Object.hasOwn(message, field.name);
    const tracked = field.partOf !== null && field.partOf !== undefined; // oneof members and proto3 optional
    if (value === undefined || value === null) {
      if (defaults && !tracked) out[jsonName(field)] = unsetOf(field);
      continue;
    }
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && !defaults) continue;
      const keyType = (field as unknown as protobuf.MapField).keyType;
      const m: Record<string, Json> = {};
      for (const [k, v] of entries)
        m[mapKeyOut(keyType, k)] = writeSingle(field, v, `${path}.${field.name}[${k}]`, defaults);
      out[jsonName(field)] = m;
    } else if (field.repeated) {
      const arr = value as unknown[];
      if (arr.length === 0 && !defaults) continue;
      out[jsonName(field)] = arr.map((v, i) => writeSingle(field, v, `${path}.${field.name}[${i}]`, defaults));
    } else {
      const message = field.resolvedType instanceof protobuf.Type;
      if (!own && !message) {
        // not on the wire: a plain field is at its zero
        if (defaults && !tracked) out[jsonName(field)] = writeSingle(field, value, "");
        continue;
      }
      if (!defaults && !tracked && !message && isDefault(field, value)) continue;
      out[jsonName(field)] = writeSingle(field, value, `${path}.${field.name}`, defaults);
    }
  }
  return out;
}

/** An unset field as written with defaults: an empty list or map, else null (a message). */
function unsetOf(field: protobuf.Field): Json {
  if (field.map) return {};
  return field.repeated ? [] : null;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (typeof value === "number") return value === 0 && !Object.is(value, -0);
  if (typeof value === "boolean" || typeof value === "string") return !value;
  if (value instanceof Uint8Array) return value.length === 0;
  if (Long.isLong(value)) return (value as Long).isZero();
  return field.resolvedType instanceof protobuf.Enum ? value === 0 : false;
}

function writeSingle(field: protobuf.Field, value: unknown, path: string, defaults = false): Json {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return writeMessage(t, value as Record<string, unknown>, path, defaults);
  if (t instanceof protobuf.Enum) {
    if (t.fullName === ".google.protobuf.NullValue") return null;
    return t.valuesById[value as number] ?? (value as number);
  }
  return writeScalar(field.type, value);
}

const WELL_KNOWN = wellKnownJson({ readMessage, writeMessage });
