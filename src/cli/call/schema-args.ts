// The flags that say where a method's schema comes from and what to send (shared by call's method, list
// and describe), turned into plain values: repeated flags from the raw arguments, -d from text, a file
// or stdin.
import { readFileSync } from "node:fs";
import type protobuf from "protobufjs";
import { fromFiles, loadFileSchema, openReflection, type SchemaFlags } from "../../client/schema.ts";
import type { Metadata } from "../../rpc/channel.ts";
import { Status } from "../../rpc/status.ts";
import type { ReflectionSession } from "../../schema/reflection.ts";
import { applyLogLevel, CliError } from "../args.ts";
import { parseHeaders } from "../metadata.ts";
import { repeated } from "../repeated.ts";
import { connectFromArgs, peerProblem } from "./common.ts";

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

/** Exit code of a schema error: 1 when the server failed mid-reflection, 2 when the input is wrong. */
export const schemaExit = (error: string) => (error.startsWith("server reflection failed") ? 1 : 2);

/**
 * What list and describe do: read the files when the flags name any (no server needed), else open the
 * server's reflection over a channel made from the call flags and hand the session over, closing both after.
 */
export async function fromSchema<T>(
  args: Parameters<typeof connectFromArgs>[0] & { protoset?: string },
  rawArgs: readonly string[],
  files: (root: protobuf.Root) => T,
  reflected: (session: ReflectionSession) => Promise<T>,
): Promise<T> {
  const flags = schemaFlags(rawArgs, args);
  const metadata = headerFlags(rawArgs);
  if (fromFiles(flags)) {
    applyLogLevel(args["log-level"]);
    const s = loadFileSchema(flags);
    if (!s.ok) throw new CliError(s.error, 2);
    return files(s.root);
  }
  const setup = await connectFromArgs(args);
  const { channel, timeoutMs } = setup;
  try {
    const opened = await openReflection(channel, { timeoutMs, metadata });
    if (!opened.ok) {
      const problem = opened.error.startsWith("server reflection failed")
        ? await peerProblem(setup, Status.UNAVAILABLE)
        : undefined;
      throw new CliError(
        problem === undefined ? opened.error : `${problem} (${opened.error})`,
        schemaExit(opened.error),
      );
    }
    try {
      return await reflected(opened.session);
    } finally {
      opened.session.close();
    }
  } finally {
    await channel.close();
  }
}
