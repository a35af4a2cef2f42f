// grpc.reflection.v1 and v1alpha ServerReflection, so grpcurl and friends can list and describe the
// services without .proto files. @grpc/reflection answers the requests; its addToServer() reads its own
// .proto from disk, so we register its request handler ourselves with codecs from the embedded set.
import type * as grpc from "@grpc/grpc-js";
import { ReflectionV1Implementation } from "@grpc/reflection/build/src/implementations/reflection-v1.js";
import { isDescribedService, servedPackageDefinition } from "../api/descriptors.ts";
import { describedMethod } from "./descriptors.ts";
import type { ServiceDef } from "./handler.ts";

const REFLECTION_V1 = "grpc.reflection.v1.ServerReflection";
const REFLECTION_V1ALPHA = "grpc.reflection.v1alpha.ServerReflection";

/**
 * Both reflection versions for the given services (those the embedded descriptor set describes; others
 * cannot be described and are left out). v1 and v1alpha share one message layout, so one
 * implementation answers both.
 */
export function reflectionServices(serviceNames: readonly string[]): ServiceDef[] {
  const described = [...serviceNames, REFLECTION_V1, REFLECTION_V1ALPHA].filter(isDescribedService);
  const impl = new ReflectionV1Implementation(servedPackageDefinition(), { services: described });
  const handler: grpc.handleBidiStreamingCall<unknown, unknown> = (call) => {
    call.on("data", (request) => {
      // handleServerReflectionRequest turns every failure into an error_response; the guard is for
      // malformed requests that make it throw anyway.
      try {
        call.write(impl.handleServerReflectionRequest(request as never));
      } catch {
        call.destroy(Object.assign(new Error("malformed reflection request"), { code: 3 }));
      }
    });
    call.on("end", () => call.end());
    call.on("error", () => {
      // client went away; nothing to answer
    });
  };
  return [REFLECTION_V1, REFLECTION_V1ALPHA].map((name) => ({
    name,
    methods: [describedMethod(name, "ServerReflectionInfo", handler as grpc.UntypedHandleCall)],
  }));
}
