// A Connect or gRPC-Web request body as it arrives: a Connect unary call's bare message, or enveloped
// messages (base64 text first, for gRPC-Web's text mode). Every byte kept counts against the connection's
// request-byte budget, and a message over the limit is refused from its length (content-length or the
// envelope's prefix) before its body is kept.
import { EnvelopeReader } from "../../../protocol/envelope.ts";
import { Base64Reader } from "../../../protocol/grpc-web.ts";
import type { ParsedType } from "../../../protocol/wire.ts";
import { type RpcError, rpcError, Status } from "../../../rpc/status.ts";
import type { WebExchange } from "./exchange.ts";

const tooLarge = (length: number, max: number) =>
  rpcError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${max})`);

export class WebRequest {
  readonly messages: Buffer[] = [];
  private readonly bare: boolean;
  private readonly envelopes: EnvelopeReader;
  private readonly text: Base64Reader | undefined;
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the whole messages kept. */
  private whole = 0;

  constructor(
    private readonly exchange: Pick<WebExchange, "holdRequest">,
    wire: ParsedType,
    private readonly max: number,
  ) {
    this.bare = wire.protocol === "connect" && !wire.enveloped;
    this.envelopes = new EnvelopeReader(max, 0);
    this.text = wire.text ? new Base64Reader() : undefined;
  }

  /**
   * A unary request's content-length, checked before any of the body comes: a bare message's whole size,
   * or one envelope's (its 5-byte prefix, and base64's 4 bytes per 3 in text mode) around a message at the
   * limit.
   */
  declared(length: number): RpcError | undefined {
    if (this.bare) return length > this.max ? tooLarge(length, this.max) : undefined;
    const enveloped = this.max + 5;
    const most = this.text === undefined ? enveloped : Math.ceil(enveloped / 3) * 4;
    return length > most ? tooLarge(length, this.max) : undefined;
  }

  push(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (this.bare) {
      if (this.held + end - start > this.max) return tooLarge(this.held + end - start, this.max);
      this.keep(Buffer.from(buf.subarray(start, end)));
      return undefined;
    }
    let bytes = buf;
    let from = start;
    let to = end;
    if (this.text) {
      const decoded = this.text.push(buf, start, end);
      if (decoded === undefined) return rpcError(Status.INVALID_ARGUMENT, "gRPC-Web text request is not base64");
      bytes = decoded;
      from = 0;
      to = decoded.length;
    }
    const err = this.envelopes.read(bytes, from, to, (e) => {
      this.messages.push(e.data);
      this.whole += e.data.length;
    });
    this.hold(this.whole + this.envelopes.buffered - this.held);
    return err;
  }

  /** The request is whole: a bare body becomes its one message. False: it ended inside a message. */
  complete(): boolean {
    if (this.bare) {
      this.messages.push(this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts));
      this.parts = [];
      return true;
    }
    return this.envelopes.buffered === 0 && (this.text?.buffered ?? 0) === 0;
  }

  /** The call no longer keeps anything of the request. */
  release(): void {
    this.parts = [];
    this.messages.length = 0;
    this.whole = 0;
    this.hold(-this.held);
  }

  private keep(part: Buffer): void {
    this.parts.push(part);
    this.hold(part.length);
  }

  private hold(delta: number): void {
    if (delta === 0) return;
    this.held += delta;
    this.exchange.holdRequest(delta);
  }
}
