// protobufjs writes Uint8Arrays in a compiled Bun binary; grpc-js and node:http2 call Buffer methods on
// what they are given ("message.copy is not a function"), so every encoded message leaves as a Buffer.
import protobuf, { type Writer } from "protobufjs/minimal.js";

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface MessageType<T> {
  encode(message: T, writer?: Writer): Writer;
  decode(bytes: Uint8Array): T;
}

/** A method's wire form, shared by the server that implements it and the client that calls it. */
export interface UnaryMethod<Req, Res> {
  readonly path: string;
  readonly request: MessageType<Req>;
  readonly response: MessageType<Res>;
}

export function encodeMessage<M>(type: { encode(message: M): Writer }, message: M): Buffer {
  return asBuffer(type.encode(message).finish());
}

// One writer for every encodeShared() on this thread, kept between calls so encoding a response allocates
// nothing of its own; one that grew past this is dropped rather than held for ever.
const SHARED_WRITER_KEEP = 4 * 1024 * 1024;
let shared: Writer = protobuf.Writer.create();

/**
 * Encodes into the thread's shared writer: the message is writer.buf[0, writer.pos), valid only until the
 * next encodeShared(). For callers that copy the bytes at once (the lean server's output buffer).
 */
export function encodeShared<M>(type: MessageType<M>, message: M): Writer {
  if (shared.buf.length > SHARED_WRITER_KEEP) shared = protobuf.Writer.create();
  shared.reset();
  return type.encode(message, shared);
}
