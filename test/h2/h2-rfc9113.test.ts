// The lean server against RFC 9113's MUSTs, frame by frame over real sockets: malformed requests (§8.1.1,
// §8.2, §8.3), stream states (§5.1), priority (§5.3.1, §6.3), padding (§6.1, §6.2), SETTINGS ACK (§6.5) and
// WINDOW_UPDATE (§6.9). Each test is named by the section it checks. A stream error must leave the
// connection serving; a connection error must come as GOAWAY with the code the RFC names.
import { describe, expect, test } from "bun:test";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import {
  encodeFrame,
  Flag,
  FrameType,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
} from "../../src/h2/frame.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";
import { echoService } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { serveOnLoopback } from "../support/helpers.ts";
import { echoFrame, type Frame, goawayCode, Peer, peerFixture } from "../support/peer.ts";

type Fields = Array<[string, string]>;

const METHOD: [string, string] = [":method", "POST"];
const SCHEME: [string, string] = [":scheme", "http"];
const PATH: [string, string] = [":path", EchoMethod.path];
const AUTHORITY: [string, string] = [":authority", "test"];
const REGULAR: Fields = [
  ["content-type", "application/grpc"],
  ["te", "trailers"],
];
const REQUEST: Fields = [METHOD, SCHEME, PATH, AUTHORITY, ...REGULAR];

// A call that never answers: its stream stays open (half-closed remote once the request is in) until reset.
const hang = { path: "/grpcperf.test.Hang/Wait", request: EchoRequest, response: EchoResponse };
const hangService: ServiceDef = {
  name: "grpcperf.test.Hang",
  methods: [unary(hang, () => new Promise(() => {}))],
};
const HANG_REQUEST: Fields = [METHOD, SCHEME, [":path", hang.path], AUTHORITY, ...REGULAR];

const t = peerFixture();

async function connect(): Promise<Peer> {
  t.srv = await serveOnLoopback([echoService(), hangService], { engine: "lean" });
  const port = t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
  const peer = await Peer.connect(port);
  t.peers.push(peer);
  return peer;
}

const block = (fields: Fields) => encodeHeaderBlock(fields);
const isRst = (id: number) => (f: Frame) => f.type === FrameType.RST_STREAM && f.id === id;
const isTrailers = (id: number) => (f: Frame) =>
  f.type === FrameType.HEADERS && f.id === id && (f.flags & Flag.END_STREAM) !== 0;
const rstCode = (f: Frame) => f.payload.readUInt32BE(0);

/** A whole echo call on stream `id`: it must be served (the connection survived whatever came before). */
async function expectServed(peer: Peer, id: number): Promise<void> {
  peer.send(FrameType.HEADERS, Flag.END_HEADERS, id, block(REQUEST));
  peer.send(FrameType.DATA, Flag.END_STREAM, id, echoFrame(Buffer.from("still here")));
  const trailers = await peer.waitFor(isTrailers(id));
  expect(trailers.headers?.["grpc-status"]).toBe("0");
}

/** The server reset stream `id` with `code`, answered nothing else on it, and still serves stream `next`. */
async function expectStreamError(peer: Peer, id: number, code: number, next: number): Promise<void> {
  const rst = await peer.waitFor(isRst(id));
  expect(rstCode(rst)).toBe(code);
  await expectServed(peer, next);
  expect(peer.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
}

async function expectConnectionError(peer: Peer, code: number): Promise<Frame> {
  const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
  expect(goawayCode(goaway)).toBe(code);
  await peer.waitClosed();
  return goaway;
}

/** A request block sent as one HEADERS frame that ends the stream: refused (RST PROTOCOL_ERROR), not run. */
async function expectMalformed(fields: Fields): Promise<void> {
  const peer = await connect();
  peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block(fields));
  await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  // Refused before any handler: no response HEADERS on the stream.
  expect(peer.frames.some((f) => f.type === FrameType.HEADERS && f.id === 1)).toBe(false);
}

