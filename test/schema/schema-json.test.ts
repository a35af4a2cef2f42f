// The canonical proto3 JSON mapping (protobuf.dev/programming-guides/json) through src/schema/json.ts, on the
// fixture's testsvc.v1.Request loaded both from the .proto and from the protoc-made protoset: every value goes
// to wire bytes and back, so protobufjs's encoder and decoder are in the loop, not just our walker.
import { describe, expect, test } from "bun:test";
import type protobuf from "protobufjs";
import {
  decodeToJson,
  encodeJson,
  fromJson,
  type Json,
  jsonName as jsonNameOf,
  toJson,
} from "../../src/schema/json.ts";
import { loadProtoFiles } from "../../src/schema/proto-files.ts";
import { loadProtoset } from "../../src/schema/protoset.ts";
import { FIXTURES, TESTSVC_PROTO, TESTSVC_PROTOSET } from "../support/schema-helpers.ts";

function roots(): Array<[string, protobuf.Root]> {
  const fromProto = loadProtoFiles([TESTSVC_PROTO], [FIXTURES]);
  const fromSet = loadProtoset(TESTSVC_PROTOSET);
  if (!fromProto.ok) throw new Error(fromProto.error);
  if (!fromSet.ok) throw new Error(fromSet.error);
  return [
    [".proto", fromProto.root],
    ["protoset", fromSet.root],
  ];
}

function roundTrip(type: protobuf.Type, json: unknown): Json {
  const e = encodeJson(type, json);
  if (!e.ok) throw new Error(e.error);
  const d = decodeToJson(type, e.bytes);
  if (!d.ok) throw new Error(d.error);
  return d.json;
}

function misfit(type: protobuf.Type, json: unknown): string {
  const e = encodeJson(type, json);
  if (e.ok) throw new Error(`accepted ${JSON.stringify(json)}`);
  return e.error;
}

