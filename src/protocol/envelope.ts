// The enveloped messages of Connect streams and gRPC-Web: gRPC's 5-byte prefix (a flags byte, a 4-byte
// big-endian length) in front of each message, with flags gRPC does not have: Connect's end-of-stream
// message (0x02, JSON with the status and trailers) and gRPC-Web's trailers (0x80, HTTP/1-style lines).
import { type RpcError, rpcError, Status } from "../rpc/status.ts";

export const ENVELOPE_BYTES = 5;
export const Flags = {
  COMPRESSED: 0x01,
  /** Connect: the last envelope of a response stream, its body JSON. */
  CONNECT_END: 0x02,
  /** gRPC-Web: the trailers, sent as the body's last envelope. */
  WEB_TRAILERS: 0x80,
} as const;

/** One envelope: the flags byte and the message (a copy or a view, see EnvelopeReader). */
export interface Envelope {
  readonly flags: number;
  readonly data: Buffer;
}

/** Prefixes data with a 5-byte envelope header carrying `flags`. */
export function envelope(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_BYTES + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  out.set(data, ENVELOPE_BYTES);
  return out;
}

/**
 * Takes the envelopes EnvelopeReader.scan finds, as ranges: data[start, end) is valid during the call only
 * (a range of the chunk read when the envelope came whole in it, else of a copy).
 */
export interface EnvelopeSink {
  onEnvelope(flags: number, data: Buffer, start: number, end: number): void;
}

const NOTHING = Buffer.alloc(0);

/**
 * Cuts a body into envelopes as bytes arrive. A declared length over the limit is refused from the
 * prefix, before any of its body is kept; so is a flag the protocol does not define (`allowed`) and a
 * compressed message (grpcperf negotiates no compression, so a peer has no right to send one).
 */
export class EnvelopeReader implements EnvelopeSink {
  // The prefix as far as it came: bytes seen, flags, length; then the body's bytes so far (kept in `body`
  // unless the envelope is a message the caller skips).
  private headFill = 0;
  private flags = 0;
  private length = 0;
  private body: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly maxBytes: number,
    /** The flags besides 0 this protocol allows on what it reads. */
    private readonly allowed: number,
    /**
     * An envelope whole in one chunk is handed on as a view of it (a client that hands each message on
     * at once); without, always a copy (a server that keeps the request past the read).
     */
    private readonly views = false,
    /**
     * scan(): a message (flags 0) that comes in pieces is counted, never gathered, and handed on as an
     * empty range (a caller that wants the outcome only: a 64 KiB response costs no buffer and no copy).
     */
    private readonly skipMessages = false,
  ) {}

  /** Bytes of an unfinished envelope held. */
  get buffered(): number {
    return this.headFill + this.filled;
  }

  /** Feeds buf[start, end); calls `each` per whole envelope (a copy, or with `views` maybe a view). */
  read(buf: Buffer, start: number, end: number, each: (e: Envelope) => void): RpcError | undefined {
    this.each = each;
    return this.scan(buf, start, end, this);
  }

  // read()'s sink (the reader itself, so a read allocates no sink): a range of a copy made here is the
  // whole copy; a range of the chunk becomes a view or a copy of its own.
  private each: (e: Envelope) => void = () => {};
  private made: Buffer | undefined;

  onEnvelope(flags: number, data: Buffer, start: number, end: number): void {
    const mine = data === this.made || data === NOTHING;
    const out = mine ? data : this.views ? data.subarray(start, end) : Buffer.from(data.subarray(start, end));
    this.each({ flags, data: out });
  }

  /** Feeds buf[start, end); hands each whole envelope to `sink` as a range, allocating nothing when whole. */
  scan(buf: Buffer, start: number, end: number, sink: EnvelopeSink): RpcError | undefined {
    let pos = start;
    while (pos < end) {
      if (this.headFill === 0 && end - pos >= ENVELOPE_BYTES) {
        this.flags = buf[pos] as number;
        this.length = buf.readUInt32BE(pos + 1);
        const err = this.check();
        if (err) return err;
        const next = pos + ENVELOPE_BYTES + this.length;
        if (next <= end) {
          sink.onEnvelope(this.flags, buf, pos + ENVELOPE_BYTES, next);
          pos = next;
          continue;
        }
        this.headFill = ENVELOPE_BYTES;
        pos += ENVELOPE_BYTES;
        this.startBody();
      }
      if (this.headFill < ENVELOPE_BYTES) {
        while (pos < end && this.headFill < ENVELOPE_BYTES) {
          const b = buf[pos++] as number;
          if (this.headFill === 0) {
            this.flags = b;
            this.length = 0;
          } else this.length = this.length * 256 + b;
          this.headFill++;
        }
        if (this.headFill < ENVELOPE_BYTES) return undefined;
        const err = this.check();
        if (err) return err;
        this.startBody();
      }
      const n = Math.min(this.length - this.filled, end - pos);
      if (this.body !== undefined) buf.copy(this.body, this.filled, pos, pos + n);
      this.filled += n;
      pos += n;
      if (this.filled === this.length) {
        const body = this.body ?? NOTHING;
        this.headFill = 0;
        this.filled = 0;
        this.body = undefined;
        sink.onEnvelope(this.flags, body, 0, body.length);
      }
    }
    return undefined;
  }

  private startBody(): void {
    this.body = this.skipMessages && this.flags === 0 ? undefined : Buffer.allocUnsafe(this.length);
    this.made = this.body;
    this.filled = 0;
  }

  private check(): RpcError | undefined {
    return envelopeError(this.flags, this.length, this.maxBytes, this.allowed);
  }
}

/**
 * What is wrong with an envelope's prefix, if anything: a compressed message (grpcperf negotiates no
 * compression), a flag the protocol does not define (`allowed`: the flags besides 0 it does), a length over
 * the limit. Checked from the prefix, before any of the body is kept.
 */
export function envelopeError(flags: number, length: number, maxBytes: number, allowed: number): RpcError | undefined {
  if (flags & Flags.COMPRESSED) {
    return rpcError(Status.INTERNAL, "received a compressed message, but no compression was negotiated");
  }
  if ((flags & ~allowed) !== 0) return rpcError(Status.INTERNAL, `invalid envelope flags 0x${flags.toString(16)}`);
  if (length > maxBytes) {
    return rpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${maxBytes})`);
  }
  return undefined;
}
