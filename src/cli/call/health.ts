import { defineCommand } from "citty";
import { checkHealth } from "../../client/health.ts";
import { formatAddress } from "../../transport/address.ts";
import { withHelp } from "../help.ts";
import { out } from "../output.ts";
import { splitTarget } from "../target.ts";
import { callArgs, callHelp, connectFromArgs, failureLine, hintAfterFailure } from "./common.ts";

// Like grpc_health_probe: exit 0 only when SERVING, so it works as a container health check.
const healthCommand = defineCommand({
  meta: { name: "health", description: "Ask grpc.health.v1.Health for a service's status (exit 0 if SERVING)" },
  args: {
    ...callArgs,
    service: { type: "positional", required: false, description: 'service name (default "": the whole server)' },
  },
  async run({ args: given }) {
    const split = splitTarget(given.server, given._, 1);
    const args = { ...given, service: split.rest[0], server: split.server, _: [] };
    const service = args.service ?? "";
    const setup = await connectFromArgs(args);
    const { address, channel, timeoutMs } = setup;
    try {
      const r = await checkHealth(channel, service, timeoutMs);
      const target = formatAddress(address);
      const label = service === "" ? "server" : service;
      if (args.json) {
        const o = r.ok
          ? { service, status: r.value }
          : { service, status: null, code: r.error.code, error: r.error.details };
        out(`${JSON.stringify(o)}\n`);
      } else if (r.ok) {
        out(`${label} at ${target}: ${r.value}\n`);
      } else {
        out(`${label} at ${target}: ${failureLine(r.error.code, r.error.details)}\n`);
      }
      if (!r.ok) await hintAfterFailure(setup, r.error.code);
      if (!r.ok || r.value !== "SERVING") process.exitCode = 1;
    } finally {
      await channel.close();
    }
  },
});

export default withHelp(
  healthCommand,
  callHelp("the service is SERVING", "it is not SERVING (or unknown), or the call failed"),
);
