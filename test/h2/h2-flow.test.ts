// Flow control against clients that take nothing: the lean server holds back request DATA (and its
// window) while responses wait for the client's window, refuses new streams past its queue bound, cuts a
// client that sends past the window it was given, and closes one that opens no window for --send-timeout.
// Waits are on frames: "the server grants nothing more" is shown by a PING answered with no new window.
import { describe, expect, test } from "bun:test";
import { encodeMessage } from "../../src/api/codec.ts";
import { ECHO_STREAM_PATH, EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import { Flag, FrameType, MAX_WINDOW, Setting, windowUpdateFrame } from "../../src/h2/frame.ts";
import { MessageDecoder } from "../../src/rpc/message.ts";
import { echoService } from "../../src/server/echo.ts";
import type { Limits } from "../../src/server/limits.ts";
import { CLIENTS, channelTo, serveOnLoopback } from "../support/helpers.ts";
import { echoFrame, type Frame, goawayCode, Peer, peerFixture } from "../support/peer.ts";

const MAX_FRAME = 16_384;
// The server's SETTINGS_INITIAL_WINDOW_SIZE (src/server/h2/connection.ts).
const SERVER_STREAM_WINDOW = 1 << 20;

/** The windows the server granted, read off its WINDOW_UPDATE frames, and what this peer used of them. */
class Windows {
  private readonly granted = new Map<number, number>([[0, 65_535]]);
  private readonly used = new Map<number, number>();
  private seen = 0;

  constructor(private readonly peer: Peer) {}

  /** Total the server has let us send on a stream (0 = the connection). */
  grantedOn(id: number): number {
    const frames = this.peer.frames;
    for (; this.seen < frames.length; this.seen++) {
      const f = frames[this.seen] as Frame;
      if (f.type !== FrameType.WINDOW_UPDATE) continue;
      this.granted.set(f.id, (this.granted.get(f.id) ?? SERVER_STREAM_WINDOW) + f.payload.readUInt32BE(0));
    }
    return this.granted.get(id) ?? SERVER_STREAM_WINDOW;
  }

  private room(id: number): number {
    return Math.min(this.grantedOn(0) - (this.used.get(0) ?? 0), this.grantedOn(id) - (this.used.get(id) ?? 0));
  }

  /**
   * Sends `body` on stream `id` within the windows; false when the server stopped granting (a PING came
   * back with no room made) before all of it went.
   */
  async send(id: number, body: Buffer, endStream: boolean): Promise<boolean> {
    let at = 0;
    do {
      let room = this.room(id);
      if (room <= 0 && body.length > 0) {
        await this.peer.sync();
        room = this.room(id);
        if (room <= 0) return false;
      }
      const n = Math.min(MAX_FRAME, room, body.length - at);
      const last = at + n === body.length;
      this.peer.send(FrameType.DATA, last && endStream ? Flag.END_STREAM : 0, id, body.subarray(at, at + n));
      this.used.set(0, (this.used.get(0) ?? 0) + n);
      this.used.set(id, (this.used.get(id) ?? 0) + n);
      at += n;
    } while (at < body.length);
    return true;
  }
}

const isTrailers = (id: number) => (f: Frame) =>
  f.type === FrameType.HEADERS && f.id === id && (f.flags & Flag.END_STREAM) !== 0;

/** Opens every window wide: the stream windows by SETTINGS, the connection's by WINDOW_UPDATE. */
function openWindows(peer: Peer): void {
  const settings = Buffer.alloc(6);
  settings.writeUInt16BE(Setting.INITIAL_WINDOW_SIZE, 0);
  settings.writeUInt32BE(MAX_WINDOW, 2);
  peer.send(FrameType.SETTINGS, 0, 0, settings);
  peer.send(FrameType.WINDOW_UPDATE, 0, 0, windowUpdateFrame(0, MAX_WINDOW - 65_535).subarray(9));
}

const t = peerFixture();

// Pings answer "has the server anything more for us"; the keepalive policy would count them as abuse.
async function start(limits: Partial<Limits> = {}, settings: Array<[number, number]> = []): Promise<Peer> {
  t.srv = await serveOnLoopback([echoService()], { engine: "lean", limits: { keepaliveMinTimeMs: 0, ...limits } });
  const port = t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
  const peer = await Peer.connect(port, settings);
  t.peers.push(peer);
  await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
  return peer;
}

/** Unary calls with 64 KiB answers until the server stops granting window; the streams opened, in order. */
async function fillUnaryQueue(peer: Peer, windows: Windows): Promise<{ opened: number[]; blocked: boolean }> {
  const request = echoFrame(Buffer.alloc(64 * 1024, 0x61), 1);
  const opened: number[] = [];
  // Without a bound the server would answer all 800 (50 MiB of responses held for this client).
  for (let i = 0; i < 800; i++) {
    const id = 2 * i + 1;
    peer.headers(id);
    opened.push(id);
    if (!(await windows.send(id, request, true))) return { opened, blocked: true };
  }
  return { opened, blocked: false };
}

/** 1 KiB echoes on one bidi stream until the server stops granting window; how many went. */
async function fillStream(peer: Peer, windows: Windows, id: number): Promise<{ sent: number; blocked: boolean }> {
  peer.headers(id, ECHO_STREAM_PATH);
  for (let sent = 0; sent < 8000; sent++) {
    if (!(await windows.send(id, echoFrame(Buffer.alloc(1024, 0x62), sent), false))) return { sent, blocked: true };
  }
  return { sent: 8000, blocked: false };
}

const refusals = (peer: Peer) =>
  peer.frames.filter((f) => f.type === FrameType.RST_STREAM && f.payload.readUInt32BE(0) === ErrorCode.REFUSED_STREAM);

describe("lean HTTP/2 server: a client that opens no window", () => {
  test("unary calls: responses queue to the bound, then new streams are refused and no window comes back", async () => {
    const peer = await start({}, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
    const windows = new Windows(peer);
    const { opened, blocked } = await fillUnaryQueue(peer, windows);
    expect(blocked).toBe(true);
    const refused = refusals(peer);
    expect(refused.length).toBeGreaterThan(0);
    // Refused for its queue (16 MiB of 64 KiB responses), long before MAX_CONCURRENT_STREAMS (1000).
    const firstRefused = opened.indexOf((refused[0] as Frame).id);
    expect(firstRefused).toBeGreaterThan(200);
    expect(firstRefused).toBeLessThan(300);
    // What it could upload: the requests it got answers queued for, plus one connection window.
    expect(windows.grantedOn(0)).toBeLessThan(48 << 20);

    // The client reads at last: every call it was not refused completes.
    const partial = opened[opened.length - 1] as number;
    peer.send(FrameType.RST_STREAM, 0, partial, Buffer.from([0, 0, 0, ErrorCode.CANCEL]));
    openWindows(peer);
    const refusedIds = new Set(refused.map((f) => f.id));
    for (const id of opened) {
      if (refusedIds.has(id) || id === partial) continue;
      expect((await peer.waitFor(isTrailers(id))).headers?.["grpc-status"]).toBe("0");
    }
    // And the connection takes new calls again.
    const next = partial + 2;
    peer.headers(next);
    expect(await windows.send(next, echoFrame(Buffer.from("again"), 2), true)).toBe(true);
    expect((await peer.waitFor(isTrailers(next))).headers?.["grpc-status"]).toBe("0");
  });

  test("one bidi stream: its request DATA is held, not read, once its responses queue past 1 MiB", async () => {
    const peer = await start({}, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
    const windows = new Windows(peer);
    const { sent, blocked } = await fillStream(peer, windows, 1);
    // Without holding, the server would grant all 8 MiB while it queues every echo.
    expect(blocked).toBe(true);
    expect(windows.grantedOn(1)).toBeLessThanOrEqual(SERVER_STREAM_WINDOW + (SERVER_STREAM_WINDOW * 3) / 2);

    openWindows(peer);
    expect(await windows.send(1, Buffer.alloc(0), true)).toBe(true);
    expect((await peer.waitFor(isTrailers(1))).headers?.["grpc-status"]).toBe("0");
    const sequences: number[] = [];
    const decoder = new MessageDecoder(1 << 20, undefined);
    for (const f of peer.dataOn(1)) {
      decoder.read(f.payload, 0, f.payload.length, (m) => {
        sequences.push(Number(EchoResponse.decode(m).sequence));
      });
    }
    expect(sequences).toEqual(Array.from({ length: sent }, (_, i) => i));
  });

  test("send timeout: a client that opens no window for queued responses is closed (GOAWAY ENHANCE_YOUR_CALM)", async () => {
    const peer = await start({ sendTimeoutMs: 200 }, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
    peer.headers(1);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("never read"), 1));
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(goaway.payload.subarray(8).toString()).toContain("send timeout");
    await peer.waitClosed();
  });
});

// Window the server holds back is only worth anything if a client cannot just send past it.
describe("lean HTTP/2 server: a client that sends past its window", () => {
  test("past the connection window → GOAWAY FLOW_CONTROL_ERROR", async () => {
    const peer = await start({}, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
    const windows = new Windows(peer);
    const { blocked } = await fillUnaryQueue(peer, windows);
    expect(blocked).toBe(true);
    // Every byte of window is used: one more (on a refused stream, which still counts) is one too many.
    peer.send(FrameType.DATA, 0, (refusals(peer)[0] as Frame).id, Buffer.alloc(1));
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("past a stream's window → that stream is reset FLOW_CONTROL_ERROR; the connection serves on", async () => {
    const peer = await start({}, [[Setting.INITIAL_WINDOW_SIZE, 0]]);
    const windows = new Windows(peer);
    const { blocked } = await fillStream(peer, windows, 1);
    expect(blocked).toBe(true);
    peer.send(FrameType.DATA, 0, 1, echoFrame(Buffer.from("one too many"), 0));
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.id === 1);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    openWindows(peer);
    peer.headers(3);
    expect(await windows.send(3, echoFrame(Buffer.from("still here"), 3), true)).toBe(true);
    expect((await peer.waitFor(isTrailers(3))).headers?.["grpc-status"]).toBe("0");
  });
});

describe.each(CLIENTS)("lean HTTP/2 server: honest load past the queue bound, %s client", (client) => {
  test("48 concurrent 1 MiB echoes (48 MiB in flight) all succeed", async () => {
    t.srv = await serveOnLoopback([echoService()], { engine: "lean", limits: { maxReceiveMessageBytes: 2 << 20 } });
    const ch = channelTo(t.srv.address, { client, maxReceiveMessageBytes: 2 << 20, maxSendMessageBytes: 2 << 20 });
    const payload = Buffer.alloc(1 << 20, 0x63);
    const results = await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        ch.unary(EchoMethod.path, encodeMessage(EchoRequest, { payload, sequence: i })),
      ),
    );
    await ch.close();
    for (const [i, r] of results.entries()) {
      expect(r.ok ? "ok" : r.error.details).toBe("ok");
      if (r.ok) expect(Number(EchoResponse.decode(r.value).sequence)).toBe(i);
    }
  });
});
