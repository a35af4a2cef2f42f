// One load thread of `bench`, run on the main thread so that `bun --cpu-prof` sees it (a Worker's time is
// not in Bun's profile). Closed loop, unary Echo, the same code path as `bench --threads 1`.
//
// usage: bun --cpu-prof --cpu-prof-md scripts/profile-loader.ts [--protocol P] [--codec C] HOST:PORT [SECONDS=5]
//          [CONNECTIONS=10] [IN_FLIGHT_PER_CONNECTION=10] [PAYLOAD=16] [SERVICE=echo|echo-stream]
//   --protocol grpc|connect|grpc-web|grpc-web-text, --codec proto|json: as bench's (default gRPC, proto).
//   echo-stream: bidi EchoStream, IN_FLIGHT_PER_CONNECTION streams per connection of 100 ping-pong messages
//   each (bench --service echo-stream); "calls" are then messages received.

import { SHARED_SLOTS, type ThreadConfig } from "../src/bench/messages.ts";
import { DEFAULT_BACKOFF } from "../src/bench/reconnect-options.ts";
import { prepareThread } from "../src/bench/runner.ts";
import { DEFAULT_STREAM_MESSAGES, streamWorkloadOf } from "../src/bench/stream/workload.ts";
import { closedLoad } from "../src/load/shape.ts";
import { GRPC_WIRE, wireOf } from "../src/protocol/wire.ts";
import { parseAddress } from "../src/transport/address.ts";

const args = process.argv.slice(2);
/** Takes `--name VALUE` out of args. */
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const [protocol, codec] = [option("--protocol"), option("--codec")];
const wire = protocol === undefined && codec === undefined ? GRPC_WIRE : wireOf(protocol, codec);
if (typeof wire === "string") {
  console.error(wire);
  process.exit(2);
}
const [target = "", secs = "5", conns = "10", per = "10", payload = "16", service = "echo"] = args;
if (service !== "echo" && service !== "echo-stream") {
  console.error(`bad service: ${service} (echo or echo-stream)`);
  process.exit(2);
}
const parsed = parseAddress(target);
if (!parsed.ok) {
  console.error(`bad address: ${parsed.error}`);
  process.exit(2);
}
const n = Number(conns);
const config: ThreadConfig = {
  thread: 0,
  threads: 1,
  server: parsed.address,
  connections: Array.from({ length: n }, (_, index) => ({ index, slots: Number(per) })),
  workload: { service, payloadSize: Number(payload), algorithms: [] },
  timeoutMs: 20_000,
  tls: undefined,
  load: closedLoad(),
  processConnections: n,
  firstConnection: 0,
  requests: undefined,
  durationMs: Number(secs) * 1000,
  warmupMs: 1000,
  intervalMs: 1000,
  progress: false,
  shared: new SharedArrayBuffer(SHARED_SLOTS * Int32Array.BYTES_PER_ELEMENT),
  client: "lean",
  wire,
  reconnect: { backoff: DEFAULT_BACKOFF, waitForReady: false },
  stopOnLoss: true,
  stream:
    service === "echo-stream"
      ? {
          workload: streamWorkloadOf({ payloadSize: Number(payload) }),
          settings: { messages: DEFAULT_STREAM_MESSAGES, rate: undefined },
        }
      : undefined,
};
const p = await prepareThread(config, { onLost: (r) => console.error(`lost: ${r}`) });
if (!p.ok) {
  console.error(p.error);
  process.exit(1);
}
const result = await p.thread.run(Date.now() + 50);
await p.thread.close();
const ok = result.streams ? result.streams.messagesReceived : result.services.reduce((s, x) => s + x.ok, 0);
const cpu = result.cpuSec ?? Number.NaN;
console.log(
  `${ok} calls, ${cpu.toFixed(2)} thread CPU-s, ${(ok / cpu).toFixed(0)} calls per CPU-second, ` +
    `${((cpu * 1e9) / ok).toFixed(0)} ns per call (measured phase)`,
);
