// `serve`'s stop logic (stopOnSignal: grace, exit codes) around the real multi-threaded server, with the
// probe service (test/support/services.ts) on every server thread: what the compiled binary cannot carry.
// Usage: bun test/support/serve-extra.ts THREADS GRACE_MS. Prints "serving on ADDR" when ready; exits as serve does.
import { CliError } from "../../src/cli/args.ts";
import { stopOnSignal } from "../../src/cli/serve.ts";
import { startServing } from "../../src/server/cluster.ts";
import { DEFAULT_LIMITS } from "../../src/server/limits.ts";
import { formatAddress } from "../../src/transport/address.ts";

const [threads, graceMs] = process.argv.slice(2).map(Number);
const serving = await startServing({
  addresses: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
  threads: threads ?? 2,
  server: { limits: DEFAULT_LIMITS, tls: undefined, engine: "lean", fastPath: true, allowCids: undefined },
  signing: { keys: [], cryptoWorkers: 0, cryptoQueue: undefined },
  logLevel: "info",
  extraServicesModule: new URL("./services.ts", import.meta.url).href,
});
const stopped = stopOnSignal(serving, graceMs ?? 1000);
console.error(`serving on ${serving.addresses.map(formatAddress).join(", ")}`);
stopped.then(
  () => process.exit(0),
  (err) => {
    console.error(String(err instanceof Error ? err.message : err));
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