describe("RFC 9113 §8.1.1: a malformed request is a stream error PROTOCOL_ERROR (RFC 7540 §8.1.2)", () => {
  test("§8.2.1: an uppercase field name", async () => {
    await expectMalformed([...REQUEST, ["X-Upper", "1"]]);
  });

  test("§8.2.1: a colon inside a regular field name", async () => {
    await expectMalformed([...REQUEST, ["x:y", "1"]]);
  });

  test("§8.3: an unknown pseudo-header", async () => {
    await expectMalformed([METHOD, SCHEME, PATH, [":foo", "bar"], AUTHORITY, ...REGULAR]);
  });

  test("§8.3: a response pseudo-header (:status) in a request", async () => {
    await expectMalformed([[":status", "200"], ...REQUEST]);
  });

  test("§8.3: a pseudo-header after a regular field", async () => {
    await expectMalformed([METHOD, SCHEME, AUTHORITY, ...REGULAR, PATH]);
  });

  for (const [name, value] of [
    ["connection", "keep-alive"],
    ["proxy-connection", "keep-alive"],
    ["keep-alive", "timeout=5"],
    ["transfer-encoding", "chunked"],
    ["upgrade", "h2c"],
  ] as const) {
    test(`§8.2.2: connection-specific field ${name}`, async () => {
      await expectMalformed([...REQUEST, [name, value]]);
    });
  }

  test("§8.2.2: te other than trailers", async () => {
    await expectMalformed([METHOD, SCHEME, PATH, AUTHORITY, ["content-type", "application/grpc"], ["te", "gzip"]]);
  });

  test("§8.3.1: an empty :path", async () => {
    await expectMalformed([METHOD, SCHEME, [":path", ""], AUTHORITY, ...REGULAR]);
  });

  test("§8.3.1: no :path", async () => {
    await expectMalformed([METHOD, SCHEME, AUTHORITY, ...REGULAR]);
  });

  test("§8.3.1: no :method", async () => {
    await expectMalformed([SCHEME, PATH, AUTHORITY, ...REGULAR]);
  });

  test("§8.3.1: no :scheme", async () => {
    await expectMalformed([METHOD, PATH, AUTHORITY, ...REGULAR]);
  });

  test("§8.3.1: a duplicated :path (a proxy may route on one, we would serve the other)", async () => {
    await expectMalformed([METHOD, SCHEME, PATH, [":path", "/grpc.health.v1.Health/Check"], AUTHORITY, ...REGULAR]);
  });

  test("§8.3.1: a duplicated :method", async () => {
    await expectMalformed([METHOD, METHOD, SCHEME, PATH, AUTHORITY, ...REGULAR]);
  });

  test("§8.1.1: content-length that is not a number", async () => {
    await expectMalformed([...REQUEST, ["content-length", "12x"]]);
  });

  test("§8.1.1: two content-length fields that disagree", async () => {
    await expectMalformed([...REQUEST, ["content-length", "0"], ["content-length", "1"]]);
  });

  test("§8.1.1: content-length on a request ended by its HEADERS (no DATA at all)", async () => {
    await expectMalformed([...REQUEST, ["content-length", "12"]]);
  });

  test("§8.1.1: DATA beyond content-length → reset as soon as it exceeds, before END_STREAM", async () => {
    const peer = await connect();
    const body = echoFrame(Buffer.from("twelve bytes"));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block([...REQUEST, ["content-length", "5"]]));
    peer.send(FrameType.DATA, 0, 1, body);
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
    expect(peer.frames.some((f) => f.type === FrameType.HEADERS && f.id === 1)).toBe(false);
  });

  test("§8.1.1: DATA short of content-length at END_STREAM", async () => {
    const peer = await connect();
    const body = echoFrame(Buffer.from("short"));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block([...REQUEST, ["content-length", String(body.length + 1)]]));
    peer.send(FrameType.DATA, 0, 1, body);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1);
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§8.1.1: content-length equal to the DATA (padding not counted) is served", async () => {
    const peer = await connect();
    const body = echoFrame(Buffer.from("exact"));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block([...REQUEST, ["content-length", String(body.length)]]));
    peer.send(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, Buffer.concat([Buffer.of(3), body, Buffer.alloc(3)]));
    expect((await peer.waitFor(isTrailers(1))).headers?.["grpc-status"]).toBe("0");
  });

  test("§8.1: trailers carrying a pseudo-header", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(REQUEST));
    peer.send(FrameType.DATA, 0, 1, echoFrame(Buffer.from("x")));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block([[":path", "/other"]]));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§8.1: trailers without END_STREAM", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(REQUEST));
    peer.send(FrameType.DATA, 0, 1, echoFrame(Buffer.from("x")));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block([["x-trailer", "1"]]));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§8.1: regular trailers end the request, which is served", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(REQUEST));
    peer.send(FrameType.DATA, 0, 1, echoFrame(Buffer.from("x")));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block([["x-trailer", "1"]]));
    expect((await peer.waitFor(isTrailers(1))).headers?.["grpc-status"]).toBe("0");
  });

  test("§8.3.1: a well-formed CONNECT-less request with every pseudo-header once is served", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
  });
});

