// Schemas from .proto files and from protosets, with lookup and describe on top; the bad inputs of issue 14
// (unparsable .proto with file:line:col, missing import, unknown method with the nearest names).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";
import { describeSymbol } from "../../src/schema/describe.ts";
import { listServices, lookupMethod } from "../../src/schema/lookup.ts";
import { loadProtoFiles } from "../../src/schema/proto-files.ts";
import { loadProtoset, rootFromDescriptorSet } from "../../src/schema/protoset.ts";
import { FIXTURES, TESTSVC_PROTO, TESTSVC_PROTOSET } from "../support/schema-helpers.ts";

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "grpcperf-schema-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function mustLoad(files: string[], paths: string[]): protobuf.Root {
  const r = loadProtoFiles(files, paths);
  if (!r.ok) throw new Error(r.error);
  return r.root;
}

describe(".proto files", () => {
  test("the fixture loads with its well-known imports from the binary, not the disk", () => {
    // Only the fixture directory is an import path: no google/protobuf/*.proto is on it.
    const root = mustLoad([TESTSVC_PROTO], [FIXTURES]);
    expect(listServices(root).map((s) => s.fullName)).toEqual([".testsvc.v1.Tester"]);
    expect(root.lookupType("google.protobuf.Timestamp").fields.seconds?.type).toBe("int64");
    expect(root.lookupType("testsvc.v1.Request").fields.big_signed?.type).toBe("int64");
  });

  test("descriptor.proto is built in too", () => {
    const dir = scratch({
      "opt.proto":
        'syntax = "proto3";\nimport "google/protobuf/descriptor.proto";\nmessage M { google.protobuf.FileDescriptorProto f = 1; }\n',
    });
    const root = mustLoad([join(dir, "opt.proto")], [dir]);
    expect(root.lookupType("M").fields.f?.resolvedType?.fullName).toBe(".google.protobuf.FileDescriptorProto");
  });

  test("a file imported twice (diamond) is parsed once", () => {
    const dir = scratch({
      "base.proto": 'syntax = "proto3";\npackage d;\nmessage Base { int32 x = 1; }\n',
      "left.proto": 'syntax = "proto3";\npackage d;\nimport "base.proto";\nmessage L { Base b = 1; }\n',
      "right.proto": 'syntax = "proto3";\npackage d;\nimport "base.proto";\nmessage R { Base b = 1; }\n',
    });
    const root = mustLoad([join(dir, "left.proto"), join(dir, "right.proto")], [dir]);
    expect(root.lookupType("d.L").fields.b?.resolvedType?.fullName).toBe(".d.Base");
  });

  test("a .proto that does not parse: file:line:col: message", () => {
    const dir = scratch({ "bad.proto": 'syntax = "proto3";\nmessage A {\n  int32 x = ;\n}\n' });
    const file = join(dir, "bad.proto");
    const r = loadProtoFiles([file], [dir]);
    expect(r).toEqual({ ok: false, error: `${file}:3:13: illegal id ';'` });
  });

  test("a missing import is named, with the import paths searched", () => {
    const dir = scratch({ "a.proto": 'syntax = "proto3";\nimport "nowhere/b.proto";\nmessage A {}\n' });
    const file = join(dir, "a.proto");
    const r = loadProtoFiles([file], [dir, FIXTURES]);
    expect(r).toEqual({
      ok: false,
      error: `${file}: import "nowhere/b.proto" not found (searched import paths ${JSON.stringify(dir)}, ${JSON.stringify(FIXTURES)})`,
    });
  });

  test("a type that is not defined anywhere", () => {
    const dir = scratch({ "a.proto": 'syntax = "proto3";\nmessage A { Missing m = 1; }\n' });
    const r = loadProtoFiles([join(dir, "a.proto")], [dir]);
    expect(r.ok ? "" : r.error).toContain("no such Type or Enum 'Missing' in Type .A");
  });
});

describe("protosets", () => {
  test("protoc's FileDescriptorSet of the fixture gives the same services and types", () => {
    const r = loadProtoset(TESTSVC_PROTOSET);
    if (!r.ok) throw new Error(r.error);
    const m = lookupMethod(r.root, "testsvc.v1.Tester/Bidi");
    if (!m.ok) throw new Error(m.error);
    expect(m.method.requestType.fields.big_signed?.type).toBe("int64");
    expect(r.root.lookupType("google.protobuf.Any").fields.type_url?.id).toBe(1);
  });

  test("the committed protoset still matches the .proto (regenerate it when the .proto changes)", () => {
    const fromSet = loadProtoset(TESTSVC_PROTOSET);
    if (!fromSet.ok) throw new Error(fromSet.error);
    const fromProto = mustLoad([TESTSVC_PROTO], [FIXTURES]);
    for (const symbol of ["testsvc.v1.Tester", "testsvc.v1.Request", "testsvc.v1.Item", "testsvc.v1.Response"]) {
      expect(describeSymbol(fromSet.root, symbol)).toEqual(describeSymbol(fromProto, symbol));
    }
  });

  test("a set made by protobufjs itself at test time loads too", () => {
    const root = mustLoad([TESTSVC_PROTO], [FIXTURES]);
    const set = (root as unknown as { toDescriptor(e: string): protobuf.Message }).toDescriptor("proto3");
    const bytes = (
      protobuf as unknown as { descriptor: { FileDescriptorSet: protobuf.Type } }
    ).descriptor.FileDescriptorSet.encode(set).finish();
    const r = rootFromDescriptorSet(bytes);
    if (!r.ok) throw new Error(r.error);
    expect(listServices(r.root).map((s) => s.fullName)).toEqual([".testsvc.v1.Tester"]);
  });

  test("bytes that are not a FileDescriptorSet, and a file that is not there", () => {
    const r = rootFromDescriptorSet(new Uint8Array([0x0a, 0x05, 1]));
    expect(r.ok ? "" : r.error).toStartWith("not a FileDescriptorSet: ");
    const missing = loadProtoset("/nonexistent/x.protoset");
    expect(missing.ok ? "" : missing.error).toStartWith("/nonexistent/x.protoset: cannot read the file");
  });
});

