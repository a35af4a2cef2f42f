// A server grpcperf did not write: @connectrpc/connect-node's handler on node:http2 (loopback, port 0),
// serving grpcperf.v1.Echo in gRPC, gRPC-Web and Connect at once, as connect-go and connect-es servers do
// by default. The service comes from the project's embedded descriptor set through @bufbuild/protobuf's
// registry, so no code is generated. Echo fails on request when the payload says "fail", with a detail.
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { FILE_DESCRIPTOR_SET_BASE64 } from "../../src/gen/descriptors.js";

const set = fromBinary(FileDescriptorSetSchema, Buffer.from(FILE_DESCRIPTOR_SET_BASE64, "base64"));
// Only grpcperf's own file: the embedded health descriptor names its types relative, which the registry refuses.
// protobufjs wrote field type names relative to the package; the registry wants them fully qualified.
set.file = set.file.filter((f) => f.package === "grpcperf.v1");
for (const file of set.file) {
  for (const message of file.messageType) {
    for (const field of message.field) {
      if (field.typeName !== "" && !field.typeName.startsWith("."))
        field.typeName = `.${file.package}.${field.typeName}`;
      // ...and left json_name empty, which would make every field's JSON name "".
      if (field.jsonName === "") field.jsonName = field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    }
  }
}
const registry = createFileRegistry(set);

/** One of grpcperf's services as @bufbuild/protobuf describes it. */
export function serviceDesc(name: "Echo" | "Crypto") {
  const service = registry.getService(`grpcperf.v1.${name}`);
  if (service === undefined) throw new Error(`grpcperf.v1.${name} is not in the descriptor set`);
  return service;
}

interface EchoReq {
  payload: Uint8Array;
  sequence: bigint;
}

const answer = (r: EchoReq) => ({ payload: r.payload, sequence: r.sequence });

function failIfAsked(r: EchoReq): void {
  if (Buffer.from(r.payload).toString() !== "fail") return;
  const desc = registry.getMessage("grpcperf.v1.EchoResponse");
  if (desc === undefined) throw new Error("no EchoResponse");
  throw new ConnectError("asked to fail", Code.FailedPrecondition, { "x-why": "asked" }, [
    { desc, value: { sequence: 7n } },
  ]);
}

export interface ConnectPeer {
  readonly port: number;
  close(): Promise<void>;
}

/** `http1`: node:http (HTTP/1.1, keep-alive) instead of node:http2 (cleartext, prior knowledge). */
export async function startConnectPeer(opts: { http1?: boolean } = {}): Promise<ConnectPeer> {
  const service = serviceDesc("Echo");
  const handler = connectNodeAdapter({
    routes: (router) => {
      router.service(service, {
        echo(req: EchoReq) {
          failIfAsked(req);
          return answer(req);
        },
        async *echoStream(reqs: AsyncIterable<EchoReq>) {
          for await (const r of reqs) {
            failIfAsked(r);
            yield answer(r);
          }
        },
      } as never);
    },
  });
  const server = opts.http1 ? http.createServer(handler) : http2.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Sessions the client left open would hold close() forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        setTimeout(resolve, 200).unref();
      }),
  };
}