describe("RFC 9113 §5.1: stream states", () => {
  test("§5.1 idle: RST_STREAM → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.socket.write(rstStreamFrame(1, ErrorCode.CANCEL));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§5.1 idle: WINDOW_UPDATE → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.socket.write(windowUpdateFrame(1, 100));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§5.1 idle: DATA → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    peer.send(FrameType.DATA, 0, 3, echoFrame(Buffer.from("x")));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§5.1 idle: RST_STREAM on an even (server-initiated, never pushed) stream → connection error", async () => {
    const peer = await connect();
    await expectServed(peer, 3);
    peer.socket.write(rstStreamFrame(2, ErrorCode.CANCEL));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§5.1 half-closed (remote): DATA after END_STREAM → stream error STREAM_CLOSED", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("x")));
    peer.send(FrameType.DATA, 0, 1, echoFrame(Buffer.from("more")));
    await expectStreamError(peer, 1, ErrorCode.STREAM_CLOSED, 3);
  });

  test("§5.1 half-closed (remote): HEADERS after END_STREAM → stream error STREAM_CLOSED", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("x")));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block([["x-trailer", "1"]]));
    await expectStreamError(peer, 1, ErrorCode.STREAM_CLOSED, 3);
  });

  test("§5.1 closed: DATA after the client's RST_STREAM → stream error STREAM_CLOSED", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.socket.write(rstStreamFrame(1, ErrorCode.CANCEL));
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("late")));
    await expectStreamError(peer, 1, ErrorCode.STREAM_CLOSED, 3);
  });

  test("§5.1 closed: trailers after the client's RST_STREAM → stream error STREAM_CLOSED", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.socket.write(rstStreamFrame(1, ErrorCode.CANCEL));
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, block([["x-trailer", "1"]]));
    await expectStreamError(peer, 1, ErrorCode.STREAM_CLOSED, 3);
  });

  test("§5.1.1: request HEADERS on the stream id just used → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 5);
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 5, block(REQUEST));
    const goaway = await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
    expect(goaway.payload.readUInt32BE(0) & 0x7fffffff).toBe(5);
  });

  test("§5.1.1: request HEADERS on a lower stream id never used → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 5);
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, block(REQUEST));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });
});

/** A HEADERS payload with the PRIORITY fields before the block. */
function withPriority(dependency: number, fields: Fields): Buffer {
  const priority = Buffer.alloc(5);
  priority.writeUInt32BE(dependency, 0);
  priority[4] = 15;
  return Buffer.concat([priority, block(fields)]);
}

