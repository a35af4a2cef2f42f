import { defineCommand } from "citty";
import { log } from "../log.ts";
import { echoService } from "../server/echo.ts";
import { describeListeners, startServer } from "../server/server.ts";
import { parseCidList } from "../transport/address.ts";
import { addressArg, applyLogLevel, CliError, durationArg, flagOrEnv, logLevelArg } from "./args.ts";

export const DEFAULT_ADDR = "127.0.0.1:50051";

export default defineCommand({
  meta: { name: "serve", description: "Serve the Echo service" },
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
    grace: { type: "string", description: "time calls in flight get to finish on SIGTERM/SIGINT (default 10s)" },
    ...logLevelArg,
  },
  async run({ args }) {
    applyLogLevel(args["log-level"]);
    const addr = addressArg(flagOrEnv(args.addr, process.env, "SERVER_ADDR") ?? DEFAULT_ADDR, "listen");
    const graceMs = args.grace === undefined ? 10_000 : durationArg(args.grace, "grace");
    const allowText = flagOrEnv(args["allow-cid"], process.env, "ALLOW_CIDS");
    const allow = allowText === undefined ? undefined : parseCidList(allowText);
    if (allow && !allow.ok) throw new CliError(`--allow-cid: ${allow.error}`, 2);
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer({ addresses: [addr], services: [echoService()], allowCids: allow?.cids });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), 1);
    }
    log.info(`grpcperf serving Echo on ${describeListeners(server.listeners)}`);

    await new Promise<void>((resolve) => {
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
  },
});
