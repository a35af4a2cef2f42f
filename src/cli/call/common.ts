// Flags every `call` subcommand shares, and turning them into a connected channel.
import { openChannel } from "../../client/channel.ts";
import type { UnaryChannel } from "../../rpc/channel.ts";
import { statusName } from "../../rpc/status.ts";
import { type Address, formatAddress } from "../../transport/address.ts";
import { addressArg, applyLogLevel, CliError, durationArg, flagOrEnv, logLevelArg } from "../args.ts";

export const DEFAULT_SERVER = "127.0.0.1:50051";

export const callArgs = {
  server: {
    type: "string",
    alias: "s",
    description: `server address (env SERVER_ADDR, default ${DEFAULT_SERVER})`,
  },
  timeout: { type: "string", description: "deadline per call (default 10s)" },
  json: { type: "boolean", description: "one JSON object per line on stdout" },
  ...logLevelArg,
} as const;

export interface CallSetup {
  readonly address: Address;
  readonly channel: UnaryChannel;
  readonly timeoutMs: number;
}

/** Parses the shared flags and connects, so a dead server is one clear line before any call is timed. */
export async function connectFromArgs(args: {
  server?: string;
  timeout?: string;
  "log-level"?: string;
}): Promise<CallSetup> {
  applyLogLevel(args["log-level"]);
  const address = addressArg(flagOrEnv(args.server, process.env, "SERVER_ADDR") ?? DEFAULT_SERVER, "connect");
  const timeoutMs = args.timeout === undefined ? 10_000 : durationArg(args.timeout, "timeout");
  const channel = openChannel(address, { connectTimeoutMs: timeoutMs });
  const ready = await channel.ready();
  if (!ready.ok) {
    throw new CliError(`cannot reach ${formatAddress(address)}: ${ready.error.details}`, 1);
  }
  return { address, channel, timeoutMs };
}

export function failureLine(code: number, details: string): string {
  return `${statusName(code)}: ${details}`;
}
