// The canonical proto3 JSON mapping (https://protobuf.dev/programming-guides/json/) both ways, walking
// protobufjs reflection. Input is checked here, field by field, so an error names the field path and what
// was expected; protobufjs's generated encoder/decoder then does the wire work (no codec of our own).
// Where the spec lets a parser be lenient (original field names, numbers for int64 and enums, base64url),
// we accept what protoc's JsonFormat (Java/C++) accepts.
import Long from "long";
import protobuf from "protobufjs";
import { nearest } from "../text/nearest.ts";
import type { Result } from "./result.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// 64-bit fields must decode exactly: protobufjs uses Long when util.Long is set, doubles otherwise.
if (!protobuf.util.Long) {
  protobuf.util.Long = Long as unknown as typeof protobuf.util.Long;
  protobuf.configure();
}

class Misfit extends Error {}
const fail = (path: string, what: string): never => {
  throw new Misfit(`${path || "."}: ${what}`);
};
const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

/** A JSON value to a protobufjs message of `type`, checked against the mapping. */
export function fromJson(type: protobuf.Type, json: unknown): Result<{ message: protobuf.Message }> {
  try {
    return { ok: true, message: type.fromObject(readMessage(type, json, "")) };
  } catch (e) {
    return { ok: false, error: e instanceof Misfit ? e.message : `${type.fullName}: ${String(e)}` };
  }
}

/** A JSON value to the wire bytes of a `type` message. */
export function encodeJson(type: protobuf.Type, json: unknown): Result<{ bytes: Uint8Array }> {
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
export interface JsonOutOptions {
  readonly defaults?: boolean;
}

/** Wire bytes of a `type` message to its canonical JSON. */
export function decodeToJson(
  type: protobuf.Type,
  bytes: Uint8Array,
  opts: JsonOutOptions = {},
): Result<{ json: Json }> {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    return { ok: false, error: `cannot decode ${type.fullName.slice(1)}: ${e instanceof Error ? e.message : e}` };
  }
  return toJson(type, message, opts);
}

/** A decoded message (or plain object with the .proto's field names) to canonical JSON. */
export function toJson(type: protobuf.Type, message: object, opts: JsonOutOptions = {}): Result<{ json: Json }> {
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type Plain = Record<string, unknown>;

function readMessage(type: protobuf.Type, json: unknown, path: string): Plain {
  const special = WKT_IN[type.fullName];
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

// "a uint64": the article follows the sound, and u- in these type names is said "you".
const article = (t: string) => (/^[aeio]/.test(t) ? `an ${t}` : `a ${t}`);
const INT_RE = /^-?(0|[1-9]\d*)$/;

function readInteger(type: string, value: unknown, path: string): bigint {
  const expected = `expected ${article(type)} (number or decimal string), got ${show(value)}`;
  let n: bigint | undefined;
  if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === "string") {
    if (INT_RE.test(value)) n = BigInt(value);
    else if (/^-?\d+(\.0*)?(e\+?\d+)?$/i.test(value) && Number.isInteger(Number(value))) {
      n = BigInt(Number(value));
    }
  }
  if (n === undefined) return fail(path, expected);
  const [lo, hi] = RANGES[type] as [bigint, bigint];
  if (n < lo || n > hi) fail(path, `${show(value)} is out of range for ${type}`);
  return n;
}

const RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const UNSIGNED64 = new Set(["uint64", "fixed64"]);
const BITS64 = new Set(["int64", "sint64", "sfixed64", "uint64", "fixed64"]);

function readScalar(type: string, value: unknown, path: string): unknown {
  switch (type) {
    case "string":
      if (typeof value !== "string") fail(path, `expected a string, got ${show(value)}`);
      return value;
    case "bool":
      if (typeof value !== "boolean") fail(path, `expected a bool (true or false), got ${show(value)}`);
      return value;
    case "bytes":
      return readBytes(value, path);
    case "double":
    case "float":
      return readFloat(type, value, path);
    default: {
      const n = readInteger(type, value, path);
      if (BITS64.has(type)) return Long.fromString(n.toString(), UNSIGNED64.has(type));
      return Number(n);
    }
  }
}

function readFloat(type: string, value: unknown, path: string): number {
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (value === "NaN") n = Number.NaN;
  else if (value === "Infinity") n = Number.POSITIVE_INFINITY;
  else if (value === "-Infinity") n = Number.NEGATIVE_INFINITY;
  else if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) n = Number(value);
  if (n === undefined)
    return fail(path, `expected a ${type} (number, or "NaN", "Infinity", "-Infinity"), got ${show(value)}`);
  if (type === "float" && Number.isFinite(n) && !Number.isFinite(Math.fround(n))) {
    fail(path, `${show(value)} is out of range for float`);
  }
  return n;
}

