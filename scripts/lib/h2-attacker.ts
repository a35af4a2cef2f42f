// A raw HTTP/2 peer for scripts/stress-hostile.ts: writes frames in bulk (chunks of ~64 KiB, so a flood
// of millions costs the sender little), reads and counts everything the server sends, keeps the server's
// flow-control windows (a hostile peer that still obeys the server's windows, so a fixed server can push
// back), and notes when GOAWAY came, after how many frames of ours. Not a test helper: scripts/ does not
// import from test/, so this is its own small peer on top of src/h2's frame codec.
import net from "node:net";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../../src/api/echo.ts";
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FrameParser,
  FrameType,
  PREFACE,
  Setting,
  settingsFrame,
  writeFrameHeader,
} from "../../src/h2/frame.ts";
import { HpackDecoder } from "../../src/h2/hpack/decoder.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";

const CHUNK_BYTES = 64 * 1024;
/** The largest DATA frame a server that advertised nothing else accepts (RFC 9113 §4.2). */
const MAX_FRAME = 16_384;

/** How a DATA send ended: all of it went, the stream was reset, the connection refused, or no window came. */
export type SendOutcome = "sent" | "reset" | "refused" | "stalled";

export interface GoawaySeen {
  readonly code: number;
  readonly lastStreamId: number;
  readonly debug: string;
  /** Frames we had written when it arrived. */
  readonly afterFrames: number;
}

/** A request header block for `path`, with extra fields (grpc-encoding…). */
export function requestBlock(path: string = EchoMethod.path, extra: Array<[string, string]> = []): Buffer {
  return encodeHeaderBlock([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "stress"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ]);
}

/** An EchoRequest as a gRPC length-prefixed message; compressed = the flag byte says so. */
export function grpcMessage(body: Buffer, compressed = false): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

export function echoRequestBytes(payloadBytes: number): Buffer {
  return Buffer.from(encodeMessage(EchoRequest, { payload: Buffer.alloc(payloadBytes, 0x61), sequence: 1 }));
}

