// -d templates (src/bench/template.ts) and the schema a template travels with to the load threads.
import { describe, expect, test } from "bun:test";
import { reviveType } from "../../src/bench/call-workload.ts";
import { compileTemplate, hasPlaceholders } from "../../src/bench/template.ts";
import { encodeJson } from "../../src/schema/json.ts";
import { loadProtoFiles } from "../../src/schema/proto-files.ts";
import { loadProtoset } from "../../src/schema/protoset.ts";
import { TESTSVC_PROTO, TESTSVC_PROTOSET } from "../support/schema-helpers.ts";

function compiled(text: string) {
  const r = compileTemplate(text);
  if (!r.ok) throw new Error(r.error);
  return r.template;
}

describe("templates", () => {
  test("{{.RequestNumber}} in a string and as a whole number value", () => {
    const t = compiled('{"id": {{.RequestNumber}}, "name": "user-{{ .RequestNumber }}-x", "n": [{{.RequestNumber}}]}');
    expect(t.render({ requestNumber: 7 })).toEqual({ id: "7", name: "user-7-x", n: ["7"] });
    expect(t.render({ requestNumber: 8 })).toEqual({ id: "8", name: "user-8-x", n: ["8"] });
  });

  test("randomInt is [MIN, MAX), as ghz's", () => {
    const t = compiled('{"v": {{randomInt 3 5}}}');
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) seen.add((t.render({ requestNumber: i }) as { v: string }).v);
    expect([...seen].sort()).toEqual(["3", "4"]);
  });

  test("uuid, randomString, timestamps", () => {
    const t = compiled(
      '{"u":"{{newUUID}}","s":"{{randomString 8}}","z":"{{randomString 0}}","a":{{.TimestampUnix}},"m":{{.TimestampUnixMilli}},"n":{{.TimestampUnixNano}}}',
    );
    const v = t.render({ requestNumber: 0 }) as Record<string, string>;
    expect(v.u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(v.s).toMatch(/^[A-Za-z0-9]{8}$/);
    expect((v.z as string).length).toBeGreaterThanOrEqual(2);
    expect((v.z as string).length).toBeLessThanOrEqual(16);
    const sec = Number(v.a);
    expect(Math.abs(sec - Date.now() / 1000)).toBeLessThan(60);
    expect(Number(v.m) / 1000).toBeGreaterThanOrEqual(sec);
    expect(v.n).toMatch(/^\d{19}$/);
    expect(BigInt(v.n as string) / 1_000_000n >= BigInt(v.m as string) - 1n).toBe(true);
  });

  test("text without placeholders is recognised (encoded once)", () => {
    expect(hasPlaceholders('{"a": "b"}')).toBe(false);
    expect(hasPlaceholders('{"a": "{{newUUID}}"}')).toBe(true);
  });

  test.each([
    ['{"a": "{{nope}}"}', /unknown placeholder/],
    ['{"a": {{randomInt 1}}}', /randomInt MIN MAX/],
    ['{"a": {{randomInt 5 2}}}', /MIN must be below MAX/],
    ['{"a": {{.RequestNumber}}', /not JSON/],
    ['{"a": "{{.RequestNumber"}', /never closed/],
    ['{"{{newUUID}}": 1}', /not in field names/],
  ])("bad template %s", (text, message) => {
    const r = compileTemplate(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe("the schema crosses to the threads as JSON", () => {
  const request = {
    text: "hi",
    bigSigned: "-9007199254740993",
    payload: "AAEC",
    color: "COLOR_GREEN",
    items: [{ id: 5, name: "x", tags: [{ key: "k", color: "COLOR_RED" }] }],
    counts: { a: "3" },
    byId: { "7": { id: 7 } },
    at: "2026-01-02T03:04:05.123Z",
    took: "1.5s",
    extra: { a: [1, "b", null] },
    anything: 3,
    maybeBig: "12",
    mask: "a.b,c",
    nothing: {},
    renamed: 4,
    opt: 0,
  };
  test.each([
    ["--proto", () => loadProtoFiles([TESTSVC_PROTO])],
    ["--protoset", () => loadProtoset(TESTSVC_PROTOSET)],
  ])("%s: the revived request type encodes the same bytes", (_, load) => {
    const r = load();
    if (!r.ok) throw new Error(r.error);
    const type = r.root.lookupType("testsvc.v1.Request");
    const revived = reviveType({ text: "", schema: r.root.toJSON(), requestType: type.fullName });
    const a = encodeJson(type, request);
    const b = encodeJson(revived, request);
    if (!a.ok || !b.ok) throw new Error(JSON.stringify([a, b]));
    expect(Buffer.from(b.bytes).toString("hex")).toBe(Buffer.from(a.bytes).toString("hex"));
  });
});
