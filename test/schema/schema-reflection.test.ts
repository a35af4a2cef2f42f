// Schemas by server reflection against grpcperf's own server (it serves grpc.reflection.v1 and v1alpha).
// The bidi stream is grpc-js's (test/support/schema-helpers.ts): grpcperf's own client has no bidi streams yet.
// v1alpha fallback: the stream opener sends v1 to a method the server does not have, so it is the
// server's own UNIMPLEMENTED that makes the session fall back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeToJson, encodeJson } from "../../src/schema/json.ts";
import { lookupMethod } from "../../src/schema/lookup.ts";
import { ReflectionSession } from "../../src/schema/reflection.ts";
import { echoService } from "../../src/server/echo.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { grpcJsBidi } from "../support/schema-helpers.ts";

let srv: TestServer;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService()]);
});
afterAll(async () => {
  await srv.stop();
});

async function session(rename?: (path: string) => string) {
  const client = grpcJsBidi(srv.target, rename);
  const r = await ReflectionSession.open(client.open);
  return { r, client };
}

describe("reflection", () => {
  test("v1: lists services and builds a Root that encodes Echo requests", async () => {
    const { r, client } = await session();
    try {
      if (!r.ok) throw new Error(r.error);
      expect(r.session.path).toBe("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
      expect(r.session.services()).toContain("grpcperf.v1.Echo");
      const root = await r.session.root(["grpcperf.v1.Echo"]);
      if (!root.ok) throw new Error(root.error);
      const m = lookupMethod(root.root, "grpcperf.v1.Echo/Echo");
      if (!m.ok) throw new Error(m.error);
      const e = encodeJson(m.method.requestType, { payload: "aGk=" });
      if (!e.ok) throw new Error(e.error);
      expect(decodeToJson(m.method.requestType, e.bytes)).toEqual({ ok: true, json: { payload: "aGk=" } });
      r.session.close();
    } finally {
      client.close();
    }
  });

  test("falls back to v1alpha when v1 answers UNIMPLEMENTED", async () => {
    const { r, client } = await session((p) => p.replace("grpc.reflection.v1.", "grpc.reflection.v1.Absent"));
    try {
      if (!r.ok) throw new Error(r.error);
      expect(r.session.path).toBe("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
      const root = await r.session.root();
      if (!root.ok) throw new Error(root.error);
      expect(lookupMethod(root.root, "grpcperf.v1.Echo.Echo").ok).toBe(true);
      r.session.close();
    } finally {
      client.close();
    }
  });

  test("no reflection at all: says so and suggests --proto", async () => {
    const { r, client } = await session((p) => `${p}Absent`);
    try {
      expect(r).toEqual({
        ok: false,
        error:
          "the server does not offer reflection (grpc.reflection.v1 or v1alpha answered UNIMPLEMENTED); give the schema with --proto or --protoset",
      });
    } finally {
      client.close();
    }
  });

  test("an unknown symbol is the server's error, named", async () => {
    const { r, client } = await session();
    try {
      if (!r.ok) throw new Error(r.error);
      const root = await r.session.root(["nope.Missing"]);
      expect(root.ok ? "" : root.error).toStartWith("server reflection has no symbol nope.Missing: ");
      r.session.close();
    } finally {
      client.close();
    }
  });
});
