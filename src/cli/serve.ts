import { defineCommand } from "citty";
import { log } from "../log.ts";
import { echoService } from "../server/echo.ts";
import type { ServiceDef } from "../server/handler.ts";
import { describeLimits } from "../server/limits.ts";
import { describeListeners, type RunningServer, startServer } from "../server/server.ts";
import { plaintextExposureWarning } from "../server/tls.ts";
import { addressArg, applyLogLevel, CliError, durationArg, flagOrEnv, logLevelArg } from "./args.ts";
import { limitArgs, limitsFromArgs, tlsFromServeArgs, tlsServerArgs } from "./serve-options.ts";

export const DEFAULT_ADDR = "127.0.0.1:50051";

export default defineCommand({
  meta: { name: "serve", description: "Serve the Echo service (with health and reflection)" },
  args: {
    addr: {
      type: "string",
      alias: "a",
      description: `listen address (env SERVER_ADDR, default ${DEFAULT_ADDR}); port 0 picks a free port`,
    },
    grace: { type: "string", description: "time calls in flight get to finish on SIGTERM/SIGINT (default 10s)" },
    ...tlsServerArgs,
    ...limitArgs,
    ...logLevelArg,
  },
  async run({ args }) {
    applyLogLevel(args["log-level"]);
    const addr = addressArg(flagOrEnv(args.addr, process.env, "SERVER_ADDR") ?? DEFAULT_ADDR, "listen");
    const graceMs = args.grace === undefined ? 10_000 : durationArg(args.grace, "grace");
    const limits = limitsFromArgs(args);
    const tls = tlsFromServeArgs(args);
    const services: ServiceDef[] = [echoService()];

    const warning = plaintextExposureWarning(
      [addr],
      services.map((s) => s.name),
      tls !== undefined,
    );
    if (warning) log.warn(warning);

    let server: RunningServer;
    try {
      server = await startServer({ addresses: [addr], services, limits, tls });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), 1);
    }
    const names = services.map((s) => s.name.replace(/^grpcperf\.v1\./, "")).join(", ");
    const scheme = tls ? (tls.clientCaPem ? " (mTLS)" : " (TLS)") : "";
    log.info(`grpcperf serving ${names} on ${describeListeners(server.listeners)}${scheme}`);
    log.debug(`limits: ${describeLimits(limits)}`);

    await stopOnSignal(server, graceMs);
  },
});

/** First SIGINT/SIGTERM drains (health NOT_SERVING, no new calls, grace for calls in flight); a second exits now. */
function stopOnSignal(server: RunningServer, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: shutting down, calls in flight get up to ${graceMs} ms`);
      server.shutdown(graceMs).then(({ forced }) => {
        if (forced) log.warn("grace period over: remaining calls were cut");
        log.info("stopped");
        resolve();
      });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}
