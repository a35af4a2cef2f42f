#!/usr/bin/env bun
// Soak: many unary echo calls against a real server process, to show memory stays flat and nothing
// fails. Phase 1: --calls on one connection; phase 2: --per-connection calls on each of --connections
// connections at once. Prints failures by status, the server's RSS at start and end, and GOAWAYs seen.
//
//   bun scripts/soak.ts                          # 1,000,000 + 10 × 100,000 against dist/grpcperf
//   bun scripts/soak.ts --calls 200000 --per-connection 20000
//   bun scripts/soak.ts --server 127.0.0.1:50051 # an already running server (RSS needs --pid)
//   bun scripts/soak.ts --binary /tmp/grpcperf    # a copy, so rebuilding dist/ mid-soak is harmless
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeMessage } from "../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../src/api/echo.ts";
import { openChannel } from "../src/client/channel.ts";
import type { RpcChannel } from "../src/rpc/channel.ts";
import { statusName } from "../src/rpc/status.ts";
import { parseAddress } from "../src/transport/address.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "1000000" },
    "per-connection": { type: "string", default: "100000" },
    connections: { type: "string", default: "10" },
    concurrency: { type: "string", default: "32" },
    "payload-size": { type: "string", default: "64" },
    server: { type: "string" },
    binary: { type: "string" },
    pid: { type: "string" },
  },
});
const num = (s: string | undefined, name: string) => {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: "${s}" is not a whole number`);
  return n;
};
const calls = num(values.calls, "calls");
const perConnection = num(values["per-connection"], "per-connection");
const connections = num(values.connections, "connections");
const concurrency = Math.max(1, num(values.concurrency, "concurrency"));
const payload = Buffer.alloc(num(values["payload-size"], "payload-size"), 0x5a);

function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
const mib = (kib: number | undefined) => (kib === undefined ? "n/a" : `${(kib / 1024).toFixed(1)} MiB`);

async function startServer(): Promise<{ target: string; pid: number; stop: () => Promise<void> }> {
  const bin = values.binary ?? join(import.meta.dir, "..", "dist", "grpcperf");
  const child = Bun.spawn([bin, "serve", "--addr", "127.0.0.1:0", "--log-level", "info"], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = child.stderr.getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before it was ready:\n${text}`);
    text += new TextDecoder().decode(value);
    const m = /serving .* on (\S+)/.exec(text);
    if (m) {
      // Keep draining stderr so a chatty server never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read()).done) {}
      })();
      return {
        target: m[1] as string,
        pid: child.pid,
        stop: async () => {
          child.kill("SIGTERM");
          await child.exited;
        },
      };
    }
  }
}

const failures = new Map<string, number>();
let done = 0;

/** `count` sequential-per-worker calls over one channel, `concurrency` in flight at a time. */
async function drive(channel: RpcChannel, count: number): Promise<void> {
  let next = 0;
  const request = encodeMessage(EchoRequest, { payload, sequence: 1 });
  const worker = async () => {
    while (next < count) {
      next++;
      const r = await channel.unary(EchoMethod.path, request, { timeoutMs: 30_000 });
      done++;
      if (!r.ok) {
        const key = `${statusName(r.error.code)}: ${r.error.details}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function main() {
  const server = values.server
    ? { target: values.server, pid: values.pid ? num(values.pid, "pid") : 0, stop: async () => {} }
    : await startServer();
  const parsed = parseAddress(server.target, "connect");
  if (!parsed.ok) throw new Error(parsed.error);
  const address = parsed.address;
  const rss = () => (server.pid ? rssKiB(server.pid) : undefined);
  const channels: RpcChannel[] = [];
  const open = () => {
    const ch = openChannel(address);
    channels.push(ch);
    return ch;
  };

  console.log(
    `soak against ${server.target}: ${calls} calls on 1 connection, then ${perConnection} on each of ${connections}, ${concurrency} in flight per connection, ${payload.length} B payload`,
  );
  console.log(`server RSS before any call: ${mib(rss())}`);
  const warm = open();
  await drive(warm, 10_000);
  const rssStart = rss();
  console.log(`server RSS at start (after 10,000 warm-up calls): ${mib(rssStart)}`);

  const progress = setInterval(() => {
    console.log(
      `  ${done} calls, server RSS ${mib(rss())}, client RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(1)} MiB`,
    );
  }, 30_000);

  let t0 = performance.now();
  await drive(warm, calls);
  const s1 = (performance.now() - t0) / 1000;
  const rssMid = rss();
  console.log(
    `phase 1: ${calls} calls on one connection in ${s1.toFixed(1)} s (${Math.round(calls / s1)}/s); server RSS ${mib(rssMid)}`,
  );

  t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, () => drive(open(), perConnection)));
  const s2 = (performance.now() - t0) / 1000;
  const total2 = perConnection * connections;
  const rssEnd = rss();
  clearInterval(progress);
  console.log(
    `phase 2: ${total2} calls on ${connections} connections in ${s2.toFixed(1)} s (${Math.round(total2 / s2)}/s); server RSS ${mib(rssEnd)}`,
  );

  const goaways = channels.reduce((n, c) => n + c.stats.goaways, 0);
  const connects = channels.reduce((n, c) => n + c.stats.connects, 0);
  await Promise.all(channels.map((c) => c.close()));
  await server.stop();

  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  console.log("---");
  console.log(`calls: ${done} (incl. 10,000 warm-up), failures: ${failed}`);
  for (const [why, n] of failures) console.log(`  ${n} × ${why}`);
  console.log(`server RSS: start ${mib(rssStart)}, after phase 1 ${mib(rssMid)}, end ${mib(rssEnd)}`);
  console.log(`GOAWAYs received: ${goaways}; connections opened: ${connects} (${connections + 1} planned)`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
});
