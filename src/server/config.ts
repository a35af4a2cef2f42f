// What `serve` decides once and every server thread serves by: one object, handed from the CLI to the
// cluster, across postMessage to each thread, and into its server, rather than its fields copied at each
// step. Plain data only (Buffers arrive in a thread as Uint8Arrays, Sets as Sets).
import type { KeyPair } from "../crypto/keys.ts";
import type { LevelName } from "../log.ts";
import type { Limits } from "./limits.ts";
import type { ServerTls } from "./tls.ts";

export type ServerEngine = "lean" | "grpc-js";

/** How connections and calls are served: the same on every thread. */
export interface ServerConfig {
  readonly limits: Limits;
  /** TLS (and mTLS with a client CA) on every listener; plaintext when absent. */
  readonly tls: ServerTls | undefined;
  /** "lean": our own HTTP/2 server; "grpc-js": @grpc/grpc-js, for comparison and as a fallback. */
  readonly engine: ServerEngine;
  /** grpc-js engine: serve unary methods straight off HTTP/2 (grpcjs/fastpath.ts). false implies grpc-js. */
  readonly fastPath: boolean;
  /** VSOCK peers outside this set are disconnected at accept (--allow-cid). */
  readonly allowCids: ReadonlySet<number> | undefined;
}

/** The Crypto service's signing: keys loaded once by the main thread, so every thread signs with them. */
interface SigningConfig {
  /** Never logged. */
  readonly keys: readonly KeyPair[];
  /** Signing workers: in total for `serve`, a thread's share in a thread's config; 0 signs on the event loop. */
  readonly cryptoWorkers: number;
  /** Signing jobs that may wait, per server thread; undefined: the pool's default for its size. */
  readonly cryptoQueue: number | undefined;
}

export interface ServeConfig {
  readonly server: ServerConfig;
  readonly signing: SigningConfig;
  readonly logLevel: LevelName;
  /** URL of a module whose default export returns more services for every server thread, beside Echo and
   * Crypto: how tests put a handler of their own into the real multi-threaded server. */
  readonly extraServicesModule?: string;
}
