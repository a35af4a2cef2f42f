// The well-known types' special JSON forms (Timestamp, Duration, Struct/Value/ListValue, wrappers, FieldMask,
// Any), from the proto3 JSON mapping. Any's body is walked by json.ts, handed in as a JsonWalk so the two
// modules do not import each other.
import Long from "long";
import protobuf from "protobufjs";
import { fail, isObject, type Json, show } from "./json-common.ts";
import { article, readScalar, writeScalar } from "./json-scalars.ts";

type Plain = Record<string, unknown>;

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

const readAny = (walk: JsonWalk) =>
  function readAny(t: protobuf.Type, json: unknown, path: string): Plain {
    if (!isObject(json)) return fail(path, `expected an Any object with "@type", got ${show(json)}`);
    const url = json["@type"];
    if (Object.keys(json).length === 0) return {};
    if (typeof url !== "string" || !url.includes("/")) {
      return fail(`${path}.@type`, `expected a type URL such as "type.googleapis.com/pkg.Message", got ${show(url)}`);
    }
    const inner = anyType(t, url, `${path}.@type`);
    let body: unknown;
    if (READ_PLAIN[inner.fullName] !== undefined) {
      for (const k of Object.keys(json))
        if (k !== "@type" && k !== "value")
          fail(`${path}.${k}`, 'unknown field of Any holding a well-known type (only "value")');
      body = json.value;
    } else {
      const { "@type": _, ...rest } = json;
      body = rest;
    }
    const bytes = inner.encode(walk.readMessage(inner, body, path)).finish();
    return { [(t.fieldsById[1] as protobuf.Field).name]: url, value: bytes };
  };

const writeAny = (walk: JsonWalk) =>
  function writeAny(t: protobuf.Type, m: Record<string, unknown>, path: string, defaults = false): Json {
    const url = (m.type_url ?? m.typeUrl ?? "") as string;
    if (url === "") return {};
    const inner = anyType(t, url, path);
    const decoded = inner.decode((m.value ?? new Uint8Array()) as Uint8Array) as unknown as Record<string, unknown>;
    const body = walk.writeMessage(inner, decoded, path, defaults);
    if (WRITE_PLAIN[inner.fullName] !== undefined) return { "@type": url, value: body };
    return { "@type": url, ...(body as Record<string, Json>) };
  };

const WRAPPERS = ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"];
const READ_PLAIN: Record<string, In> = {
  ".google.protobuf.Timestamp": readTimestamp,
  ".google.protobuf.Duration": readDuration,
  ".google.protobuf.Struct": readStruct,
  ".google.protobuf.Value": readValue,
  ".google.protobuf.ListValue": readList,
  ".google.protobuf.FieldMask": readFieldMask,
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, readWrapper])),
};
const WRITE_PLAIN: Record<string, Out> = {
  ".google.protobuf.Timestamp": writeTimestamp,
  ".google.protobuf.Duration": writeDuration,
  ".google.protobuf.Struct": writeStruct,
  ".google.protobuf.Value": writeValue,
  ".google.protobuf.ListValue": writeList,
  ".google.protobuf.FieldMask": writeFieldMask,
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, writeWrapper])),
};

/** The recursion the Any type needs: its body is any message, read and written by the walk in json.ts. */
interface JsonWalk {
  readonly readMessage: In;
  readonly writeMessage: Out;
}

/** The well-known types' JSON forms, keyed by full name, with Any able to walk back into any message. */
export function wellKnownJson(walk: JsonWalk): { read: Record<string, In>; write: Record<string, Out> } {
  return {
    read: { ...READ_PLAIN, ".google.protobuf.Any": readAny(walk) },
    write: { ...WRITE_PLAIN, ".google.protobuf.Any": writeAny(walk) },
  };
}
