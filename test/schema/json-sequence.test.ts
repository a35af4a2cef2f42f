// Several JSON values in a row (-d for client streams): cutting, nesting, strings with brackets, errors.
import { describe, expect, test } from "bun:test";
import { parseJsonSequence } from "../../src/text/json-sequence.ts";

describe("parseJsonSequence", () => {
  test("one object, several on a line, one per line, and none", () => {
    expect(parseJsonSequence('{"a":1}')).toEqual({ ok: true, values: [{ a: 1 }] });
    expect(parseJsonSequence('{"a":1}{"a":2} {"a":[3,{"b":"}"}]}')).toEqual({
      ok: true,
      values: [{ a: 1 }, { a: 2 }, { a: [3, { b: "}" }] }],
    });
    expect(parseJsonSequence('{"t":"say \\"{\\""}\n{"t":2}\n')).toEqual({
      ok: true,
      values: [{ t: 'say "{"' }, { t: 2 }],
    });
    expect(parseJsonSequence("  \n")).toEqual({ ok: true, values: [] });
    expect(parseJsonSequence('1 "x" [true] null')).toEqual({ ok: true, values: [1, "x", [true], null] });
  });

  test("a bad value is named by line and column", () => {
    const r = parseJsonSequence('{"a":1}\n  {"a":}');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toStartWith("JSON at line 2, column 3:");
    const open = parseJsonSequence('{"a":1}\n{"a":');
    expect(!open.ok && open.error).toBe("JSON at line 2, column 1: the text ends inside this value");
  });
});
