import { defineCommand } from "citty";
import { defaultWorkerCount, describeKeys, type LoadedKeys, loadKeys } from "../crypto/setup.ts";
import { log } from "../log.ts";
import { defaultServerThreads, type Serving, startServing } from "../server/cluster.ts";
import type { ServerEngine } from "../server/config.ts";
import { describeLimits } from "../server/limits.ts";
import { plaintextExposureWarning } from "../server/tls.ts";
import { DEFAULT_ADDRESS, formatAddress, parseCidList } from "../transport/address.ts";
import { addressArg, applyLogLevel, CliError, durationArg, flagOrEnv, intArg, logLevelArg } from "./args.ts";
import { USAGE_EXIT, withHelp } from "./help.ts";
import { limitArgs, limitsFromArgs, tlsFromServeArgs, tlsServerArgs } from "./serve-options.ts";

const serve = defineCommand({
  meta: {
    name: "serve",
    description:
      "Serve the Echo and Crypto services in gRPC, Connect and gRPC-Web (HTTP/2; Connect and gRPC-Web over HTTP/1.1 too), with health and reflection",
  },
  args: {
    addr: {
      type: "string",
      alias: "a",
      description: `listen address (env SERVER_ADDR, default ${DEFAULT_ADDRESS}); port 0 picks a free port`,
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
        "signing jobs that may wait for a signing thread, per server thread; more get RESOURCE_EXHAUSTED (env CRYPTO_QUEUE; default: 256 per signing thread)",
    },
    workers: {
      type: "string",
      description: `server threads (event loops) sharing the listening sockets (env WORKER_THREADS; default: CPU count)`,
    },
    grace: {
      type: "string",
      description: "time calls in flight get to finish on SIGTERM/SIGINT (default 10s); if any are cut, exit code 3",
    },
    engine: {
      type: "string",
      description:
        "HTTP/2 server: lean (our own, default) or grpc-js (@grpc/grpc-js, for comparison) (env SERVER_ENGINE)",
    },
    "fast-path": {
      type: "boolean",
      default: true,
      description:
        "grpc-js engine: serve unary calls straight off HTTP/2; --no-fast-path (implies --engine grpc-js) sends every call through grpc-js",
    },
    ...tlsServerArgs,
    ...limitArgs,
    ...logLevelArg,
  },
  async run({ args }) {
    // Every flag is checked before any key is generated, so a typo costs nothing.
    const logLevel = applyLogLevel(args["log-level"]);
    const addr = addressArg(flagOrEnv(args.addr, process.env, "SERVER_ADDR") ?? DEFAULT_ADDRESS, "listen");
    const graceMs = args.grace === undefined ? 10_000 : durationArg(args.grace, "grace");
    const limits = limitsFromArgs(args);
    const tls = tlsFromServeArgs(args);
    const allowText = flagOrEnv(args["allow-cid"], process.env, "ALLOW_CIDS");
    const allow = allowText === undefined ? undefined : parseCidList(allowText);
    if (allow && !allow.ok) throw new CliError(`--allow-cid: ${allow.error}`, 2);
    const cryptoWorkers = intFlagOrEnv(args["crypto-workers"], "CRYPTO_WORKERS", "crypto-workers", 0, 1024);
    const cryptoQueue = intFlagOrEnv(args["crypto-queue"], "CRYPTO_QUEUE", "crypto-queue", 0, 1_000_000);
    const threads = intFlagOrEnv(args.workers, "WORKER_THREADS", "workers", 1, 256) ?? defaultServerThreads();
    const engine = engineArg(flagOrEnv(args.engine, process.env, "SERVER_ENGINE"));
    const servingEngine: ServerEngine = args["fast-path"] === false ? "grpc-js" : engine;
    // grpc-js has no preface or send timer to set, so an explicit one there would be ignored without a word.
    for (const flag of ["handshake-timeout", "send-timeout"] as const) {
      if (servingEngine === "grpc-js" && args[flag] !== undefined) {
        throw new CliError(`--${flag} works on the lean engine only, not with --engine grpc-js`, 2);
      }
    }

    let loaded: LoadedKeys;
    try {
      loaded = loadKeys({
        keyDir: flagOrEnv(args["key-dir"], process.env, "KEY_DIR"),
        warn: (m) => log.warn(m),
        debug: (m) => log.debug(m),
      });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), 1);
    }
    describeKeys(loaded.keys, { warn: (m) => log.warn(m), debug: (m) => log.debug(m) });

    const names = ["grpcperf.v1.Echo", "grpcperf.v1.Crypto"];
    const warning = plaintextExposureWarning([addr], names, tls !== undefined);
    if (warning) log.warn(warning);

    let serving: Serving;
    try {
      serving = await startServing({
        addresses: [addr],
        threads,
        server: { limits, tls, engine: servingEngine, fastPath: args["fast-path"], allowCids: allow?.cids },
        signing: { keys: loaded.keys, cryptoWorkers: cryptoWorkers ?? defaultWorkerCount(), cryptoQueue },
        logLevel,
      });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), 1);
    }
    // Handlers before the ready line: a script may signal the moment it reads that line.
    const stopped = stopOnSignal(serving, graceMs);
    log.info(`Crypto: ${loaded.keySource}, signing ${serving.signing}`);
    const scheme = tls ? (tls.clientCaPem ? " (mTLS)" : " (TLS)") : "";
    const where = serving.addresses.map(formatAddress).join(", ");
    // The worker count goes before " on ": scripts and tests take the address as `serving .* on (\S+)`.
    const count = `${threads} worker${threads === 1 ? "" : "s"}${servingEngine === "grpc-js" ? " (grpc-js engine)" : ""}`;
    const services = names.map((n) => n.replace(/^grpcperf\.v1\./, "")).join(", ");
    log.info(`grpcperf serving ${services} with ${count} on ${where}${scheme}`);
    log.debug(`limits: ${describeLimits(limits)}`);

    await stopped;
  },
});