describe("RFC 9113 §5.3.1 / §6.3: priority", () => {
  test("§5.3.1: HEADERS making its stream depend on itself → stream error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY | Flag.END_STREAM, 1, withPriority(1, REQUEST));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
    expect(peer.frames.some((f) => f.type === FrameType.HEADERS && f.id === 1)).toBe(false);
  });

  test("§5.3.1: HEADERS depending on another stream is served", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY, 3, withPriority(1, REQUEST));
    peer.send(FrameType.DATA, Flag.END_STREAM, 3, echoFrame(Buffer.from("x")));
    expect((await peer.waitFor(isTrailers(3))).headers?.["grpc-status"]).toBe("0");
  });

  test("§5.3.1: PRIORITY making an open stream depend on itself → stream error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.send(FrameType.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 1, 15]));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§5.3.1: PRIORITY making an idle stream depend on itself → stream error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.PRIORITY, 0, 1, Buffer.from([0x80, 0, 0, 1, 15]));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§6.3: PRIORITY on stream 0 → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.PRIORITY, 0, 0, Buffer.from([0, 0, 0, 1, 15]));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§6.3: PRIORITY of 4 bytes → stream error FRAME_SIZE_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.send(FrameType.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0]));
    await expectStreamError(peer, 1, ErrorCode.FRAME_SIZE_ERROR, 3);
  });

  test("§6.3: PRIORITY of 6 bytes on a closed stream → stream error FRAME_SIZE_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    peer.send(FrameType.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 15, 0]));
    await expectStreamError(peer, 1, ErrorCode.FRAME_SIZE_ERROR, 3);
  });
});

describe("RFC 9113 §6.1 / §6.2: padding", () => {
  test("§6.1: DATA whose pad length equals its payload length, on an open stream → connection error", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(REQUEST));
    peer.send(FrameType.DATA, Flag.PADDED, 1, Buffer.of(4, 0, 0, 0));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§6.1: DATA with too much padding on a closed stream → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    peer.send(FrameType.DATA, Flag.PADDED, 1, Buffer.of(200, 0, 0, 0));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§6.1: DATA with the padding flag and no pad length → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    peer.send(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1);
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§6.2: HEADERS with too much padding on a new stream → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    const b = block(REQUEST);
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED, 1, Buffer.concat([Buffer.of(b.length + 1), b]));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§6.2: HEADERS with too much padding on a closed stream → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    const b = block([["x-trailer", "1"]]);
    peer.send(
      FrameType.HEADERS,
      Flag.END_HEADERS | Flag.PADDED | Flag.END_STREAM,
      1,
      Buffer.concat([Buffer.of(b.length + 1), b]),
    );
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });
});

describe("RFC 9113 §6.5 / §6.9: SETTINGS ACK and WINDOW_UPDATE", () => {
  test("§6.5: SETTINGS with ACK and a payload → connection error FRAME_SIZE_ERROR", async () => {
    const peer = await connect();
    peer.socket.write(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(6)));
    await expectConnectionError(peer, ErrorCode.FRAME_SIZE_ERROR);
  });

  test("§6.9: WINDOW_UPDATE of 0 on an open stream → stream error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, Buffer.alloc(4));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§6.9: WINDOW_UPDATE of 0 on a closed stream → stream error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, Buffer.alloc(4));
    await expectStreamError(peer, 1, ErrorCode.PROTOCOL_ERROR, 3);
  });

  test("§6.9: WINDOW_UPDATE of 0 on the connection → connection error PROTOCOL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(4));
    await expectConnectionError(peer, ErrorCode.PROTOCOL_ERROR);
  });

  test("§6.9.2: SETTINGS_INITIAL_WINDOW_SIZE pushing an open stream's window past 2^31-1 → connection error FLOW_CONTROL_ERROR", async () => {
    const peer = await connect();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(HANG_REQUEST));
    // The stream's window is 65,535 + 2^31-65,536 = 2^31-1; raising the initial window by 2 passes it.
    peer.socket.write(windowUpdateFrame(1, 0x7fffffff - 65_535));
    peer.socket.write(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 65_537]]));
    await expectConnectionError(peer, ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("§6.9: a WINDOW_UPDATE on a closed stream is no error (§5.1 lets it cross our END_STREAM)", async () => {
    const peer = await connect();
    await expectServed(peer, 1);
    peer.socket.write(windowUpdateFrame(1, 100));
    await expectServed(peer, 3);
    expect(peer.frames.some((f) => f.type === FrameType.RST_STREAM && f.id === 1 && rstCode(f) !== 0)).toBe(false);
  });
});
