// A frame-level HTTP/2 client for tests: speaks the protocol frame by frame over a real TCP socket and
// records every frame the server sends, decoded enough to assert on. The same recording serves the
// server side of test/support/server-peer.ts, where the bytes start with the client's connection preface.
// Frames and header blocks are read and written by test/support/wire.ts (hpack.js), not by src/h2, so the judge
// shares no code with what it judges.
import { afterEach } from "bun:test";
import net from "node:net";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../../src/api/echo.ts";
import { Flag, FrameType } from "../../src/h2/frame.ts";
import type { TestServer } from "./helpers.ts";
import { BlockDecoder, encodeFields, FrameReader, writeFrame, writeSettings } from "./wire.ts";

/** RFC 9113 §3.4. */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly id: number;
  readonly payload: Buffer;
  /** Decoded fields of a HEADERS frame (of the whole block, once its last CONTINUATION came). */
  headers?: Record<string, string>;
}

/** A client that speaks HTTP/2 frame by frame and records everything the server sends. */
export class Peer {
  readonly frames: Frame[] = [];
  closed = false;
  /** On the server side: whether the bytes began with the client preface (undefined until 24 came). */
  prefaceOk: boolean | undefined;
  private readonly reader = new FrameReader();
  private readonly hpack = new BlockDecoder();
  /** The HEADERS frame whose block is still open (CONTINUATION frames follow). */
  private opened: Frame | undefined;
  private waiters: Array<() => void> = [];
  private pingSeq = 0;

  /** prefaceFirst: the socket is a server's, so the peer's bytes open with the 24-byte preface. */
  constructor(
    readonly socket: net.Socket,
    prefaceFirst = false,
  ) {
    let held: Buffer | undefined = prefaceFirst ? Buffer.alloc(0) : undefined;
    socket.on("data", (data: Buffer) => {
      let chunk = data;
      if (held !== undefined) {
        held = Buffer.concat([held, chunk]);
        if (held.length < PREFACE.length) return;
        this.prefaceOk = held.subarray(0, PREFACE.length).equals(PREFACE);
        chunk = held.subarray(PREFACE.length);
        held = undefined;
      }
      for (const raw of this.reader.push(chunk)) {
        const frame: Frame = { ...raw };
        if (raw.type === FrameType.HEADERS) this.opened = frame;
        const fields = this.hpack.feed(raw);
        if (Array.isArray(fields) && this.opened) {
          this.opened.headers = Object.fromEntries(fields);
          this.opened = undefined;
        }
        this.frames.push(frame);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static async connect(port: number, settings: Array<[number, number]> = []): Promise<Peer> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const peer = new Peer(socket);
    socket.write(Buffer.concat([PREFACE, writeSettings(settings)]));
    return peer;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the first recorded frame matching, waiting for more frames as needed. */
  async waitFor(match: (f: Frame) => boolean, from = 0): Promise<Frame> {
    for (;;) {
      const f = this.frames.slice(from).find(match);
      if (f) return f;
      if (this.closed) throw new Error("connection closed before the frame came");
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Everything the server sent before it answered this PING. */
  async sync(): Promise<Frame[]> {
    const data = Buffer.alloc(8);
    data.writeUInt32BE(++this.pingSeq, 4);
    this.send(FrameType.PING, 0, 0, data);
    const ack = await this.waitFor(
      (f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0 && f.payload.equals(data),
    );
    return this.frames.slice(0, this.frames.indexOf(ack));
  }

  /** Writes frames until the server sends GOAWAY or closes, or `count` are sent; returns how many went. */
  async flood(count: number, next: (i: number) => Buffer): Promise<number> {
    let i = 0;
    while (i < count && !this.closed && !this.frames.some((f) => f.type === FrameType.GOAWAY)) {
      if (!this.socket.write(next(i++))) {
        await new Promise<void>((resolve) => {
          this.socket.once("drain", resolve);
          this.socket.once("close", resolve);
        });
      }
    }
    return i;
  }

  send(type: number, flags: number, id: number, payload: Uint8Array = Buffer.alloc(0)): void {
    this.socket.write(writeFrame(type, flags, id, payload));
  }

  headers(id: number, path = EchoMethod.path, extra: Array<[string, string]> = [], endStream = false): Buffer {
    const block = encodeFields([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", path],
      [":authority", "test"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ...extra,
    ]);
    this.send(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), id, block);
    return block;
  }

  dataOn(id: number): Frame[] {
    return this.frames.filter((f) => f.type === FrameType.DATA && f.id === id);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** An echo request as a gRPC length-prefixed message. */
export function echoFrame(payload: Buffer, sequence = 7): Buffer {
  const msg = encodeMessage(EchoRequest, { payload, sequence });
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

/** The GOAWAY error code. */
export const goawayCode = (f: Frame): number => f.payload.readUInt32BE(4);

/** The server and peers a test file opens, closed after each test (call once, at the top of the file). */
export function peerFixture(): { srv: TestServer | undefined; peers: Peer[] } {
  const t: { srv: TestServer | undefined; peers: Peer[] } = { srv: undefined, peers: [] };
  afterEach(async () => {
    for (const p of t.peers) p.close();
    t.peers = [];
    await t.srv?.stop();
    t.srv = undefined;
  });
  return t;
}
