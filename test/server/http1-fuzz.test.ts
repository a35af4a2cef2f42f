// Generated HTTP/1.1 requests (fast-check: valid ones with bytes replaced, inserted and cut, from an alphabet
// of the bytes framing is made of) against the lean engine over real sockets: whatever a client sends,
// the server answers with a known status or closes the connection, never crashes or hangs, and keeps
// serving others.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { echoService } from "../../src/server/echo.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { connectEcho, RawHttp1 } from "./http1-raw.ts";

let srv: TestServer;
let port = 0;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService()], { limits: { maxReceiveMessageBytes: 4096 } });
  port = srv.address.kind === "tcp" ? srv.address.port : 0;
});
afterAll(async () => {
  await srv.stop();
});

const body = '{"sequence":"3"}';
const SEEDS = [
  connectEcho(body),
  `POST /grpcperf.v1.Echo/Echo HTTP/1.1\r\nHost: t\r\ncontent-type: application/json\r\nconnect-protocol-version: 1\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n5;x=y\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
  "GET /grpcperf.v1.Echo/Echo?encoding=json&message=%7B%7D HTTP/1.1\r\nHost: t\r\n\r\n",
  connectEcho(body) + connectEcho(body),
];
const ALPHABET = ["\r", "\n", " ", "\t", ":", ";", "0", "f", "-", ",", "\x00", "\x7f", "\xff", "a", "chunked", "9999"];

const mutation = fc.tuple(
  fc.constantFrom("replace", "insert", "cut"),
  fc.nat(),
  fc.constantFrom(...ALPHABET),
  fc.integer({ min: 1, max: 8 }),
);

function mutate(seed: string, edits: [string, number, string, number][]): string {
  let s = seed;
  for (const [kind, at, text, n] of edits) {
    const i = at % (s.length + 1);
    if (kind === "replace") s = s.slice(0, i) + text + s.slice(i + text.length);
    else if (kind === "insert") s = s.slice(0, i) + text + s.slice(i);
    else s = s.slice(0, i) + s.slice(i + n);
  }
  return s;
}

const KNOWN = new Set([200, 400, 404, 405, 413, 415, 417, 429, 431, 500, 501, 505]);

test("any mutation of a valid request: known statuses, then the connection ends; the server keeps serving", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: SEEDS.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      async (s, edits) => {
        const c = await RawHttp1.connect(port);
        c.write(mutate(SEEDS[s] as string, edits));
        // Our side ends: a request still waiting for bytes cannot complete, so the server must let go of it.
        c.socket.end();
        const statuses: number[] = [];
        for (;;) {
          const r = await c.response();
          if (r === undefined) break;
          statuses.push(r.status);
        }
        await c.untilClosed();
        for (const status of statuses) expect(KNOWN.has(status)).toBe(true);
      },
    ),
    { numRuns: 200 },
  );
  const c = await RawHttp1.connect(port);
  c.write(connectEcho('{"sequence":"77"}'));
  expect(JSON.parse((await c.response())?.body.toString() ?? "{}").sequence).toBe("77");
  c.end();
  expect(srv.server.inFlight()).toBe(0);
});
