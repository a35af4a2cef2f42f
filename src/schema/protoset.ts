// `--protoset FILE`: a FileDescriptorSet (as `protoc --include_imports -o`) into a protobufjs Root, through
// protobufjs's own descriptor support (ext/descriptor), so no protobuf codec is written here.
import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";
import type { Checked } from "./checked.ts";

/** A Root from an encoded FileDescriptorSet; field names stay as written in the .proto. */
export function rootFromDescriptorSet(bytes: Uint8Array): Checked<{ root: protobuf.Root }> {
  try {
    const root = protobuf.Root.fromDescriptor(bytes, { keepCase: true });
    root.resolveAll();
    return { ok: true, root };
  } catch (e) {
    return { ok: false, error: `not a FileDescriptorSet: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export function loadProtoset(path: string): Checked<{ root: protobuf.Root }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return { ok: false, error: `${path}: cannot read the file (${e instanceof Error ? e.message : String(e)})` };
  }
  const r = rootFromDescriptorSet(bytes);
  return r.ok ? r : { ok: false, error: `${path}: ${r.error}` };
}
