// The protocol layer's pure pieces: content types both ways, envelopes, Connect's error JSON and end of
// stream, gRPC-Web's trailers and base64 text, details as google.rpc.Status, and the one status mapping.
import { describe, expect, test } from "bun:test";
import {
  detailsFromTrailer,
  detailsTrailer,
  endOfStreamBody,
  errorJson,
  getPath,
  parseConnectTimeout,
  parseEndOfStream,
  parseErrorJson,
  parseGetQuery,
  splitUnaryTrailers,
  unaryTrailerFields,
} from "../../src/protocol/connect.ts";
import { type Envelope, EnvelopeReader, envelope, Flags } from "../../src/protocol/envelope.ts";
import { Base64Reader, parseTrailers, trailersFrame } from "../../src/protocol/grpc-web.ts";
import { decodeRpcStatusDetails, encodeRpcStatus } from "../../src/protocol/status-proto.ts";
import { contentTypeOf, parseContentType, protocolFields } from "../../src/protocol/wire.ts";
import { connectCodeName, httpStatusOf, Status, statusFromConnectName } from "../../src/rpc/status.ts";

describe("content types", () => {
  test("each protocol and codec names itself, and reads back as itself", () => {
    for (const protocol of ["grpc", "grpc-web", "connect"] as const) {
      for (const codec of ["proto", "json"] as const) {
        for (const text of protocol === "grpc-web" ? [false, true] : [false]) {
          for (const enveloped of protocol === "connect" ? [false, true] : [true]) {
            const type = contentTypeOf({ protocol, codec, text }, enveloped);
            expect(parseContentType(type)).toEqual({ protocol, codec, text, enveloped });
          }
        }
      }
    }
    expect(contentTypeOf({ protocol: "connect", codec: "json", text: false }, false)).toBe("application/json");
    expect(contentTypeOf({ protocol: "grpc-web", codec: "proto", text: true }, true)).toBe(
      "application/grpc-web-text+proto",
    );
  });

  test("bare grpc-web and parameters mean proto; unknown codecs and types are not ours", () => {
    expect(parseContentType("application/grpc-web")?.codec).toBe("proto");
    expect(parseContentType("application/json; charset=utf-8")?.protocol).toBe("connect");
    expect(parseContentType("application/grpc-web+thrift")).toBeUndefined();
    expect(parseContentType("application/connect")).toBeUndefined();
    expect(parseContentType("text/html")).toBeUndefined();
  });

  test("protocol fields", () => {
    expect(protocolFields("connect")).toEqual([["connect-protocol-version", "1"]]);
    expect(protocolFields("grpc")).toEqual([["te", "trailers"]]);
  });
});

describe("envelopes", () => {
  test("split anywhere, they come out whole with their flags", () => {
    const body = Buffer.concat([envelope(0, Buffer.from("ab")), envelope(Flags.CONNECT_END, Buffer.from("{}"))]);
    for (let cut = 0; cut <= body.length; cut++) {
      const r = new EnvelopeReader(100, Flags.CONNECT_END);
      const got: Envelope[] = [];
      expect(r.read(body, 0, cut, (e) => got.push(e))).toBeUndefined();
      expect(r.read(body, cut, body.length, (e) => got.push(e))).toBeUndefined();
      expect(got.map((e) => [e.flags, e.data.toString()])).toEqual([
        [0, "ab"],
        [2, "{}"],
      ]);
      expect(r.buffered).toBe(0);
    }
  });

  test("too large is refused from the prefix; unknown and compressed flags are refused", () => {
    const big = Buffer.from([0, 0, 0x10, 0, 0]);
    expect(new EnvelopeReader(100, 0).read(big, 0, 5, () => {})?.code).toBe(Status.RESOURCE_EXHAUSTED);
    const end = envelope(Flags.CONNECT_END, Buffer.alloc(0));
    expect(new EnvelopeReader(100, Flags.WEB_TRAILERS).read(end, 0, end.length, () => {})?.code).toBe(Status.INTERNAL);
    const compressed = envelope(1, Buffer.alloc(1));
    expect(new EnvelopeReader(100, 0).read(compressed, 0, 6, () => {})?.details).toContain("compress");
  });
});

