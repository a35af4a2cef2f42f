// `bench --call -d` templates, ghz's names: {{.RequestNumber}}, {{.TimestampUnix}}, {{newUUID}},
// {{randomInt 1 100}}, … Compiled once: the JSON is parsed once with each placeholder standing in as a
// marker, and the string values holding markers are remembered by path. Per call only those values are
// rewritten in place and handed to the encoder, so no JSON is parsed on the hot path. A placeholder that
// stands where a number would (`{"id": {{.RequestNumber}}}`) becomes a decimal string, which the proto3
// JSON mapping takes for every integer and float type, so a 64-bit value keeps all its digits.
import { randomInt as cryptoRandomInt, randomUUID } from "node:crypto";
import type { Checked } from "../schema/checked.ts";

/** What a call's placeholders are filled from. */
interface CallContext {
  /** 0-based over the whole run, all threads. */
  readonly requestNumber: number;
  /** The load thread making the call, numbered over every shard's threads (ghz's {{.WorkerID}}). */
  readonly workerId?: number;
}

type Fill = (c: CallContext) => string;

interface Template {
  /** Rewrites the placeholders for this call and returns the JSON value (the same object every time). */
  render(c: CallContext): unknown;
}

// One string value of the parsed JSON that holds markers: where it is, and its parts.
interface Slot {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
  readonly parts: readonly (string | Fill)[];
}

const OPEN = "\uE000";
const CLOSE = "\uE001";
const MARKER = /\uE000(\d+)\uE001/g;
const CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Whether the text has any `{{…}}` at all: without, -d is encoded once for the whole run. */
export function hasPlaceholders(text: string): boolean {
  return /\{\{.*?\}\}/s.test(text);
}

function nowNanos(): bigint {
  const ms = performance.timeOrigin + performance.now();
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

function randomString(n: number): string {
  // ghz: a length of 0 or less is a random length from 2 to 16.
  const len = n > 0 ? n : 2 + Math.floor(Math.random() * 15);
  let s = "";
  for (let i = 0; i < len; i++) s += CHARSET[Math.floor(Math.random() * CHARSET.length)];
  return s;
}

const KNOWN =
  ".RequestNumber, .WorkerID, .TimestampUnix, .TimestampUnixMilli, .TimestampUnixNano, .Timestamp, .UUID, newUUID, randomInt MIN MAX, randomString N";

/** One placeholder's words to the function that fills it; an error says what is known. */
function placeholder(body: string): Checked<{ fill: Fill }> {
  const words = body.trim().split(/\s+/);
  const [name, ...args] = words;
  const ints = args.map((a) => (/^-?\d+$/.test(a) ? Number(a) : Number.NaN));
  const arity = (n: number, usage: string): Checked<{ fill: Fill }> | undefined =>
    args.length !== n || ints.some((x) => !Number.isSafeInteger(x))
      ? { ok: false, error: `{{${body}}}: expected {{${usage}}} with whole numbers` }
      : undefined;
  const plain = (fill: Fill): Checked<{ fill: Fill }> =>
    args.length > 0 ? { ok: false, error: `{{${body}}}: ${name} takes no arguments` } : { ok: true, fill };
  switch (name) {
    case ".RequestNumber":
      return plain((c) => String(c.requestNumber));
    case ".WorkerID":
      return plain((c) => String(c.workerId ?? 0));
    case ".TimestampUnix":
      return plain(() => String(Math.floor(Date.now() / 1000)));
    case ".TimestampUnixMilli":
      return plain(() => String(Date.now()));
    case ".TimestampUnixNano":
      return plain(() => nowNanos().toString());
    case ".Timestamp":
      return plain(() => `${new Date().toISOString().slice(0, 19)}Z`);
    case ".UUID":
    case "newUUID":
      return plain(() => randomUUID());
    case "randomInt": {
      const bad = arity(2, "randomInt MIN MAX");
      if (bad) return bad;
      const [min, max] = ints as [number, number];
      // ghz's randomInt is [min, max): max itself never comes out.
      if (min >= max) return { ok: false, error: `{{${body}}}: MIN must be below MAX (MAX is excluded)` };
      return { ok: true, fill: () => String(cryptoRandomInt(min, max)) };
    }
    case "randomString": {
      const bad = arity(1, "randomString N");
      if (bad) return bad;
      const n = ints[0] as number;
      return { ok: true, fill: () => randomString(n) };
    }
    default:
      return { ok: false, error: `{{${body}}}: unknown placeholder (known: ${KNOWN})` };
  }
}

/**
 * The template's text with each placeholder replaced by a marker: inside a JSON string as it stands, and
 * elsewhere as a string of its own, so the text parses as JSON.
 */
function mark(text: string): Checked<{ marked: string; fills: Fill[] }> {
  const fills: Fill[] = [];
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "{" && text[i + 1] === "{") {
      const end = text.indexOf("}}", i + 2);
      if (end < 0) return { ok: false, error: `a {{ at offset ${i} is never closed with }}` };
      const p = placeholder(text.slice(i + 2, end));
      if (!p.ok) return p;
      const m = `${OPEN}${fills.length}${CLOSE}`;
      fills.push(p.fill);
      out += inString ? m : `"${m}"`;
      i = end + 1;
      continue;
    }
    out += c;
    if (inString && c === "\\") {
      out += text[++i] ?? "";
      continue;
    }
    if (c === '"') inString = !inString;
  }
  return { ok: true, marked: out, fills };
}

/** Compiles -d's text; a bad placeholder or text that is not JSON around them is an error. */
export function compileTemplate(text: string): Checked<{ template: Template }> {
  const m = mark(text);
  if (!m.ok) return m;
  let value: unknown;
  try {
    value = JSON.parse(m.marked);
  } catch (e) {
    return { ok: false, error: `not JSON around its placeholders: ${e instanceof Error ? e.message : String(e)}` };
  }
  const slots: Slot[] = [];
  const walk = (v: unknown, parent: Slot["parent"] | undefined, key: string | number) => {
    if (typeof v === "string") {
      if (!v.includes(OPEN)) return;
      const parts: (string | Fill)[] = [];
      let last = 0;
      for (const hit of v.matchAll(MARKER)) {
        if (hit.index > last) parts.push(v.slice(last, hit.index));
        parts.push(m.fills[Number(hit[1])] as Fill);
        last = hit.index + hit[0].length;
      }
      if (last < v.length) parts.push(v.slice(last));
      if (parent) slots.push({ parent, key, parts });
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], v, i);
    } else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes(OPEN)) throw new KeyPlaceholder(k);
        walk(x, v as Record<string, unknown>, k);
      }
    }
  };
  try {
    walk(value, undefined, 0);
  } catch (e) {
    if (e instanceof KeyPlaceholder) return { ok: false, error: "placeholders go in values, not in field names" };
    throw e;
  }
  const top = slots.length === 0 && typeof value === "string" && value.includes(OPEN);
  if (top) return { ok: false, error: "a request is a JSON object, not a placeholder" };
  return {
    ok: true,
    template: {
      render(c) {
        for (const s of slots) {
          let out = "";
          for (const p of s.parts) out += typeof p === "string" ? p : p(c);
          (s.parent as Record<string | number, unknown>)[s.key] = out;
        }
        return value;
      },
    },
  };
}

class KeyPlaceholder extends Error {}