describe("lookup", () => {
  const root = mustLoad([TESTSVC_PROTO], [FIXTURES]);

  test("both spellings find a method, with its kind", () => {
    const kinds = ["Unary", "ServerStream", "ClientStream", "Bidi"].map((name) => {
      const r = lookupMethod(root, `testsvc.v1.Tester.${name}`);
      if (!r.ok) throw new Error(r.error);
      return [r.method.path, r.method.clientStreaming, r.method.serverStreaming];
    });
    expect(kinds).toEqual([
      ["/testsvc.v1.Tester/Unary", false, false],
      ["/testsvc.v1.Tester/ServerStream", false, true],
      ["/testsvc.v1.Tester/ClientStream", true, false],
      ["/testsvc.v1.Tester/Bidi", true, true],
    ]);
    const slash = lookupMethod(root, "testsvc.v1.Tester/Unary");
    expect(slash.ok && slash.method.requestType.fullName).toBe(".testsvc.v1.Request");
  });

  test("an unknown service or method names the nearest", () => {
    expect(lookupMethod(root, "testsvc.v1.Testr/Unary")).toEqual({
      ok: false,
      error: "unknown service testsvc.v1.Testr (did you mean testsvc.v1.Tester?)",
    });
    expect(lookupMethod(root, "testsvc.v2.Tester/Unary")).toEqual({
      ok: false,
      error: "unknown service testsvc.v2.Tester (did you mean testsvc.v1.Tester?)",
    });
    expect(lookupMethod(root, "testsvc.v1.Tester/Unray")).toEqual({
      ok: false,
      error: "unknown method Unray in service testsvc.v1.Tester (did you mean Unary?)",
    });
  });
});

describe("describe", () => {
  const root = mustLoad([TESTSVC_PROTO], [FIXTURES]);
  const text = (symbol: string) => {
    const r = describeSymbol(root, symbol);
    if (!r.ok) throw new Error(r.error);
    return r.text;
  };

  test("a service, a method, a message and an enum as proto source", () => {
    expect(text("testsvc.v1.Tester")).toBe(
      [
        "service Tester {",
        "  rpc Unary ( .testsvc.v1.Request ) returns ( .testsvc.v1.Response );",
        "  rpc ServerStream ( .testsvc.v1.Request ) returns ( stream .testsvc.v1.Response );",
        "  rpc ClientStream ( stream .testsvc.v1.Request ) returns ( .testsvc.v1.Response );",
        "  rpc Bidi ( stream .testsvc.v1.Request ) returns ( stream .testsvc.v1.Response );",
        "}",
      ].join("\n"),
    );
    expect(text("testsvc.v1.Tester/Bidi")).toBe(
      "rpc Bidi ( stream .testsvc.v1.Request ) returns ( stream .testsvc.v1.Response );",
    );
    expect(text("testsvc.v1.Item")).toBe(
      [
        "message Item {",
        "  int64 id = 1;",
        "  string name = 2;",
        "  repeated .testsvc.v1.Item.Tag tags = 3;",
        "  message Tag {",
        "    string key = 1;",
        "    .testsvc.v1.Color color = 2;",
        "  }",
        "}",
      ].join("\n"),
    );
    expect(text("testsvc.v1.Color")).toBe(
      "enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n  COLOR_GREEN = 2;\n}",
    );
    const request = text("testsvc.v1.Request");
    expect(request).toContain("  map<int64, .testsvc.v1.Item> by_id = 14;");
    expect(request).toContain("  optional int32 opt = 29;");
    expect(request).toContain('  int32 custom_named = 30 [json_name = "renamed"];');
    expect(request).toContain(
      "  oneof choice {\n    string choice_text = 16;\n    .testsvc.v1.Item choice_item = 17;\n  }",
    );
    expect(describeSymbol(root, "testsvc.v1.Nope")).toEqual({ ok: false, error: "symbol not found: testsvc.v1.Nope" });
  });
});
