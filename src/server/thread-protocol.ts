// Messages between `serve`'s main thread and its server threads (src/server/worker.ts). Plain data only:
// everything here crosses postMessage (Buffers arrive as Uint8Array, Sets as Sets).
import type { KeyPair } from "../crypto/keys.ts";
import type { LevelName } from "../log.ts";
import type { ListenSpec } from "../transport/shared.ts";
import type { ConnectionCount, Limits } from "./limits.ts";
import type { ServerEngine } from "./server.ts";
import type { ServerTls } from "./tls.ts";

export interface ServerThreadConfig {
  /** 1-based, for log lines. */
  readonly index: number;
  readonly specs: readonly ListenSpec[];
  /** Loaded once by the main thread so every thread signs with the same keys. Never logged. */
  readonly keys: readonly KeyPair[];
  /** This thread's own signing workers (0: sign on its event loop). */
  readonly cryptoWorkers: number;
  /** Signing jobs that may wait in this thread's pool; undefined: the pool's default. */
  readonly cryptoQueue: number | undefined;
  readonly limits: Limits;
  /** Over a SharedArrayBuffer: the one open-connection count every thread takes its slots from. */
  readonly connectionCount: ConnectionCount;
  readonly tls: ServerTls | undefined;
  readonly engine: ServerEngine;
  readonly fastPath: boolean;
  readonly allowCids: ReadonlySet<number> | undefined;
  readonly logLevel: LevelName;
  /** ServeOptions.extraServicesModule (tests only). */
  readonly extraServicesModule: string | undefined;
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
