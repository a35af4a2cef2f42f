// `call echo`: its flags and what it does, apart from citty's definition (./echo.ts) so that the quick path
// (./echo-quick.ts) runs it without loading citty (docs/performance.md, "Start-up").
import { type EchoOutcome, echoOnce } from "../../client/echo.ts";
import { formatAddress } from "../../transport/address.ts";
import { CliError, intArg, microsArg, sizeArg } from "../args.ts";
import { writeStdout } from "../stdout.ts";
import { callArgs, connectFromArgs, failureLine, hintAfterFailure } from "./common.ts";

/** The replaced client sent four greetings; so does this by default. */
const DEFAULT_COUNT = 4;

/** The echoed payload as text, when text was sent (--message or the greetings; not --payload-size). */
const echoedText = (o: EchoOutcome) => (o.result.ok ? Buffer.from(o.result.payload).toString("utf8") : "");

function describe(o: EchoOutcome, target: string, text: boolean): string {
  const rtt = `${o.rttMicros.toFixed(0)} µs`;
  if (!o.result.ok)
    return `echo #${o.sequence} to ${target}: FAILED after ${rtt}: ${failureLine(o.result.error.code, o.result.error.details)}`;
  const r = o.result;
  const serverUs = Number(r.serverSendUnixNanos - r.serverRecvUnixNanos) / 1000;
  const check = r.payloadMatches && r.sequenceMatches ? "" : " MISMATCH";
  return (
    `echo #${o.sequence} to ${target}: ${text ? `${JSON.stringify(echoedText(o))}, ` : ""}${o.sentBytes} bytes, round trip ${rtt}` +
    ` (server ${serverUs.toFixed(1)} µs; server_recv_unix_nanos=${r.serverRecvUnixNanos}` +
    ` server_send_unix_nanos=${r.serverSendUnixNanos})${check}`
  );
}

function toJson(o: EchoOutcome, text: boolean): string {
  if (!o.result.ok) {
    return JSON.stringify({
      sequence: o.sequence,
      ok: false,
      rtt_us: o.rttMicros,
      code: o.result.error.code,
      error: o.result.error.details,
    });
  }
  const r = o.result;
  return JSON.stringify({
    sequence: o.sequence,
    ok: r.payloadMatches && r.sequenceMatches,
    bytes: o.sentBytes,
    ...(text ? { message: echoedText(o) } : {}),
    rtt_us: Math.round(o.rttMicros * 10) / 10,
    client_send_unix_nanos: String(r.clientSendUnixNanos),
    server_recv_unix_nanos: String(r.serverRecvUnixNanos),
    server_send_unix_nanos: String(r.serverSendUnixNanos),
    server_time_us: Number(r.serverSendUnixNanos - r.serverRecvUnixNanos) / 1000,
  });
}

/** echo's flags, beside the shared call flags: citty's definition and the quick path both parse by it. */
export const echoArgs = {
  ...callArgs,
  message: { type: "string", alias: "m", description: "text to send (default: numbered greetings)" },
  "payload-size": { type: "string", description: "send N random bytes instead of text" },
  count: { type: "string", alias: "n", description: `number of messages (default ${DEFAULT_COUNT})` },
  "server-delay": { type: "string", description: "ask the server to wait this long first, e.g. 5ms (≤ 60s)" },
  "server-busy": { type: "string", description: "ask the server to spin its CPU this long, e.g. 500us (≤ 1s)" },
} as const;

/** The parsed flags: each a string or a boolean as its type says, absent when not given. */
export type EchoArgs = { readonly _?: string[] } & {
  readonly [K in keyof typeof echoArgs]?: (typeof echoArgs)[K]["type"] extends "boolean" ? boolean : string;
};

export async function runEcho(args: EchoArgs): Promise<void> {
  const count = args.count === undefined ? DEFAULT_COUNT : intArg(args.count, "count", 1);
  const size = args["payload-size"] === undefined ? undefined : sizeArg(args["payload-size"], "payload-size");
  // Not capped here: the server's own refusal (INVALID_ARGUMENT) is what a caller may want to see.
  const speed = {
    ...(args["server-delay"] ? { serverDelayUs: microsArg(args["server-delay"], "server-delay") } : {}),
    ...(args["server-busy"] ? { serverBusyUs: microsArg(args["server-busy"], "server-busy") } : {}),
  };
  // node:crypto costs ~7 ms to load in a compiled binary: only --payload-size needs it
  const randomBytes = size === undefined ? undefined : (await import("node:crypto")).randomBytes;
  const setup = await connectFromArgs(args);
  const { address, channel, timeoutMs } = setup;
  const target = formatAddress(address);
  const text = size === undefined;
  let failures = 0;
  let firstCode: number | undefined;
  try {
    for (let i = 1; i <= count; i++) {
      const payload =
        size !== undefined && randomBytes !== undefined
          ? randomBytes(size)
          : Buffer.from(args.message ?? `Hello from grpcperf, message ${i} of ${count}`);
      const o = await echoOnce(channel, payload, i, timeoutMs, speed);
      if (!o.result.ok || !o.result.payloadMatches || !o.result.sequenceMatches) failures++;
      if (!o.result.ok) firstCode ??= o.result.error.code;
      // Bun.write, not ../output.ts's synchronous write: that loads node:fs (~3 ms of every start)
      const error = await writeStdout(`${args.json ? toJson(o, text) : describe(o, target, text)}\n`);
      if (error !== undefined) throw new CliError(`cannot write to stdout (${error})`, 1);
    }
  } finally {
    await channel.close();
  }
  if (firstCode !== undefined) await hintAfterFailure(setup, firstCode);
  if (failures > 0) process.exitCode = 1;
}
