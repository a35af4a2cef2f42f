// grpcperf serve's Connect and gRPC-Web paths keep the gRPC path's bounds: a request larger than the
// receive limit is refused from its declared size before its body is sent (the answer comes while the
// client still holds the body back), an envelope prefix over the limit likewise, and a foreign
// content-type is refused with 415. Raw node:http2 requests, so nothing of grpcperf's client is involved.
import { afterAll, beforeAll, expect, test } from "bun:test";
import http2 from "node:http2";
import { type ServedBinary, serveBinary } from "../support/helpers.ts";

let served: ServedBinary;
let session: http2.ClientHttp2Session;
beforeAll(async () => {
  served = await serveBinary(["--max-recv-msg-size", "1KiB"]);
  session = http2.connect(`http://${served.target}`);
});
afterAll(async () => {
  session.close();
  await served.stop();
});

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** Sends the headers (and `body`, if any; without it the request stays open) and reads the whole answer. */
function request(headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      head = h;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status: Number(head[":status"]), headers: head, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    if (body !== undefined) req.end(body);
  });
}

test("Connect unary: a content-length over the limit is answered before any body byte", async () => {
  const a = await request({
    ":path": "/grpcperf.v1.Echo/Echo",
    "content-type": "application/proto",
    "connect-protocol-version": "1",
    "content-length": "100000",
  });
  expect(a.status).toBe(429);
  expect(JSON.parse(a.body.toString())).toMatchObject({ code: "resource_exhausted" });
});

test("gRPC-Web: an envelope declaring more than the limit is refused from its prefix", async () => {
  const prefix = Buffer.from([0, 0, 1, 0, 0]); // 65536 bytes declared, none sent
  const a = await request({ ":path": "/grpcperf.v1.Echo/Echo", "content-type": "application/grpc-web+proto" }, prefix);
  expect(a.headers["grpc-status"]).toBe("8");
  expect(String(a.headers["grpc-message"])).toContain("larger than max");
});

test("Connect: an unknown method is unimplemented (404), health stays gRPC", async () => {
  const a = await request(
    { ":path": "/grpc.health.v1.Health/Check", "content-type": "application/json", "connect-protocol-version": "1" },
    Buffer.from("{}"),
  );
  expect(a.status).toBe(501);
  expect(JSON.parse(a.body.toString()).code).toBe("unimplemented");
});

test("a content-type of no protocol is refused with 415", async () => {
  const a = await request({ ":path": "/grpcperf.v1.Echo/Echo", "content-type": "text/plain" }, Buffer.from("x"));
  expect(a.status).toBe(415);
});
