// Plumbing for the schema tests: the fixture's paths, and a grpc-js bidi stream as src/schema/reflection's
// BidiStream (grpcperf's own client has no bidi streams yet; the wiring onto it comes with the CLI).
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { BidiStream, OpenBidi, StreamReply } from "../../src/schema/reflection.ts";
import { ROOT } from "./helpers.ts";

export const FIXTURES = join(ROOT, "test", "support", "fixtures");
export const TESTSVC_PROTO = join(FIXTURES, "testsvc", "v1", "testsvc.proto");
export const TESTSVC_PROTOSET = join(FIXTURES, "testsvc.protoset");

/** Bidi streams to `target` through a grpc-js client; `rename` lets a test ask for a method that is not there. */
export function grpcJsBidi(target: string, rename: (path: string) => string = (p) => p) {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const open: OpenBidi = (path) => bidi(client, rename(path));
  return { open, close: () => client.close() };
}

function bidi(client: grpc.Client, path: string): BidiStream {
  const call = client.makeBidiStreamRequest(
    path,
    (b: Uint8Array) => Buffer.from(b),
    (b: Buffer) => new Uint8Array(b),
  );
  const replies: StreamReply[] = [];
  const waiting: Array<(r: StreamReply) => void> = [];
  const push = (r: StreamReply) => {
    const w = waiting.shift();
    if (w) w(r);
    else replies.push(r);
  };
  let ended: StreamReply | undefined;
  call.on("data", (message: Uint8Array) => push({ ok: true, message }));
  call.on("error", (e: grpc.ServiceError) => {
    ended = { ok: false, code: e.code, details: e.details };
    for (const w of waiting.splice(0)) w(ended);
  });
  call.on("end", () => {
    ended ??= { ok: false, code: 0, details: "stream ended" };
    for (const w of waiting.splice(0)) w(ended);
  });
  return {
    exchange(request) {
      const r = replies.shift();
      if (r) return Promise.resolve(r);
      if (ended) return Promise.resolve(ended);
      call.write(request);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close() {
      call.end();
      call.cancel();
    },
  };
}
