// The well-known types are compiled into the binary: protobufjs carries JSON definitions of most of them
// (its `common`), and descriptor.json is imported here so the bundler embeds it. Nothing is read from disk.
import protobuf from "protobufjs";
import descriptorJson from "protobufjs/google/protobuf/descriptor.json";

type Common = { get(file: string): protobuf.INamespace | null };
const common = (protobuf as unknown as { common: Common }).common;

const EXTRA: Record<string, protobuf.INamespace> = {
  "google/protobuf/descriptor.proto": descriptorJson as unknown as protobuf.INamespace,
};

/** The definition of a well-known import such as "google/protobuf/timestamp.proto", if it is one. */
export function wellKnown(file: string): protobuf.INamespace | undefined {
  return EXTRA[file] ?? common.get(file) ?? undefined;
}