export class AttackPeer {
  framesSent = 0;
  bytesSent = 0;
  /** DATA payload bytes written. */
  dataBytes = 0;
  closed = false;
  goaway: GoawaySeen | undefined;
  /** Frames we had written when the server closed the socket; undefined if it did not (we closed it). */
  closedAfterFrames: number | undefined;
  private closedByUs = false;
  /** Frames received, by type. */
  readonly received = new Map<number, number>();
  /** RST_STREAMs received, by error code. */
  readonly resets = new Map<number, number>();
  /** Streams the server reset: nothing more is sent on them. */
  readonly resetStreams = new Set<number>();
  /** grpc-status of each stream whose trailers came, by stream id. */
  readonly statuses = new Map<number, { status: string; message: string }>();
  // The server's flow-control windows for what we send.
  private connWindow = DEFAULT_WINDOW;
  private streamInitial = DEFAULT_WINDOW;
  private readonly streamWindows = new Map<number, number>();
  private readonly parser = new FrameParser(1 << 24);
  private readonly hpack = new HpackDecoder();
  private block: Buffer[] = [];
  private blockStream = 0;
  private waiters: Array<() => void> = [];
  private pingSeq = 0;
  private settingsAcked = false;
  /** The socket's error (ECONNRESET when the server closed with our bytes unread), if any. */
  socketError: string | undefined;
  private readonly acked = new Set<number>();

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.parser.push(chunk, (type, flags, id, buf, start, end) => this.onFrame(type, flags, id, buf, start, end));
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      if (!this.closedByUs) this.closedAfterFrames ??= this.framesSent;
      this.wake();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      this.socketError ??= err.code ?? err.message;
    });
  }

  /** Connects, sends the preface and our SETTINGS. */
  static async connect(port: number, settings: Array<[number, number]> = []): Promise<AttackPeer> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    socket.setNoDelay(true);
    const peer = new AttackPeer(socket);
    await peer.write(Buffer.concat([PREFACE, settingsFrame(settings)]), 1);
    // Our ACK of the server's SETTINGS must go before any attack starts: sent in the middle of a header
    // block it would itself be the protocol error the server answers.
    await peer.until(() => peer.settingsAcked, performance.now() + 5000);
    return peer;
  }

  /** The connection is over for us: the server sent GOAWAY or closed. */
  get refused(): boolean {
    return this.closedByServer || this.goaway !== undefined;
  }

  private onFrame(type: number, flags: number, id: number, buf: Buffer, start: number, end: number): void {
    this.received.set(type, (this.received.get(type) ?? 0) + 1);
    switch (type) {
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) return;
        for (let p = start; p + 6 <= end; p += 6) {
          if (buf.readUInt16BE(p) !== Setting.INITIAL_WINDOW_SIZE) continue;
          const value = buf.readUInt32BE(p + 2);
          const delta = value - this.streamInitial;
          this.streamInitial = value;
          for (const [s, w] of this.streamWindows) this.streamWindows.set(s, w + delta);
        }
        // An ACK is what any peer sends; withholding it is not one of the attacks measured here.
        this.socket.write(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
        this.settingsAcked = true;
        return;
      case FrameType.WINDOW_UPDATE: {
        const inc = buf.readUInt32BE(start) & 0x7fffffff;
        if (id === 0) this.connWindow += inc;
        else this.streamWindows.set(id, (this.streamWindows.get(id) ?? this.streamInitial) + inc);
        return;
      }
      case FrameType.PING:
        if (flags & Flag.ACK) this.acked.add(buf.readUInt32BE(start + 4));
        return;
      case FrameType.GOAWAY:
        this.goaway ??= {
          lastStreamId: buf.readUInt32BE(start) & 0x7fffffff,
          code: buf.readUInt32BE(start + 4),
          debug: buf.toString("utf8", start + 8, end),
          afterFrames: this.framesSent,
        };
        return;
      case FrameType.RST_STREAM: {
        const code = buf.readUInt32BE(start);
        this.resets.set(code, (this.resets.get(code) ?? 0) + 1);
        this.resetStreams.add(id);
        return;
      }
      case FrameType.HEADERS:
      case FrameType.CONTINUATION: {
        let from = start;
        let to = end;
        if (type === FrameType.HEADERS) {
          if (flags & Flag.PADDED) {
            to -= buf[start] as number;
            from++;
          }
          if (flags & Flag.PRIORITY) from += 5;
          this.block = [];
          this.blockStream = id;
        }
        this.block.push(Buffer.from(buf.subarray(from, to)));
        if ((flags & Flag.END_HEADERS) === 0) return;
        // Every block is decoded, in order, so the HPACK table stays in step with the server's.
        const fields: Record<string, string> = {};
        this.hpack.decode(Buffer.concat(this.block), (n, v) => {
          fields[n] = v;
        });
        this.block = [];
        const status = fields["grpc-status"];
        if (status !== undefined) {
          this.statuses.set(this.blockStream, { status, message: fields["grpc-message"] ?? "" });
        }
        return;
      }
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once `ready()` holds, false if the connection closed or the deadline passed first. */
  async until(ready: () => boolean, deadline: number): Promise<boolean> {
    for (;;) {
      if (ready()) return true;
      if (this.closed) return false;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Writes bytes holding `frames` frames; waits out socket backpressure. False once the socket is closed. */
  async write(bytes: Buffer, frames: number): Promise<boolean> {
    if (this.closed) return false;
    this.framesSent += frames;
    this.bytesSent += bytes.length;
    if (!this.socket.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off("drain", done);
          this.socket.off("close", done);
          resolve();
        };
        this.socket.on("drain", done);
        this.socket.on("close", done);
      });
    } else {
      // Let the server's frames in between our chunks, so GOAWAY is seen when it comes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return !this.closed;
  }

  /**
   * `count` frames made by make(i), written ~64 KiB at a time, until the count, the deadline, or the
   * server refuses the connection (GOAWAY or close). Returns the frames written.
   */
  async flood(count: number, deadline: number, make: (i: number) => Buffer): Promise<number> {
    let i = 0;
    const parts: Buffer[] = [];
    while (i < count && !this.refused && performance.now() < deadline) {
      parts.length = 0;
      let bytes = 0;
      const from = i;
      while (i < count && bytes < CHUNK_BYTES) {
        const f = make(i++);
        parts.push(f);
        bytes += f.length;
      }
      if (!(await this.write(Buffer.concat(parts, bytes), i - from))) break;
    }
    return i;
  }

  /** The same frame `count` times: one chunk of copies, written again and again. */
  async floodSame(frame: Buffer, count: number, deadline: number): Promise<number> {
    const per = Math.max(1, Math.floor(CHUNK_BYTES / frame.length));
    const chunk = Buffer.concat(Array.from({ length: per }, () => frame));
    let sent = 0;
    while (sent < count && !this.refused && performance.now() < deadline) {
      const n = Math.min(per, count - sent);
      sent += n;
      if (!(await this.write(n === per ? chunk : chunk.subarray(0, n * frame.length), n))) break;
    }
    return sent;
  }

  headers(id: number, block: Buffer, endStream = false): Promise<boolean> {
    this.streamWindows.set(id, this.streamInitial);
    return this.write(
      encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), id, block),
      1,
    );
  }

  /**
   * DATA within the server's windows, in frames of at most 16 KiB: "stalled" if the windows stayed shut
   * for stallMs (the server stopped taking our bytes) or the deadline passed.
   */
  async data(id: number, body: Buffer, endStream: boolean, deadline: number, stallMs: number): Promise<SendOutcome> {
    let off = 0;
    const avail = () => Math.min(this.connWindow, this.streamWindows.get(id) ?? 0);
    do {
      if (this.resetStreams.has(id)) return "reset";
      if (this.refused) return "refused";
      if (body.length > off && avail() <= 0) {
        const by = Math.min(deadline, performance.now() + stallMs);
        const open = await this.until(() => avail() > 0 || this.refused || this.resetStreams.has(id), by);
        if (!open) return this.closed ? "refused" : "stalled";
        continue;
      }
      const n = Math.min(body.length - off, avail(), MAX_FRAME);
      const last = off + n === body.length;
      const frame = Buffer.allocUnsafe(9 + n);
      writeFrameHeader(frame, 0, n, FrameType.DATA, last && endStream ? Flag.END_STREAM : 0, id);
      body.copy(frame, 9, off, off + n);
      this.connWindow -= n;
      this.streamWindows.set(id, (this.streamWindows.get(id) ?? 0) - n);
      off += n;
      this.dataBytes += n;
      if (!(await this.write(frame, 1))) return "refused";
    } while (off < body.length);
    return "sent";
  }

  /** PING and wait for its ACK: everything written before it has been read by the server. */
  async sync(deadline: number): Promise<boolean> {
    const seq = ++this.pingSeq;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(seq, 4);
    if (!(await this.write(encodeFrame(FrameType.PING, 0, 0, payload), 1))) return false;
    return this.until(() => this.acked.has(seq), deadline);
  }

  /** What the server's windows let us send on stream `id` now. */
  windowFor(id: number): number {
    return Math.min(this.connWindow, this.streamWindows.get(id) ?? 0);
  }

  /** `n` bytes of DATA are about to go on stream `id`: they come off both windows. */
  spend(id: number, n: number): void {
    this.connWindow -= n;
    this.streamWindows.set(id, (this.streamWindows.get(id) ?? 0) - n);
    this.dataBytes += n;
  }

  /** Stops reading what the server sends (a peer that never reads); resume() takes it all in again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The server closed the connection (rather than we, at the end of the attack). */
  get closedByServer(): boolean {
    return this.closedAfterFrames !== undefined;
  }

  close(): void {
    if (!this.closed) this.closedByUs = true;
    this.socket.destroy();
  }
}
