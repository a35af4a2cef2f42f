// The flags that say where a method's schema comes from and what to send (shared by call's method, list
// and describe), turned into plain values: repeated flags from the raw arguments, -d from text, a file
// or stdin.
import { readFileSync } from "node:fs";
import type { SchemaFlags } from "../../client/schema.ts";
import type { Metadata } from "../../rpc/channel.ts";
import { CliError } from "../args.ts";
import { parseHeaders } from "../metadata.ts";
import { repeated } from "../repeated.ts";

export const schemaArgs = {
  proto: { type: "string", description: "a .proto file defining the service (repeatable); else server reflection" },
  "import-path": { type: "string", description: "a directory --proto imports are searched in (repeatable)" },
  protoset: { type: "string", description: "a FileDescriptorSet (protoc --include_imports -o) instead of --proto" },
  header: {
    type: "string",
    alias: "H",
    description: "metadata 'name: value' sent with the call and with reflection (repeatable; -bin values in base64)",
  },
} as const;

export function schemaFlags(rawArgs: readonly string[], args: { protoset?: string }): SchemaFlags {
  return {
    protos: repeated(rawArgs, "proto"),
    importPaths: repeated(rawArgs, "import-path"),
    protoset: args.protoset,
  };
}

export function headerFlags(rawArgs: readonly string[]): Metadata {
  return parseHeaders(repeated(rawArgs, "header", "H"));
}

/** -d's text: the value itself, `@file`, or `@-` for stdin. */
export function readData(value: string, readStdin: () => string = () => readFileSync(0, "utf8")): string {
  if (value === "@-") return readStdin();
  if (value.startsWith("@")) {
    try {
      return readFileSync(value.slice(1), "utf8");
    } catch (e) {
      throw new CliError(`-d ${value}: cannot read the file (${e instanceof Error ? e.message : e})`, 2);
    }
  }
  return value;
}
