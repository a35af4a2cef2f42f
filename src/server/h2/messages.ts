// gRPC messages out of a request body that arrives in DATA ranges of any size: the 5-byte prefix, the
// compressed flag against the negotiated grpc-encoding, and the size limit, checked from the prefix alone
// so an oversized message is refused before its body is buffered.
import { gunzipSync, inflateSync } from "node:zlib";
import { FRAME_HEADER_BYTES } from "../../rpc/frame.ts";
import { type RpcError, rpcError, Status } from "../../rpc/status.ts";

/** The request encodings we can decompress; anything else is refused with UNIMPLEMENTED. */
export const ACCEPT_ENCODING = "identity,deflate,gzip";

export type Decompress = (bytes: Buffer) => Buffer;

/** undefined: identity; a function: decompressor; an RpcError: an encoding we do not have. */
export function decompressorFor(encoding: string | undefined): Decompress | RpcError | undefined {
  if (encoding === undefined || encoding === "" || encoding === "identity") return undefined;
  if (encoding === "gzip") return gunzipSync;
  if (encoding === "deflate") return inflateSync;
  return rpcError(Status.UNIMPLEMENTED, `grpc-encoding "${encoding}" is not supported (${ACCEPT_ENCODING})`);
}

export function tooLarge(length: number, max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${max})`);
}

/** Cuts messages out of body bytes; a message split over frames is gathered, whole ones are views. */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  // Length (prefix included) of the message being gathered, once its prefix is in; -1 before.
  private need = -1;

  constructor(
    private readonly maxBytes: number,
    private readonly decompress: Decompress | undefined,
  ) {}

  /** Bytes of an incomplete message held back. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds buf[start, end); calls `each` per complete message. An RpcError ends the call. */
  push(buf: Buffer, start: number, end: number, each: (message: Buffer) => void): RpcError | undefined {
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
          message = (this.decompress as Decompress)(message);
        } catch {
          return rpcError(Status.INTERNAL, "could not decompress the message");
        }
        if (message.length > this.maxBytes) return tooLarge(message.length, this.maxBytes);
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
    return length > this.maxBytes ? tooLarge(length, this.maxBytes) : undefined;
  }
}
