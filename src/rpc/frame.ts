// gRPC length-prefixed message framing: 1 byte compressed flag, 4 bytes big-endian length, message.
import { type RpcError, rpcError, Status } from "./status.ts";

export const FRAME_HEADER_BYTES = 5;

/** Frames one message into a single Buffer (grpc-js and node:http2 both want Buffers, not Uint8Arrays). */
export function encodeFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Inflates a compressed message (the request's grpc-encoding); throws on corrupt input, and stops with
 * a RangeError (code ERR_BUFFER_TOO_LARGE) the moment the output passes maxOutputBytes, so a bomb is
 * never inflated whole.
 */
export type Decompress = (bytes: Buffer, maxOutputBytes: number) => Buffer;

/** What node:zlib throws when an inflate passes its maxOutputLength. */
const OUTPUT_CAP_PASSED = "ERR_BUFFER_TOO_LARGE";

/** A message over the receive limit (as grpc-go and grpc-js word it). */
export function tooLarge(length: number, max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${max})`);
}

/** A compressed message that inflated past the receive limit (grpc-go's wording). */
export function inflatedTooLarge(max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `received message after decompression larger than max (${max})`);
}

/** A message over the send limit, refused before any of it goes out. */
export function sentTooLarge(length: number, max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `sent message larger than max (${length} vs. ${max})`);
}

/**
 * Reassembles messages from DATA chunks: a message may be split across chunks, and one chunk may hold
 * several messages. Oversized messages are refused from their prefix, before their body is buffered;
 * a split message is gathered as views and joined once, when its last byte is in.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  // Length (prefix included) of the message being gathered, once its prefix is in; -1 before.
  private need = -1;

  /** decompress: for messages whose compressed flag is set; without it such a message is an error. */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly decompress?: Decompress,
  ) {}

  /** Feeds a chunk; appends the messages it completed to `out`, or returns an error that ends the stream. */
  push(chunk: Buffer, out: Buffer[]): RpcError | undefined {
    return this.read(chunk, 0, chunk.length, (m) => out.push(m));
  }

  /** Feeds buf[start, end); calls `each` per complete message. An RpcError ends the call. */
  read(buf: Buffer, start: number, end: number, each: (message: Buffer) => void): RpcError | undefined {
    let data = buf;
    let pos = start;
    let stop = end;
    if (this.pendingBytes > 0) {
      // Views, not copies: every socket read comes in a buffer of its own, never reused.
      this.pending.push(buf.subarray(start, end));
      this.pendingBytes += end - start;
      if (this.need < 0) {
        if (this.pendingBytes < FRAME_HEADER_BYTES) return undefined;
        const head = Buffer.concat(this.pending);
        this.pending = [head];
        const err = this.check(head, 0);
        if (err) return err;
        this.need = FRAME_HEADER_BYTES + head.readUInt32BE(1);
      }
      if (this.pendingBytes < this.need) return undefined;
      data = Buffer.concat(this.pending, this.pendingBytes);
      pos = 0;
      stop = data.length;
      this.pending = [];
      this.pendingBytes = 0;
      this.need = -1;
    }
    while (stop - pos >= FRAME_HEADER_BYTES) {
      const err = this.check(data, pos);
      if (err) return err;
      const next = pos + FRAME_HEADER_BYTES + data.readUInt32BE(pos + 1);
      if (next > stop) {
        this.need = next - pos;
        break;
      }
      let message = data.subarray(pos + FRAME_HEADER_BYTES, next);
      if (data[pos] === 1) {
        try {
          message = (this.decompress as Decompress)(message, this.maxMessageBytes);
        } catch (e) {
          if ((e as { code?: string }).code === OUTPUT_CAP_PASSED) return inflatedTooLarge(this.maxMessageBytes);
          return rpcError(Status.INTERNAL, "could not decompress the message");
        }
        if (message.length > this.maxMessageBytes) return tooLarge(message.length, this.maxMessageBytes);
      }
      each(message);
      pos = next;
    }
    if (pos < stop) {
      this.pending = [data.subarray(pos, stop)];
      this.pendingBytes = stop - pos;
    }
    return undefined;
  }

  /** The prefix at data[pos]: a bad flag or an oversized message is refused before its body is gathered. */
  private check(data: Buffer, pos: number): RpcError | undefined {
    const flag = data[pos] as number;
    if (flag > 1) return rpcError(Status.INTERNAL, `invalid message flag ${flag}`);
    if (flag === 1 && this.decompress === undefined) {
      return rpcError(Status.INTERNAL, "received a compressed message, but no compression was negotiated");
    }
    const length = data.readUInt32BE(pos + 1);
    return length > this.maxMessageBytes ? tooLarge(length, this.maxMessageBytes) : undefined;
  }

  /** Bytes of an incomplete message still waiting for the rest. */
  get buffered(): number {
    return this.pendingBytes;
  }
}
