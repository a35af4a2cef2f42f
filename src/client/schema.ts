// Where `call` and `bench` get a method's schema: `--proto` files, a `--protoset`, or else the server's own
// reflection over the channel the call will use (same transport, TLS and metadata, as grpcurl does).
import type protobuf from "protobufjs";
import type { CallOptions, RpcChannel } from "../rpc/channel.ts";
import type { Checked } from "../schema/checked.ts";
import { lookupMethod, type MethodInfo } from "../schema/lookup.ts";
import { loadProtoFiles } from "../schema/proto-files.ts";
import { loadProtoset } from "../schema/protoset.ts";
import { type BidiStream, type OpenBidi, ReflectionSession, type StreamReply } from "../schema/reflection.ts";
import { nearest } from "../text/nearest.ts";

export interface SchemaFlags {
  readonly protos: readonly string[];
  readonly importPaths: readonly string[];
  readonly protoset?: string;
}

/** Whether the flags name a schema; when not, the server is asked by reflection. */
export function fromFiles(flags: SchemaFlags): boolean {
  return flags.protos.length > 0 || flags.protoset !== undefined;
}

/** The schema the files describe (no server involved). */
export function loadFileSchema(flags: SchemaFlags): Checked<{ root: protobuf.Root }> {
  if (flags.protoset !== undefined && flags.protos.length > 0) {
    return { ok: false, error: "--proto and --protoset exclude each other" };
  }
  if (flags.protoset !== undefined) return loadProtoset(flags.protoset);
  return loadProtoFiles(flags.protos, flags.importPaths);
}

/** Server reflection's bidi stream on the channel: one request, then the next reply or the end. */
function channelBidi(channel: RpcChannel, call: CallOptions = {}): OpenBidi {
  return (path): BidiStream => {
    const replies: StreamReply[] = [];
    const waiting: Array<(r: StreamReply) => void> = [];
    let ended: StreamReply | undefined;
    const stream = channel.stream(
      path,
      {
        onMessage: (message) => {
          const w = waiting.shift();
          if (w) w({ ok: true, message });
          else replies.push({ ok: true, message });
        },
        onEnd: (end) => {
          ended = { ok: false, code: end.code, details: end.code === 0 ? "stream ended" : end.details };
          for (const w of waiting.splice(0)) w(ended);
        },
      },
      call,
    );
    return {
      exchange(request) {
        const r = replies.shift();
        if (r) return Promise.resolve(r);
        if (ended) return Promise.resolve(ended);
        stream.send(request);
        return new Promise((resolve) => waiting.push(resolve));
      },
      close() {
        // Half-close only: the server ends the stream (grpc-go returns OK on EOF). A RST_STREAM after our
        // END_STREAM left Bun's session waiting, on close, for a peer that keeps the connection (grpc-go),
        // so every reflected call idled ~1 s before exiting. A server that never ends it is cut by the
        // call's deadline, or by the channel's close.
        stream.end();
      },
    };
  };
}

/** Opens reflection on the channel; the caller closes the session. */
export function openReflection(
  channel: RpcChannel,
  call: CallOptions = {},
): Promise<Checked<{ session: ReflectionSession }>> {
  return ReflectionSession.open(channelBidi(channel, call));
}

/** The service part of `pkg.Service/Method` or `pkg.Service.Method`. */
export function serviceOf(symbol: string): string {
  const s = symbol.replace(/^\//, "").replace(/^\./, "");
  const slash = s.indexOf("/");
  return slash >= 0 ? s.slice(0, slash) : s.slice(0, Math.max(0, s.lastIndexOf(".")));
}

/** A method's schema from the files, or by reflection, checking the service exists before asking for it. */
export async function resolveMethod(
  symbol: string,
  flags: SchemaFlags,
  channel: RpcChannel,
  call: CallOptions = {},
): Promise<Checked<{ method: MethodInfo; root: protobuf.Root }>> {
  if (fromFiles(flags)) {
    const r = loadFileSchema(flags);
    if (!r.ok) return r;
    const m = lookupMethod(r.root, symbol);
    return m.ok ? { ok: true, method: m.method, root: r.root } : m;
  }
  const opened = await openReflection(channel, call);
  if (!opened.ok) return opened;
  const session = opened.session;
  try {
    const service = serviceOf(symbol);
    const listed = session.services();
    if (!listed.includes(service)) {
      const near = nearest(service, listed);
      const hint =
        near !== undefined ? ` (did you mean ${near}?)` : listed.length > 0 ? ` (known: ${listed.join(", ")})` : "";
      return { ok: false, error: `unknown service ${service}: the server's reflection does not list it${hint}` };
    }
    const r = await session.root([service]);
    if (!r.ok) return r;
    const m = lookupMethod(r.root, symbol);
    return m.ok ? { ok: true, method: m.method, root: r.root } : m;
  } finally {
    session.close();
  }
}