for (const [source, root] of roots()) {
  const Request = root.lookupType("testsvc.v1.Request");
  const one = (json: unknown) => roundTrip(Request, json);

  describe(`proto3 JSON (${source})`, () => {
    test("canonical input comes back unchanged, every feature at once", () => {
      const canonical = {
        text: "héllo",
        small: -5,
        bigSigned: "-9007199254740993",
        bigUnsigned: "18446744073709551615",
        fixedBig: "9007199254740993",
        zigzag: "-3",
        payload: "AQID/w==",
        flag: true,
        ratio: 1.1,
        score: 2.5,
        color: "COLOR_RED",
        items: [{ id: "9007199254740993", name: "a", tags: [{ key: "k", color: "COLOR_GREEN" }] }],
        counts: { a: "9007199254740993" },
        byId: { "9007199254740993": { name: "x" }, "-1": { name: "y" } },
        byFlag: { true: "t", false: "f" },
        choiceItem: { name: "c" },
        at: "1972-01-01T10:00:20.021Z",
        took: "1.000340012s",
        extra: { a: [1, "x", null, { b: true }] },
        anything: null,
        list: [1, "two", false],
        maybeBig: "9007199254740993",
        maybeText: "",
        maybeFlag: false,
        mask: "fooBar,x.yZ",
        nothing: {},
        detail: { "@type": "type.googleapis.com/testsvc.v1.Item", id: "7", name: "in any" },
        opt: 0,
        renamed: 4,
      };
      expect(one(canonical)).toEqual(canonical);
    });

    test("int64 above 2^53 survives exactly, as a string; numbers are accepted on input", () => {
      expect(one({ bigSigned: "9007199254740993" })).toEqual({ bigSigned: "9007199254740993" });
      expect(one({ bigSigned: 42 })).toEqual({ bigSigned: "42" });
      expect(one({ bigUnsigned: "18446744073709551615" })).toEqual({ bigUnsigned: "18446744073709551615" });
      expect(one({ bigSigned: "-9223372036854775808" })).toEqual({ bigSigned: "-9223372036854775808" });
    });

    test("lenient input: original field names, enum numbers, base64url, numeric strings", () => {
      expect(one({ big_signed: "1", maybe_text: "x", custom_named: 3 })).toEqual({
        bigSigned: "1",
        maybeText: "x",
        renamed: 3,
      });
      expect(one({ color: 2 })).toEqual({ color: "COLOR_GREEN" });
      expect(one({ payload: "AQID_w" })).toEqual({ payload: "AQID/w==" });
      expect(one({ small: "12", score: "1.5" })).toEqual({ small: 12, score: 1.5 });
    });

    test("fromJson and toJson meet at a protobufjs message", () => {
      const m = fromJson(Request, { bigSigned: "9007199254740993", payload: "AQI=", color: "COLOR_GREEN" });
      if (!m.ok) throw new Error(m.error);
      expect(m.message).toBeInstanceOf(Request.ctor);
      expect(toJson(Request, m.message)).toEqual({
        ok: true,
        json: { bigSigned: "9007199254740993", payload: "AQI=", color: "COLOR_GREEN" },
      });
    });

    test("a float prints as the shortest decimal that reads back as the same float32", () => {
      expect(one({ ratio: 0.1 })).toEqual({ ratio: 0.1 });
      expect(one({ ratio: 3.4028234663852886e38 })).toEqual({ ratio: 3.4028235e38 });
      expect(misfit(Request, { ratio: 1e39 })).toBe(".ratio: 1e+39 is out of range for float");
    });

    test("floats: NaN and the infinities as strings", () => {
      expect(one({ score: "NaN", ratio: "-Infinity" })).toEqual({ score: "NaN", ratio: "-Infinity" });
      expect(one({ score: "Infinity" })).toEqual({ score: "Infinity" });
    });

    test("defaults are omitted, except proto3 optional and oneof members; null means the default", () => {
      expect(one({ text: "", small: 0, bigSigned: "0", flag: false, color: "COLOR_UNSPECIFIED", items: [] })).toEqual(
        {},
      );
      expect(one({ opt: 0, choiceText: "" })).toEqual({ opt: 0, choiceText: "" });
      expect(one({ text: null, at: null, items: null })).toEqual({});
    });

    test("with defaults (grpcurl's -emit-defaults): every field but unset oneof members and proto3 optionals", () => {
      const e = encodeJson(Request, { text: "x", choiceText: "" });
      if (!e.ok) throw new Error(e.error);
      const d = decodeToJson(Request, e.bytes, { defaults: true });
      if (!d.ok) throw new Error(d.error);
      const json = d.json as Record<string, Json>;
      expect(json).toMatchObject({
        text: "x",
        small: 0,
        bigSigned: "0",
        payload: "",
        flag: false,
        color: "COLOR_UNSPECIFIED",
        items: [],
        counts: {},
        at: null,
        choiceText: "",
      });
      expect(json).not.toHaveProperty("opt");
      expect(json).not.toHaveProperty("choiceItem");
      for (const f of Request.fieldsArray)
        if (f.partOf === null || f.partOf === undefined) expect(Object.keys(json)).toContain(jsonNameOf(f));
      // without the option, the defaults stay out as before
      expect(decodeToJson(Request, e.bytes)).toEqual({ ok: true, json: { text: "x", choiceText: "" } });
    });

    test("well-known types print exactly as the spec's strings", () => {
      expect(one({ at: "1972-01-01T10:00:20.021+01:00" })).toEqual({ at: "1972-01-01T09:00:20.021Z" });
      expect(one({ at: "2017-01-15T01:30:15.01Z" })).toEqual({ at: "2017-01-15T01:30:15.010Z" });
      expect(one({ at: "0001-01-01T00:00:00Z" })).toEqual({ at: "0001-01-01T00:00:00Z" });
      expect(one({ at: "9999-12-31T23:59:59.999999999Z" })).toEqual({ at: "9999-12-31T23:59:59.999999999Z" });
      expect(one({ at: "2020-02-29T12:00:00.000001Z" })).toEqual({ at: "2020-02-29T12:00:00.000001Z" });
      expect(one({ took: "1s" })).toEqual({ took: "1s" });
      expect(one({ took: "1.5s" })).toEqual({ took: "1.500s" });
      expect(one({ took: "-0.5s" })).toEqual({ took: "-0.500s" });
      expect(one({ took: "0.000000001s" })).toEqual({ took: "0.000000001s" });
      expect(one({ mask: "f.fooBar,h" })).toEqual({ mask: "f.fooBar,h" });
      expect(one({ extra: {} })).toEqual({ extra: {} });
      expect(one({ anything: { n: 1.5, s: "x", l: [] } })).toEqual({ anything: { n: 1.5, s: "x", l: [] } });
      expect(one({ anything: "s" })).toEqual({ anything: "s" });
      expect(one({ maybeBig: 0 })).toEqual({ maybeBig: "0" });
      expect(one({ maybeFlag: true, maybeText: "t" })).toEqual({ maybeFlag: true, maybeText: "t" });
      expect(one({ nothing: {} })).toEqual({ nothing: {} });
      expect(one({ detail: { "@type": "type.googleapis.com/google.protobuf.Duration", value: "3s" } })).toEqual({
        detail: { "@type": "type.googleapis.com/google.protobuf.Duration", value: "3s" },
      });
      expect(
        one({ detail: { "@type": "type.googleapis.com/google.protobuf.Timestamp", value: "1970-01-01T00:00:00Z" } }),
      ).toEqual({
        detail: { "@type": "type.googleapis.com/google.protobuf.Timestamp", value: "1970-01-01T00:00:00Z" },
      });
    });

    test("misfits name the field path and what was expected", () => {
      expect(misfit(Request, { items: [{}, {}, { id: true }] })).toBe(
        ".items[2].id: expected an int64 (number or decimal string), got true",
      );
      expect(misfit(Request, { items: [{ tags: [{ color: "RED" }] }] })).toBe(
        '.items[0].tags[0].color: unknown testsvc.v1.Color value "RED" (did you mean COLOR_RED?)',
      );
      expect(misfit(Request, { choiceText: "a", choiceItem: {} })).toBe(
        ".choiceItem: oneof choice already has choiceText set; only one member may be",
      );
      expect(misfit(Request, { txet: "a" })).toBe(".txet: unknown field of testsvc.v1.Request (did you mean text?)");
      expect(misfit(Request, { small: 2 ** 31 })).toBe(".small: 2147483648 is out of range for int32");
      expect(misfit(Request, { bigUnsigned: "-1" })).toBe('.bigUnsigned: "-1" is out of range for uint64');
      expect(misfit(Request, { flag: "true" })).toBe('.flag: expected a bool (true or false), got "true"');
      expect(misfit(Request, { payload: "not base64!" })).toBe(
        '.payload: expected bytes as a base64 string, got "not base64!"',
      );
      expect(misfit(Request, { at: "yesterday" })).toStartWith(".at: expected a Timestamp (RFC 3339 string");
      expect(misfit(Request, { took: "5m" })).toStartWith('.took: expected a Duration (string of seconds with an "s"');
      expect(misfit(Request, { byId: { x: {} } })).toBe(
        '.byId["x"]: expected an int64 (number or decimal string), got "x"',
      );
      expect(misfit(Request, { detail: { "@type": "type.googleapis.com/nope.Missing" } })).toBe(
        '.detail.@type: Any type "type.googleapis.com/nope.Missing" is not in the schema',
      );
      expect(misfit(Request, [])).toBe(".: expected an object (testsvc.v1.Request), got []");
    });
  });
}
