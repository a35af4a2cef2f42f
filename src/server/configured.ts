// One server as a ServeConfig describes it, with Echo, Crypto (its signers started here) and any extra
// test services: the same on the main thread (cluster.ts, one thread) and on each server thread (worker.ts).
import type { CryptoParts } from "../crypto/setup.ts";
import { cryptoFromKeys } from "../crypto/setup.ts";
import { log } from "../log.ts";
import type { ServeConfig } from "./config.ts";
import { cryptoService } from "./crypto.ts";
import { echoService } from "./echo.ts";
import { extraServices } from "./extra-services.ts";
import { type RunningServer, type ServerOptions, startServer } from "./server.ts";

interface Configured {
  readonly server: RunningServer;
  readonly crypto: Omit<CryptoParts, "keySource">;
}

/** Starts the signers, then the server; a server that cannot start releases its signers. */
export async function startConfigured(
  config: ServeConfig,
  where: Pick<ServerOptions, "addresses" | "specs" | "connectionCount" | "requestByteCount">,
): Promise<Configured> {
  const { keys, cryptoWorkers, cryptoQueue } = config.signing;
  const crypto = await cryptoFromKeys(keys, cryptoWorkers, { warn: (m) => log.warn(m), queue: cryptoQueue });
  try {
    const server = await startServer({
      ...config.server,
      ...where,
      services: [
        echoService(),
        cryptoService(crypto.ring, crypto.executor),
        ...(await extraServices(config.extraServicesModule)),
      ],
    });
    return { server, crypto };
  } catch (err) {
    await crypto.executor.close();
    throw err;
  }
}
