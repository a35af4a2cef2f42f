// One server thread of `serve --workers N`: the whole server (its engine, health, reflection,
// limits, drain) on its own event loop, listening on sockets the main thread bound (thread-protocol.ts).

import { type CryptoExecutor, describeStats } from "../crypto/executor.ts";
import { log, setLogLevel, setLogOrigin } from "../log.ts";
import { startConfigured } from "./configured.ts";
import type { RunningServer } from "./server.ts";
import type { FromServerThread, ServerThreadConfig, ToServerThread } from "./thread-protocol.ts";
import type { ServerTls } from "./tls.ts";

declare const self: Worker;

let server: RunningServer | undefined;
let executor: CryptoExecutor | undefined;

function reply(message: FromServerThread): void {
  self.postMessage(message);
}

/** grpc-js wants Buffers; postMessage turned them into plain Uint8Arrays. */
function asBuffers(tls: ServerTls | undefined): ServerTls | undefined {
  if (!tls) return undefined;
  return {
    certPem: Buffer.from(tls.certPem),
    keyPem: Buffer.from(tls.keyPem),
    clientCaPem: tls.clientCaPem === undefined ? undefined : Buffer.from(tls.clientCaPem),
  };
}

async function start(config: ServerThreadConfig): Promise<void> {
  setLogLevel(config.logLevel);
  setLogOrigin(`worker ${config.index}`);
  const serverConfig = { ...config.server, tls: asBuffers(config.server.tls) };
  const started = await startConfigured(
    { ...config, server: serverConfig },
    {
      addresses: config.specs.map((s) => s.address),
      specs: config.specs,
      connectionCount: config.connectionCount,
      requestByteCount: config.requestByteCount,
    },
  );
  server = started.server;
  executor = started.crypto.executor;
}

async function drain(graceMs: number): Promise<void> {
  const outcome = server ? await server.shutdown(graceMs) : { forced: false };
  const signing = executor && describeStats(executor.stats);
  if (signing) log.info(signing);
  await executor?.close();
  reply({ type: "stopped", forced: outcome.forced });
}

self.onmessage = (event: MessageEvent<ToServerThread>) => {
  const msg = event.data;
  if (msg.type === "start") {
    start(msg.config).then(
      () => reply({ type: "ready" }),
      (err) => reply({ type: "failed", error: err instanceof Error ? err.message : String(err) }),
    );
  } else if (msg.type === "stop-accepting") {
    (server ? server.stopAccepting() : Promise.resolve()).then(
      () => reply({ type: "not-accepting" }),
      (err) => reply({ type: "failed", error: String(err) }),
    );
  } else {
    drain(msg.graceMs).catch((err) => reply({ type: "failed", error: String(err) }));
  }
};
