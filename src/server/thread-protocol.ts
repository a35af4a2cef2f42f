// Messages between `serve`'s main thread and its server threads (src/server/worker.ts). Plain data only:
// everything here crosses postMessage (Buffers arrive as Uint8Array, Sets as Sets).
import type { ListenSpec } from "../transport/shared.ts";
import type { ServeConfig } from "./config.ts";
import type { ConnectionCount } from "./limits.ts";
import type { RequestByteCount } from "./request-bytes.ts";

/** One thread's serve config: its signing share, the sockets the main thread bound, the shared count. */
export interface ServerThreadConfig extends ServeConfig {
  /** 1-based, for log lines. */
  readonly index: number;
  readonly specs: readonly ListenSpec[];
  /** Over a SharedArrayBuffer: the one open-connection count every thread takes its slots from. */
  readonly connectionCount: ConnectionCount;
  /** Over a SharedArrayBuffer: request bytes held by every thread, which --max-request-bytes bounds. */
  readonly requestByteCount: RequestByteCount;
}

/** Shutdown is two steps across threads: every thread stops accepting first, then they all drain, so no
 * client sees one thread's NOT_SERVING while another still takes new connections. */
export type ToServerThread =
  | { readonly type: "start"; readonly config: ServerThreadConfig }
  | { readonly type: "stop-accepting" }
  | { readonly type: "drain"; readonly graceMs: number };

export type FromServerThread =
  | { readonly type: "ready" }
  | { readonly type: "not-accepting" }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "stopped"; readonly forced: boolean };
