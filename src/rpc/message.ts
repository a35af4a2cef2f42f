// gRPC's length-prefixed messages (the 5-byte prefix is a message header, not an HTTP/2 frame): 1 byte
// compressed flag, 4 bytes big-endian length, the message.
import { type RpcError, rpcError, Status } from "./status.ts";

/** gRPC's default limit on a message's size, either way (grpc-go's and grpc-js's). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
export const MESSAGE_HEADER_BYTES = 5;

/** Prefixes one message, in a single Buffer (grpc-js and node:http2 both want Buffers, not Uint8Arrays). */
export function prefixMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, MESSAGE_HEADER_BYTES);
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
function tooLarge(length: number, max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${max})`);
}

/** A compressed message that inflated past the receive limit (grpc-go's wording). */
function inflatedTooLarge(max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `received message after decompression larger than max (${max})`);
}

/** A message over the send limit, refused before any of it goes out. */
export function sentTooLarge(length: number, max: number): RpcError {
  return rpcError(Status.RESOURCE_EXHAUSTED, `sent message larger than max (${length} vs. ${max})`);
}

/** One message as buf[start, end), valid during the call only; an error ends the stream as read()'s would. */
type MessageAt = (buf: Buffer, start: number, end: number) => RpcError | undefined;

/** Told of every change in the bytes a MessageDecoder holds for an unfinished message (+ grown, − freed). */
type HeldBytes = (delta: number) => void;

// A split message's buffer starts at this size (or its declared length, if smaller) and doubles towards
// the declared length as bytes come: memory follows the bytes received (at most twice them, plus this),
// never the length a peer declares, and a message is still copied O(1) times per byte (amortised).
const FIRST_CAPACITY = 16 * 1024;
const SMALL_COPY = 32;

/**
 * Reassembles messages from DATA chunks: a message may be split across chunks, and one chunk may hold
 * several messages. Oversized messages are refused from their prefix, before their body is buffered.
 * A message whole in one chunk is handed on as a view of it; a split one is copied, as it comes, into one
 * buffer of its own (CVE-2026-84304 class: a view per DATA frame kept every frame's object, and with
 * padding every frame's read buffer, alive until the message completed, then joined them in one go).
 * Nothing the decoder keeps refers to a caller's buffer, so no read buffer outlives its read because of it.
 */
export class MessageDecoder {
  // The 5-byte prefix of the message being gathered, as far as it came: bytes seen, flag, length.
  private headFill = 0;
  private flag = 0;
  private length = 0;
  // The body gathered so far (undefined before the prefix is whole), and how much of it is filled.
  private body: Buffer | undefined = undefined;
  private filled = 0;

  /**
   * decompress: for messages whose compressed flag is set; without it such a message is an error.
   * held: told of the bytes kept for an unfinished message, for a server's request-byte budget.
   */
  constructor(
    private readonly maxMessageBytes: number,
    private readonly decompress?: Decompress,
    private readonly held?: HeldBytes,
  ) {}

  /** Feeds a chunk; appends the messages it completed to `out`, or returns an error that ends the stream. */
  push(chunk: Buffer, out: Buffer[]): RpcError | undefined {
    return this.read(chunk, 0, chunk.length, (m) => out.push(m));
  }

  /**
   * Feeds buf[start, end); calls `each` per complete message. A message may be a view of `buf`: keep it
   * past the call only if buf is yours to keep. An RpcError ends the call (and frees what was gathered).
   */
  read(buf: Buffer, start: number, end: number, each: (message: Buffer) => void): RpcError | undefined {
    return this.scan(buf, start, end, each, undefined);
  }

  /**
   * As read(), but each message goes to `at` as a range of a buffer (the read's, or the decoder's own for a
   * split or inflated message), valid during the call only. No view is made: in Bun the first view of a
   * read buffer costs more than the rest of a small message's handling (profiled on bidi streams).
   */
  readRanges(buf: Buffer, start: number, end: number, at: MessageAt): RpcError | undefined {
    return this.scan(buf, start, end, undefined, at);
  }

  private scan(
    buf: Buffer,
    start: number,
    end: number,
    each: ((message: Buffer) => void) | undefined,
    at: MessageAt | undefined,
  ): RpcError | undefined {
    let pos = start;
    while (pos < end) {
      if (this.headFill === 0) {
        // Between messages: those whole in this chunk go on as views, with no copy.
        if (end - pos < MESSAGE_HEADER_BYTES) {
          pos = this.takeHead(buf, pos, end);
          continue;
        }
        const err = this.check(buf[pos] as number, buf.readUInt32BE(pos + 1));
        if (err) return this.failed(err);
        const next = pos + MESSAGE_HEADER_BYTES + buf.readUInt32BE(pos + 1);
        if (next <= end) {
          const flag = buf[pos] as number;
          const from = pos + MESSAGE_HEADER_BYTES;
          const out =
            at !== undefined && flag === 0
              ? at(buf, from, next)
              : this.deliver(flag, buf.subarray(from, next), each, at);
          if (out) return this.failed(out);
          pos = next;
          continue;
        }
        this.flag = buf[pos] as number;
        this.length = buf.readUInt32BE(pos + 1);
        this.headFill = MESSAGE_HEADER_BYTES;
        pos += MESSAGE_HEADER_BYTES;
        this.begin();
        continue;
      }
      if (this.headFill < MESSAGE_HEADER_BYTES) {
        pos = this.takeHead(buf, pos, end);
        if (this.headFill === MESSAGE_HEADER_BYTES) {
          const err = this.check(this.flag, this.length);
          if (err) return this.failed(err);
          this.begin();
          if (this.length === 0) {
            const out = this.finish(each, at);
            if (out) return this.failed(out);
          }
        }
        continue;
      }
      const n = Math.min(end - pos, this.length - this.filled);
      this.reserve(this.filled + n);
      const body = this.body as Buffer;
      if (n <= SMALL_COPY) {
        // Tiny pieces (a byte a frame, say) are cheaper copied by hand than through a native call.
        for (let i = 0; i < n; i++) body[this.filled + i] = buf[pos + i] as number;
      } else {
        buf.copy(body, this.filled, pos, pos + n);
      }
      this.filled += n;
      pos += n;
      if (this.filled === this.length) {
        const out = this.finish(each, at);
        if (out) return this.failed(out);
      }
    }
    return undefined;
  }

  /** Bytes of an incomplete message still waiting for the rest (prefix included). */
  get buffered(): number {
    return this.headFill === 0 ? 0 : this.headFill + this.filled;
  }

  /** Frees what an unfinished message holds: the call ended without it. */
  dispose(): void {
    const capacity = this.body?.length ?? 0;
    this.body = undefined;
    this.headFill = 0;
    this.filled = 0;
    if (capacity > 0) this.held?.(-capacity);
  }

  /** Copies prefix bytes in, up to the whole prefix; returns where reading goes on. */
  private takeHead(buf: Buffer, pos: number, end: number): number {
    let p = pos;
    while (p < end && this.headFill < MESSAGE_HEADER_BYTES) {
      const b = buf[p++] as number;
      if (this.headFill === 0) {
        this.flag = b;
        this.length = 0;
      } else {
        this.length = this.length * 256 + b;
      }
      this.headFill++;
    }
    return p;
  }

  private begin(): void {
    this.filled = 0;
    this.body = undefined;
    if (this.length > 0) this.reserve(Math.min(this.length, FIRST_CAPACITY));
  }

  /** Room for `need` bytes: the buffer doubles, up to the declared length and no further. */
  private reserve(need: number): void {
    const body = this.body;
    const capacity = body?.length ?? 0;
    if (need <= capacity) return;
    const grown = Math.min(this.length, Math.max(need, capacity * 2));
    const next = Buffer.allocUnsafe(grown);
    if (body !== undefined && this.filled > 0) body.copy(next, 0, 0, this.filled);
    this.body = next;
    this.held?.(grown - capacity);
  }

  /** The gathered message is whole: it leaves the decoder (and its bytes the budget) for `each`. */
  private finish(each: ((message: Buffer) => void) | undefined, at: MessageAt | undefined): RpcError | undefined {
    const body = this.body ?? Buffer.alloc(0);
    const flag = this.flag;
    this.body = undefined;
    this.headFill = 0;
    this.filled = 0;
    if (body.length > 0) this.held?.(-body.length);
    return this.deliver(flag, body, each, at);
  }

  private deliver(
    flag: number,
    raw: Buffer,
    each: ((message: Buffer) => void) | undefined,
    at: MessageAt | undefined,
  ): RpcError | undefined {
    let message = raw;
    if (flag === 1) {
      try {
        message = (this.decompress as Decompress)(message, this.maxMessageBytes);
      } catch (e) {
        if ((e as { code?: string }).code === OUTPUT_CAP_PASSED) return inflatedTooLarge(this.maxMessageBytes);
        return rpcError(Status.INTERNAL, "could not decompress the message");
      }
      if (message.length > this.maxMessageBytes) return tooLarge(message.length, this.maxMessageBytes);
    }
    if (at !== undefined) return at(message, 0, message.length);
    each?.(message);
    return undefined;
  }

  private failed(err: RpcError): RpcError {
    this.dispose();
    return err;
  }

  /** A prefix: a bad flag or an oversized message is refused before its body is gathered. */
  private check(flag: number, length: number): RpcError | undefined {
    return prefixError(flag, length, this.maxMessageBytes, this.decompress !== undefined);
  }
}

/** What is wrong with a message prefix (flag, length), if anything: the one wording for every reader. */
export function prefixError(flag: number, length: number, max: number, canInflate: boolean): RpcError | undefined {
  if (flag > 1) return rpcError(Status.INTERNAL, `invalid message flag ${flag}`);
  if (flag === 1 && !canInflate) {
    return rpcError(Status.INTERNAL, "received a compressed message, but no compression was negotiated");
  }
  return length > max ? tooLarge(length, max) : undefined;
}
