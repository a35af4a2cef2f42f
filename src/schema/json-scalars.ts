// Scalars of the proto3 JSON mapping, read with the leniency protoc's JsonFormat allows (numbers or decimal
// strings for integers, "NaN"/"Infinity" for floats, both base64 alphabets) and written canonically.
import Long from "long";
import protobuf from "protobufjs";
import { fail, type Json, show } from "./json-common.ts";

// "a uint64": the article follows the sound, and u- in these type names is said "you".
export const article = (t: string) => (/^[aeio]/.test(t) ? `an ${t}` : `a ${t}`);
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

export function readScalar(type: string, value: unknown, path: string): unknown {
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

export function writeScalar(type: string, value: unknown): Json {
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

export function mapKeyOut(keyType: string, k: string): string {
  // protobufjs keys 64-bit map entries by an 8-character hash of the Long.
  if (BITS64.has(keyType) && k.length === 8 && !INT_RE.test(k)) {
    return protobuf.util.longFromHash(k, UNSIGNED64.has(keyType)).toString();
  }
  return k;
}
