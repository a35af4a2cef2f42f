// The request and response types of grpcperf's own methods as protobufjs reflection types, from the
// embedded descriptor set (field names as the .proto writes them): what proto3 JSON needs, for the JSON
// codec of Connect, gRPC-Web and gRPC on both sides. Built once, on first use.
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";
import { SERVED_DESCRIPTOR_SET_BASE64 } from "../gen/descriptors.js";

let root: protobuf.Root | undefined;

/** The request and response types of `/pkg.Service/Method`, if it is one of grpcperf's. */
export function methodTypes(
  path: string,
): { request: protobuf.Type; response: protobuf.Type; noSideEffects: boolean } | undefined {
  if (root === undefined) {
    const { FileDescriptorSet } = (protobuf as unknown as { descriptor: Record<"FileDescriptorSet", protobuf.Type> })
      .descriptor;
    const set = FileDescriptorSet.decode(Buffer.from(SERVED_DESCRIPTOR_SET_BASE64, "base64"));
    root = (protobuf.Root as unknown as { fromDescriptor(d: unknown): protobuf.Root }).fromDescriptor(set);
    root.resolveAll();
  }
  const slash = path.lastIndexOf("/");
  const service = root.lookup(path.slice(1, slash));
  if (!(service instanceof protobuf.Service)) return undefined;
  const method = service.methods[path.slice(slash + 1)];
  if (method === undefined) return undefined;
  method.resolve();
  const request = method.resolvedRequestType;
  const response = method.resolvedResponseType;
  const noSideEffects = method.options?.idempotency_level === "NO_SIDE_EFFECTS";
  return request && response ? { request, response, noSideEffects } : undefined;
}
