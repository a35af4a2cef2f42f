// protobufjs writes Uint8Arrays in a compiled Bun binary; grpc-js and node:http2 call Buffer methods on
// what they are given ("message.copy is not a function"), so every encoded message leaves as a Buffer.
import type { Writer } from "protobufjs/minimal.js";

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface MessageType<T> {
  encode(message: T): Writer;
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
