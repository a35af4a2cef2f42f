import { defineCommand } from "citty";
import { startCrypto } from "../crypto/setup.ts";
import { log } from "../log.ts";
import { cryptoService } from "../server/crypto.ts";
import { echoService } from "../server/echo.ts";
import { describeLimits } from "../server/limits.ts";
import { describeListeners, type RunningServer, startServer } from "../server/server.ts";
import { plaintextExposureWarning } from "../server/tls.ts";
import { parseCidList } from "../transport/address.ts";
import { addressArg, applyLogLevel, CliError, durationArg, flagOrEnv, intArg, logLevelArg } from "./args.ts";
import { limitArgs, limitsFromArgs, tlsFromServeArgs, tlsServerArgs } from "./serve-options.ts";

export const DEFAULT_ADDR = "127.0.0.1:50051";

export default defineCommand({
  meta: { name: "serve", description: "Serve the Echo and Crypto services (with health and reflection)" },
  args: {
    addr: {
      type: "string",
      alias: "a",
      description: `listen address (env SERVER_ADDR, default ${DEFAULT_ADDR}); port 0 picks a free port`,
    },
    "allow-cid": {
      type: "string",
      description: "comma-separated VSOCK CIDs allowed to connect (env ALLOW_CIDS); others are closed at accept",
    },
    "key-dir": {
      type: "string",
      description:
        "load private keys from DIR/*.pem, id = file name (env KEY_DIR; default: generate RSA 2048, P-256, P-384)",
    },
    "crypto-workers": {
      type: "string",
      description: "signing worker threads (env CRYPTO_WORKERS; default: CPU count; 0 = sign on the event loop)",
    },
    "crypto-queue": {
      type: "string",
      description:
        "signing jobs that may wait for a worker; more get RESOURCE_EXHAUSTED (env CRYPTO_QUEUE; default: 64 per worker)",
    },
    grace: { type: "string", description: "time calls in flight get to finish on SIGTERM/SIGINT (default 10s)" },
    "fast-path": {
      type: "boolean",
      default: true,
      description: "serve unary calls straight off HTTP/2; --no-fast-path sends every call through grpc-js",
    },
    ...tlsServerArgs,
    ...limitArgs,
    ...logLevelArg,
  },
  async run({ args }) {
    // Every flag is checked before any key is generated, so a typo costs nothing.
    applyLogLevel(args["log-level"]);
    const addr = addressArg(flagOrEnv(args.addr, process.env, "SERVER_ADDR") ?? DEFAULT_ADDR, "listen");
    const graceMs = args.grace === undefined ? 10_000 : durationArg(args.grace, "grace");
    const limits = limitsFromArgs(args);
    const tls = tlsFromServeArgs(args);
    const allowText = flagOrEnv(args["allow-cid"], process.env, "ALLOW_CIDS");
    const allow = allowText === undefined ? undefined : parseCidList(allowText);
    if (allow && !allow.ok) throw new CliError(`--allow-cid: ${allow.error}`, 2);
    const workersText = flagOrEnv(args["crypto-workers"], process.env, "CRYPTO_WORKERS");
    const workers = workersText === undefined ? undefined : intArg(workersText, "crypto-workers", 0, 1024);
    const queueText = flagOrEnv(args["crypto-queue"], process.env, "CRYPTO_QUEUE");
    const queue = queueText === undefined ? undefined : intArg(queueText, "crypto-queue", 0, 1_000_000);

    let crypto: Awaited<ReturnType<typeof startCrypto>>;
    try {
      crypto = await startCrypto({
        keyDir: flagOrEnv(args["key-dir"], process.env, "KEY_DIR"),
        workers,
        queue,
        warn: (m) => log.warn(m),
        debug: (m) => log.debug(m),
      });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), 1);
    }
    const services = [echoService(), cryptoService(crypto.ring, crypto.executor)];

    const warning = plaintextExposureWarning(
      [addr],
      services.map((s) => s.name),
      tls !== undefined,
    );
    if (warning) log.warn(warning);

    let server: RunningServer;
    try {
      server = await startServer({
        addresses: [addr],
        services,
        limits,
        tls,
        fastPath: args["fast-path"],
        allowCids: allow?.cids,
      });
    } catch (err) {
      await crypto.executor.close();
      throw new CliError(err instanceof Error ? err.message : String(err), 1);
    }
    log.info(`Crypto: ${crypto.keySource}, signing ${crypto.executor.description}`);
    const names = services.map((s) => s.name.replace(/^grpcperf\.v1\./, "")).join(", ");
    const scheme = tls ? (tls.clientCaPem ? " (mTLS)" : " (TLS)") : "";
    log.info(`grpcperf serving ${names} on ${describeListeners(server.listeners)}${scheme}`);
    log.debug(`limits: ${describeLimits(limits)}`);

    await stopOnSignal(server, graceMs, () => crypto.executor.close());
  },
});

/**
 * First SIGINT/SIGTERM drains (health NOT_SERVING, no new calls, grace for calls in flight), then runs
 * `afterDrain`; a second signal exits at once.
 */
function stopOnSignal(server: RunningServer, graceMs: number, afterDrain: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: shutting down, calls in flight get up to ${graceMs} ms`);
      server
        .shutdown(graceMs)
        .then(({ forced }) => {
          if (forced) log.warn("grace period over: remaining calls were cut");
          return afterDrain();
        })
        .then(() => {
          log.info("stopped");
          resolve();
        });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}
