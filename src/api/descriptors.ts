// The FileDescriptorSet generated into src/gen at build time, turned into proto-loader definitions.
// It feeds reflection and gives the standard services (health, reflection) their codecs on both sides,
// without the compiled binary ever reading a .proto file.

import { loadFileDescriptorSetFromBuffer, type PackageDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";
import { FILE_DESCRIPTOR_SET_BASE64, SERVED_DESCRIPTOR_SET_BASE64 } from "../gen/descriptors.js";

// The options @grpc/reflection's own code expects its messages in (camelCase, enums and longs as strings).
const LOADER_OPTIONS = { longs: String, enums: String, bytes: Array, defaults: true, oneofs: true };

let cached: PackageDefinition | undefined;

/** Every message and service in the embedded descriptor set; decoded once, on first use. */
function packageDefinition(): PackageDefinition {
  cached ??= loadFileDescriptorSetFromBuffer(Buffer.from(FILE_DESCRIPTOR_SET_BASE64, "base64"), LOADER_OPTIONS);
  return cached;
}

export function serviceDefinition(name: string): ServiceDefinition {
  const def = packageDefinition()[name];
  // Message and enum entries carry a `format`; services are plain maps of methods.
  if (!def || "format" in def) throw new Error(`service ${name} is not in the embedded descriptor set`);
  return def as ServiceDefinition;
}

/** Whether a fully qualified service name is described (reflection can only answer for those). */
export function isDescribedService(name: string): boolean {
  const def = packageDefinition()[name];
  return def !== undefined && !("format" in def);
}

let served: PackageDefinition | undefined;

const { FileDescriptorProto, FileDescriptorSet } = (
  protobuf as unknown as { descriptor: Record<"FileDescriptorProto" | "FileDescriptorSet", protobuf.Type> }
).descriptor;

/**
 * The package definition with each entry's files replaced by the served set's (fields named as in the
 * .proto), for reflection to answer with; its codecs are the camelCase ones @grpc/reflection works on.
 */
export function servedPackageDefinition(): PackageDefinition {
  if (served !== undefined) return served;
  const asWritten = new Map<string, Buffer>();
  const set = FileDescriptorSet.decode(Buffer.from(SERVED_DESCRIPTOR_SET_BASE64, "base64")) as unknown as {
    file: Array<{ name: string }>;
  };
  for (const f of set.file) asWritten.set(f.name, Buffer.from(FileDescriptorProto.encode(f as never).finish()));
  const out: PackageDefinition = {};
  for (const [name, entry] of Object.entries(packageDefinition())) {
    const files = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    if (files === undefined) {
      out[name] = entry;
      continue;
    }
    const swapped = files.map(
      (b) => asWritten.get((FileDescriptorProto.decode(b) as unknown as { name: string }).name) ?? b,
    );
    out[name] = { ...entry, fileDescriptorProtos: swapped } as typeof entry;
  }
  served = out;
  return served;
}