function readBytes(value: unknown, path: string): Uint8Array {
  // Standard or URL-safe alphabet, padding optional (the spec: "either standard or URL-safe ... accepted").
  if (
    typeof value !== "string" ||
    !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value) ||
    value.replace(/=+$/, "").length % 4 === 1
  ) {
    return fail(path, `expected bytes as a base64 string, got ${show(value)}`);
  }
  return Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

// --- output --------------------------------------------------------------------------------------------

function writeMessage(type: protobuf.Type, message: Record<string, unknown>, path: string, defaults = false): Json {
  const special = WKT_OUT[type.fullName];
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

function mapKeyOut(keyType: string, k: string): string {
  // protobufjs keys 64-bit map entries by an 8-character hash of the Long.
  if (BITS64.has(keyType) && k.length === 8 && !INT_RE.test(k)) {
    return protobuf.util.longFromHash(k, UNSIGNED64.has(keyType)).toString();
  }
  return k;
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

function writeScalar(type: string, value: unknown): Json {
  switch (type) {
    case "bytes":
      return Buffer.from(value as Uint8Array).toString("base64");
    case "double":
    case "float": {
      const n = value as number;
      if (Number.isNaN(n)) return "NaN";
      if (n === Number.POSITIVE_INFINITY) return "Infinity";
      if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
      return type === "float" ? shortestFloat(n) : n;
    }
    case "string":
    case "bool":
      return value as Json;
    default:
      if (BITS64.has(type)) return typeof value === "number" ? String(value) : String(value as Long);
      return value as number;
  }
}

// A float32 prints as the shortest decimal that reads back as the same float32 (1.1, not 1.100000023841858).
function shortestFloat(n: number): number {
  for (let p = 1; p <= 9; p++) {
    const d = Number(n.toPrecision(p));
    if (Math.fround(d) === n) return d;
  }
  return n;
}

// --- well-known types ----------------------------------------------------------------------------------

type In = (type: protobuf.Type, json: unknown, path: string) => Plain;
type Out = (type: protobuf.Type, message: Record<string, unknown>, path: string, defaults?: boolean) => Json;

const MAX_SECONDS = 315576000000; // Duration's and (as 10000 years) Timestamp's limit, per the spec.
const TS_MIN = -62135596800; // 0001-01-01T00:00:00Z
const TS_MAX = 253402300799; // 9999-12-31T23:59:59Z

const num = (v: unknown): number => (Long.isLong(v) ? (v as Long).toNumber() : Number(v ?? 0));

function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const s = String(nanos).padStart(9, "0");
  return `.${s.endsWith("000000") ? s.slice(0, 3) : s.endsWith("000") ? s.slice(0, 6) : s}`;
}

function readTimestamp(_t: protobuf.Type, json: unknown, path: string): Plain {
  const m =
    typeof json === "string"
      ? /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/.exec(json)
      : null;
  if (m === null)
    return fail(path, `expected a Timestamp (RFC 3339 string, e.g. "1972-01-01T10:00:20.021Z"), got ${show(json)}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  if (date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    fail(path, `${show(json)} is not a valid date and time`);
  }
  let seconds = Math.floor(date.getTime() / 1000);
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    seconds -= sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  if (seconds < TS_MIN || seconds > TS_MAX) fail(path, `${show(json)} is outside 0001-01-01 to 9999-12-31`);
  const nanos = frac === undefined ? 0 : Number(frac.slice(1).padEnd(9, "0"));
  return { seconds: Long.fromNumber(seconds), nanos };
}

function writeTimestamp(_t: protobuf.Type, m: Record<string, unknown>, path: string): Json {
  const seconds = num(m.seconds);
  const nanos = num(m.nanos);
  if (seconds < TS_MIN || seconds > TS_MAX || nanos < 0 || nanos > 999999999) {
    fail(path, `Timestamp out of range (seconds ${seconds}, nanos ${nanos})`);
  }
  const iso = new Date(seconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z for years 0001..9999
  return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
}

function readDuration(_t: protobuf.Type, json: unknown, path: string): Plain {
  const m = typeof json === "string" ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (m === null)
    return fail(path, `expected a Duration (string of seconds with an "s", e.g. "1.5s"), got ${show(json)}`);
  const seconds = Number(m[2]);
  if (seconds > MAX_SECONDS) fail(path, `${show(json)} is out of range for Duration`);
  const sign = m[1] === "-" ? -1 : 1;
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, "0"));
  return { seconds: Long.fromNumber(sign * seconds), nanos: sign * nanos };
}

function writeDuration(_t: protobuf.Type, m: Record<string, unknown>, path: string): Json {
  const seconds = num(m.seconds);
  const nanos = num(m.nanos);
  if (
    Math.abs(seconds) > MAX_SECONDS ||
    Math.abs(nanos) > 999999999 ||
    (seconds > 0 && nanos < 0) ||
    (seconds < 0 && nanos > 0)
  ) {
    fail(path, `Duration out of range (seconds ${seconds}, nanos ${nanos})`);
  }
  const negative = seconds < 0 || nanos < 0;
  return `${negative ? "-" : ""}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

function readValue(t: protobuf.Type, json: unknown, path: string): Plain {
  const root = t.root;
  // Field names by number: protobufjs's built-in Value is camelCase, one from a descriptor is snake_case.
  const f = (id: number) => (t.fieldsById[id] as protobuf.Field).name;
  if (json === null) return { [f(1)]: 0 };
  if (typeof json === "number") {
    if (!Number.isFinite(json)) fail(path, "expected a finite number");
    return { [f(2)]: json };
  }
  if (typeof json === "string") return { [f(3)]: json };
  if (typeof json === "boolean") return { [f(4)]: json };
  if (isObject(json)) return { [f(5)]: readStruct(root.lookupType(".google.protobuf.Struct"), json, path) };
  if (Array.isArray(json)) return { [f(6)]: readList(root.lookupType(".google.protobuf.ListValue"), json, path) };
  return fail(path, `expected a JSON value, got ${show(json)}`);
}

function readStruct(t: protobuf.Type, json: unknown, path: string): Plain {
  if (!isObject(json)) return fail(path, `expected an object (Struct), got ${show(json)}`);
  const value = t.root.lookupType(".google.protobuf.Value");
  const fields: Record<string, Plain> = {};
  for (const [k, v] of Object.entries(json)) fields[k] = readValue(value, v, `${path}.${k}`);
  return { fields };
}

function readList(t: protobuf.Type, json: unknown, path: string): Plain {
  if (!Array.isArray(json)) return fail(path, `expected an array (ListValue), got ${show(json)}`);
  const value = t.root.lookupType(".google.protobuf.Value");
  return { values: json.map((v, i) => readValue(value, v, `${path}[${i}]`)) };
}

function writeValue(t: protobuf.Type, m: Record<string, unknown>, path: string): Json {
  const kind = (m as { kind?: string }).kind ?? Object.keys(m).find((k) => m[k] !== undefined && m[k] !== null);
  const root = t.root;
  switch (kind) {
    case "null_value":
    case "nullValue":
      return null;
    case "number_value":
    case "numberValue": {
      const n = (m.number_value ?? m.numberValue) as number;
      if (!Number.isFinite(n)) fail(path, `Value number ${n} has no JSON form`);
      return n;
    }
    case "string_value":
    case "stringValue":
      return (m.string_value ?? m.stringValue) as string;
    case "bool_value":
    case "boolValue":
      return (m.bool_value ?? m.boolValue) as boolean;
    case "struct_value":
    case "structValue":
      return writeStruct(root.lookupType(".google.protobuf.Struct"), (m.struct_value ?? m.structValue) as Plain, path);
    case "list_value":
    case "listValue":
      return writeList(root.lookupType(".google.protobuf.ListValue"), (m.list_value ?? m.listValue) as Plain, path);
    default:
      return fail(path, "Value has no kind set");
  }
}

function writeStruct(t: protobuf.Type, m: Record<string, unknown>, path: string): Json {
  const value = t.root.lookupType(".google.protobuf.Value");
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries((m.fields ?? {}) as Record<string, Plain>))
    out[k] = writeValue(value, v, `${path}.${k}`);
  return out;
}

function writeList(t: protobuf.Type, m: Record<string, unknown>, path: string): Json {
  const value = t.root.lookupType(".google.protobuf.Value");
  return ((m.values ?? []) as Plain[]).map((v, i) => writeValue(value, v, `${path}[${i}]`));
}

function readWrapper(t: protobuf.Type, json: unknown, path: string): Plain {
  const field = t.fields.value as protobuf.Field;
  if (json === null) fail(path, `expected ${article(field.type)}, got null`);
  return { value: readScalar(field.type, json, path) };
}

function writeWrapper(t: protobuf.Type, m: Record<string, unknown>): Json {
  const field = t.fields.value as protobuf.Field;
  const v =
    m.value ??
    (field.type === "string" ? "" : field.type === "bool" ? false : field.type === "bytes" ? new Uint8Array() : 0);
  return writeScalar(field.type, v);
}

function readFieldMask(_t: protobuf.Type, json: unknown, path: string): Plain {
  if (typeof json !== "string") return fail(path, `expected a FieldMask (comma-separated string), got ${show(json)}`);
  const paths = json === "" ? [] : json.split(",");
  return {
    paths: paths.map((p) => {
      if (/_/.test(p)) fail(path, `FieldMask path ${show(p)} must be lowerCamelCase`);
      return p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    }),
  };
}

function writeFieldMask(_t: protobuf.Type, m: Record<string, unknown>, path: string): Json {
  return ((m.paths ?? []) as string[])
    .map((p) => {
      if (/[A-Z]|_(?![a-z])/.test(p)) fail(path, `FieldMask path ${show(p)} has no lowerCamelCase form`);
      return p.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    })
    .join(",");
}

function anyType(t: protobuf.Type, url: string, path: string): protobuf.Type {
  const name = url.slice(url.lastIndexOf("/") + 1);
  let found: protobuf.ReflectionObject | null = null;
  try {
    found = t.root.lookup(`.${name}`);
  } catch {
    found = null;
  }
  if (!(found instanceof protobuf.Type)) return fail(path, `Any type ${show(url)} is not in the schema`);
  return found;
}

function readAny(t: protobuf.Type, json: unknown, path: string): Plain {
  if (!isObject(json)) return fail(path, `expected an Any object with "@type", got ${show(json)}`);
  const url = json["@type"];
  if (Object.keys(json).length === 0) return {};
  if (typeof url !== "string" || !url.includes("/")) {
    return fail(`${path}.@type`, `expected a type URL such as "type.googleapis.com/pkg.Message", got ${show(url)}`);
  }
  const inner = anyType(t, url, `${path}.@type`);
  let body: unknown;
  if (WKT_IN[inner.fullName] !== undefined) {
    for (const k of Object.keys(json))
      if (k !== "@type" && k !== "value")
        fail(`${path}.${k}`, 'unknown field of Any holding a well-known type (only "value")');
    body = json.value;
  } else {
    const { "@type": _, ...rest } = json;
    body = rest;
  }
  const bytes = inner.encode(readMessage(inner, body, path)).finish();
  return { [(t.fieldsById[1] as protobuf.Field).name]: url, value: bytes };
}

function writeAny(t: protobuf.Type, m: Record<string, unknown>, path: string, defaults = false): Json {
  const url = (m.type_url ?? m.typeUrl ?? "") as string;
  if (url === "") return {};
  const inner = anyType(t, url, path);
  const decoded = inner.decode((m.value ?? new Uint8Array()) as Uint8Array) as unknown as Record<string, unknown>;
  const body = writeMessage(inner, decoded, path, defaults);
  if (WKT_OUT[inner.fullName] !== undefined) return { "@type": url, value: body };
  return { "@type": url, ...(body as Record<string, Json>) };
}

const WRAPPERS = ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"];
const WKT_IN: Record<string, In> = {
  ".google.protobuf.Timestamp": readTimestamp,
  ".google.protobuf.Duration": readDuration,
  ".google.protobuf.Struct": readStruct,
  ".google.protobuf.Value": readValue,
  ".google.protobuf.ListValue": readList,
  ".google.protobuf.FieldMask": readFieldMask,
  ".google.protobuf.Any": readAny,
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, readWrapper])),
};
const WKT_OUT: Record<string, Out> = {
  ".google.protobuf.Timestamp": writeTimestamp,
  ".google.protobuf.Duration": writeDuration,
  ".google.protobuf.Struct": writeStruct,
  ".google.protobuf.Value": writeValue,
  ".google.protobuf.ListValue": writeList,
  ".google.protobuf.FieldMask": writeFieldMask,
  ".google.protobuf.Any": writeAny,
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, writeWrapper])),
};