describe("Connect", () => {
  test("codes by name and HTTP status, in the one mapping", () => {
    expect(connectCodeName(Status.CANCELLED)).toBe("canceled");
    expect(statusFromConnectName("resource_exhausted")).toBe(Status.RESOURCE_EXHAUSTED);
    expect(statusFromConnectName("nonsense")).toBe(Status.UNKNOWN);
    expect(httpStatusOf(Status.NOT_FOUND)).toBe(404);
    expect(httpStatusOf(Status.UNIMPLEMENTED)).toBe(501);
    expect(httpStatusOf(Status.DEADLINE_EXCEEDED)).toBe(504);
  });

  test("error JSON round trip with details; a foreign body maps by HTTP status", () => {
    const detail = { type: "google.rpc.ErrorInfo", value: Buffer.from([1, 2, 3]) };
    const json = JSON.parse(JSON.stringify(errorJson(Status.INVALID_ARGUMENT, "bad", [detail])));
    expect(json.code).toBe("invalid_argument");
    expect(json.details[0].value).toBe("AQID");
    const back = parseErrorJson(json, 400);
    expect(back.error).toEqual({ code: Status.INVALID_ARGUMENT, details: "bad" });
    expect(Buffer.from(back.details[0]?.value ?? []).toJSON().data).toEqual([1, 2, 3]);
    expect(parseErrorJson("<html>", 503).error.code).toBe(Status.UNAVAILABLE);
    expect(parseErrorJson(undefined, 404).error.code).toBe(Status.UNIMPLEMENTED);
  });

  test("end of stream: status, details and trailers both ways", () => {
    const ok = parseEndOfStream(
      endOfStreamBody(0, "", [
        ["x-a", "1"],
        ["x-a", "2"],
      ]),
    );
    expect(ok.status.code).toBe(Status.OK);
    expect(ok.trailers).toEqual([
      ["x-a", "1"],
      ["x-a", "2"],
    ]);
    const failed = parseEndOfStream(endOfStreamBody(Status.ABORTED, "no", []));
    expect(failed.status).toEqual({ code: Status.ABORTED, details: "no" });
    expect(parseEndOfStream(Buffer.from("nope")).status.code).toBe(Status.INTERNAL);
  });

  test("details become gRPC's trailer and back", () => {
    const details = [{ type: "google.rpc.ErrorInfo", value: Buffer.from("xyz") }];
    const t = detailsTrailer({ code: Status.NOT_FOUND, details: "gone" }, details);
    expect(t?.[0]).toBe("grpc-status-details-bin");
    expect(detailsFromTrailer(t?.[1]).map((d) => [d.type, Buffer.from(d.value).toString()])).toEqual([
      ["google.rpc.ErrorInfo", "xyz"],
    ]);
    expect(decodeRpcStatusDetails(encodeRpcStatus(5, "m", []))).toEqual([]);
    expect(decodeRpcStatusDetails(Buffer.from([0x1a, 0x09]))).toBeUndefined();
  });

  test("timeout, trailer- fields and the GET query", () => {
    expect(parseConnectTimeout("1500")).toBe(1500);
    expect(parseConnectTimeout("12345678901")).toBeUndefined();
    expect(parseConnectTimeout("-1")).toBeUndefined();
    expect(splitUnaryTrailers(unaryTrailerFields([["a", "b"]]))).toEqual({ headers: [], trailers: [["a", "b"]] });
    const path = getPath("/p.S/M", "proto", Buffer.from([0xfb, 0xff]));
    const q = parseGetQuery(path.slice(path.indexOf("?") + 1));
    expect(typeof q === "string" ? q : [q.codec, [...q.message]]).toEqual(["proto", [0xfb, 0xff]]);
    expect(parseGetQuery("encoding=xml&message=")).toContain("encoding");
  });
});

describe("gRPC-Web", () => {
  test("trailers frame round trip", () => {
    const f = trailersFrame([
      ["grpc-status", "0"],
      ["X-Custom", "v"],
    ]);
    expect(f[0]).toBe(0x80);
    expect(parseTrailers(f.subarray(5))).toEqual([
      ["grpc-status", "0"],
      ["x-custom", "v"],
    ]);
  });

  test("base64 text cut anywhere, and padded runs one after another", () => {
    const a = Buffer.from("hello");
    const b = Buffer.from("world!!");
    const text = Buffer.from(a.toString("base64") + b.toString("base64"));
    for (let cut = 0; cut <= text.length; cut++) {
      const r = new Base64Reader();
      const out = Buffer.concat([
        r.push(text, 0, cut) ?? Buffer.alloc(0),
        r.push(text, cut, text.length) ?? Buffer.alloc(0),
      ]);
      expect(out.toString()).toBe("helloworld!!");
      expect(r.buffered).toBe(0);
    }
    expect(new Base64Reader().push(Buffer.from("ab$d"), 0, 4)).toBeUndefined();
  });
});
