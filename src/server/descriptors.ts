// Methods of services described by the embedded descriptor set (health, reflection), in the shape the
// server registers: proto-loader's codecs with our handler.
import type * as grpc from "@grpc/grpc-js";
import { serviceDefinition } from "../api/descriptors.ts";
import type { MethodDef } from "./handler.ts";

/** One method of a described service, with the handler we give it, in the shape the server registers. */
export function describedMethod(service: string, method: string, handler: grpc.UntypedHandleCall): MethodDef {
  const m = serviceDefinition(service)[method];
  if (!m) throw new Error(`${service} has no method ${method} in the embedded descriptor set`);
  return {
    path: m.path,
    requestStream: m.requestStream,
    responseStream: m.responseStream,
    serialize: (value) => m.responseSerialize(value as object),
    deserialize: (bytes) => m.requestDeserialize(bytes),
    handler,
  };
}
