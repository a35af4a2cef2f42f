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
 * Reassembles messages from DATA chunks: a message may be split across chunks, and one chunk may hold
 * several messages. Oversized messages are refused from their header, before their body is buffered.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds a chunk; returns the messages it completed, or an error that ends the stream. */
  push(chunk: Buffer, out: Buffer[]): RpcError | undefined {
    let buf: Buffer;
    if (this.pendingBytes === 0) {
      buf = chunk;
    } else {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingBytes + chunk.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER_BYTES) {
      const flag = buf[pos];
      const length = buf.readUInt32BE(pos + 1);
      if (flag !== 0) {
        return rpcError(
          Status.INTERNAL,
          flag === 1
            ? "received a compressed message, but no compression was negotiated"
            : `invalid frame flag ${flag}`,
        );
      }
      if (length > this.maxMessageBytes) {
        return rpcError(
          Status.RESOURCE_EXHAUSTED,
          `received message larger than max (${length} vs. ${this.maxMessageBytes})`,
        );
      }
      const end = pos + FRAME_HEADER_BYTES + length;
      if (end > buf.length) break;
      out.push(buf.subarray(pos + FRAME_HEADER_BYTES, end));
      pos = end;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
    return undefined;
  }

  /** Bytes of an incomplete message still waiting for the rest. */
  get buffered(): number {
    return this.pendingBytes;
  }
}
