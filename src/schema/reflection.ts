// Schemas from the server itself, through gRPC server reflection: grpc.reflection.v1, falling back to
// v1alpha when the server answers UNIMPLEMENTED (grpcurl's order). The transport is whatever bidi stream the
// caller opens (BidiStream below), so this module knows nothing of HTTP/2 or of which client is in use.
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor/index.js";
import { statusName } from "../rpc/status.ts";
import type { Checked } from "./checked.ts";
import { wellKnown } from "./wkt.ts";

/** One reply on the stream: a message, or the stream's end with its gRPC status. */
export type StreamReply = { ok: true; message: Uint8Array } | { ok: false; code: number; details: string };

/** A bidi stream on one method; reflection sends one request and reads one response at a time. */
export interface BidiStream {
  exchange(request: Uint8Array): Promise<StreamReply>;
  close(): void;
}
export type OpenBidi = (path: string) => BidiStream;

export const REFLECTION_PATHS = [
  "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
  "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
] as const;

const UNIMPLEMENTED = 12;

// The two versions share one wire form; only the fields used here are declared.
const wire = protobuf.parse(
  `syntax = "proto3";
  message Req { string host = 1; oneof r { string file_by_filename = 3; string file_containing_symbol = 4; string list_services = 7; } }
  message Res { oneof r { Files file_descriptor_response = 4; Services list_services_response = 6; Err error_response = 7; } }
  message Files { repeated bytes file_descriptor_proto = 1; }
  message Services { repeated Svc service = 1; }
  message Svc { string name = 1; }
  message Err { int32 error_code = 1; string error_message = 2; }`,
  { keepCase: true },
).root;
const Req = wire.lookupType("Req");
const Res = wire.lookupType("Res");

interface ResMessage {
  file_descriptor_response?: { file_descriptor_proto?: Uint8Array[] };
  list_services_response?: { service?: Array<{ name: string }> };
  error_response?: { error_code: number; error_message: string };
}

type Descriptors = typeof protobuf & {
  descriptor: { FileDescriptorProto: protobuf.Type };
};
const FileDescriptorProto = (protobuf as Descriptors).descriptor.FileDescriptorProto;

export class ReflectionSession {
  private constructor(
    private readonly stream: BidiStream,
    /** Which version the server answered: the method path. */
    readonly path: string,
    private readonly firstList: string[],
  ) {}

  /** Opens reflection (v1, else v1alpha); an error says when the server has neither. */
  static async open(openStream: OpenBidi): Promise<Checked<{ session: ReflectionSession }>> {
    for (const path of REFLECTION_PATHS) {
      const stream = openStream(path);
      const reply = await ask(stream, { list_services: "" });
      if (reply.ok) {
        const list = reply.res.list_services_response;
        if (list === undefined) {
          stream.close();
          return { ok: false, error: `${path}: answered list_services with something else` };
        }
        return {
          ok: true,
          session: new ReflectionSession(
            stream,
            path,
            (list.service ?? []).map((s) => s.name),
          ),
        };
      }
      stream.close();
      if (reply.code !== UNIMPLEMENTED) return { ok: false, error: `server reflection failed: ${reply.error}` };
    }
    return {
      ok: false,
      error:
        "the server does not offer reflection (grpc.reflection.v1 or v1alpha answered UNIMPLEMENTED); give the schema with --proto or --protoset",
    };
  }

  /** Service names as the server lists them. */
  services(): string[] {
    return [...this.firstList];
  }

  /**
   * A Root holding the files that define `symbols` (all listed services when none) and every file they
   * import, each asked for once by name. Well-known files the server does not serve come from the binary.
   */
  async root(symbols: readonly string[] = this.firstList): Promise<Checked<{ root: protobuf.Root }>> {
    const files = new Map<string, protobuf.Message & { name?: string; dependency?: string[] }>();
    const wanted: string[] = [];
    const take = (bytes: Uint8Array[]) => {
      for (const b of bytes) {
        const f = FileDescriptorProto.decode(b) as protobuf.Message & { name?: string; dependency?: string[] };
        const name = f.name ?? "";
        if (files.has(name)) continue;
        files.set(name, f);
        for (const d of f.dependency ?? []) if (!files.has(d)) wanted.push(d);
      }
    };
    for (const symbol of symbols) {
      const r = await this.files({ file_containing_symbol: symbol }, `symbol ${symbol}`);
      if (!r.ok) return r;
      take(r.files);
    }
    const builtIn: protobuf.INamespace[] = [];
    const missing = new Set<string>();
    while (wanted.length > 0) {
      const name = wanted.pop() as string;
      if (files.has(name) || missing.has(name)) continue;
      const r = await this.files({ file_by_filename: name }, `file ${name}`);
      if (r.ok) {
        take(r.files);
        continue;
      }
      const wkt = wellKnown(name);
      if (wkt === undefined) return r;
      missing.add(name);
      builtIn.push(wkt);
    }
    try {
      const root = protobuf.Root.fromDescriptor({ file: [...files.values()] }, { keepCase: true });
      for (const wkt of builtIn) root.addJSON(wkt.nested ?? {});
      root.resolveAll();
      return { ok: true, root };
    } catch (e) {
      return {
        ok: false,
        error: `reflection gave descriptors that do not resolve: ${e instanceof Error ? e.message : e}`,
      };
    }
  }

  close(): void {
    this.stream.close();
  }

  private async files(request: Record<string, string>, what: string): Promise<Checked<{ files: Uint8Array[] }>> {
    const reply = await ask(this.stream, request);
    if (!reply.ok) return { ok: false, error: `server reflection failed asking for ${what}: ${reply.error}` };
    const err = reply.res.error_response;
    if (err !== undefined) return { ok: false, error: `server reflection has no ${what}: ${err.error_message}` };
    const fd = reply.res.file_descriptor_response;
    if (fd === undefined) return { ok: false, error: `server reflection answered ${what} with something else` };
    return { ok: true, files: fd.file_descriptor_proto ?? [] };
  }
}

async function ask(
  stream: BidiStream,
  request: Record<string, string>,
): Promise<{ ok: true; res: ResMessage } | { ok: false; code: number; error: string }> {
  const reply = await stream.exchange(Req.encode(request).finish());
  if (!reply.ok) return { ok: false, code: reply.code, error: `${statusName(reply.code)}: ${reply.details}` };
  try {
    return { ok: true, res: Res.toObject(Res.decode(reply.message)) as ResMessage };
  } catch (e) {
    return { ok: false, code: -1, error: `undecodable reflection response: ${e instanceof Error ? e.message : e}` };
  }
}