export default withHelp(serve, {
  env: [
    ["SERVER_ADDR", "listen address (--addr)"],
    ["KEY_DIR", "signing keys directory (--key-dir)"],
    ["CRYPTO_WORKERS", "signing worker threads (--crypto-workers)"],
    ["CRYPTO_QUEUE", "signing jobs that may wait per server thread (--crypto-queue)"],
    ["WORKER_THREADS", "server threads (--workers)"],
    ["SERVER_ENGINE", "lean or grpc-js (--engine)"],
    ["ALLOW_CIDS", "VSOCK CIDs allowed to connect (--allow-cid)"],
  ],
  exits: [
    ["0", "stopped by a signal, and every call in flight finished within --grace"],
    ["1", "could not start (port in use, unusable certificate), a server thread died, or a second signal"],
    USAGE_EXIT,
    ["3", "stopped by a signal, but calls were cut at the end of --grace"],
  ],
  foreign: {
    "--port": "give the port in --addr HOST:PORT",
    "-p": "give the port in --addr HOST:PORT",
    "--host": "give the host in --addr HOST:PORT",
    "--cert": "the server certificate is --tls-cert",
    "--key": "the server's TLS key is --tls-key (signing keys: --key-dir)",
    "--cacert": "the CA for client certificates (mTLS) is --tls-client-ca",
  },
});

/** `serve`'s exit code when the drain had to cut calls (or terminate a server thread) at the grace period. */
export const EXIT_CALLS_CUT = 3;

/**
 * First SIGINT/SIGTERM drains (health NOT_SERVING, no new calls, grace for calls in flight) and resolves
 * when every call finished in time; when the grace period had to cut calls it rejects with exit code 3,
 * so a supervisor can tell a clean stop from a lossy one. A second signal exits at once (1). A server
 * thread that dies is an error: the others drain, and the exit code is 1.
 */
export function stopOnSignal(server: Serving, graceMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stopping = false;
    server.died.then((reason) => {
      if (stopping) return;
      stopping = true;
      log.error(`${reason}: stopping the server`);
      server.shutdown(graceMs).then(() => reject(new CliError("stopped: a server worker died", 1)));
    });
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: shutting down, calls in flight get up to ${graceMs} ms`);
      server.shutdown(graceMs).then(({ forced, terminated }) => {
        if (forced) log.warn("grace period over: remaining calls were cut");
        log.info("stopped");
        if (!forced) return resolve();
        const threads = terminated.length === 0 ? "" : ` (server worker ${terminated.join(", ")} terminated)`;
        reject(new CliError(`stopped after cutting calls at the end of the grace period${threads}`, EXIT_CALLS_CUT));
      });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}

/** A whole number from the flag, else the environment variable, else undefined. */
function intFlagOrEnv(flag: string | undefined, env: string, name: string, min: number, max: number) {
  const text = flagOrEnv(flag, process.env, env);
  return text === undefined ? undefined : intArg(text, name, min, max);
}

function engineArg(text: string | undefined): ServerEngine {
  if (text === undefined || text === "lean" || text === "grpc-js") return text ?? "lean";
  throw new CliError(`--engine: "${text}" is not lean or grpc-js`, 2);
}
