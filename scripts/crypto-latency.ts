// Echo latency with and without concurrent signing load: does signing stall the server's event loop?
// Starts dist/grpcperf serve (build it first) once per --workers value, then measures sequential echo round
// trips alone, and again while --signers loops keep the server signing. Prints one line per phase.
//
//   npm run bench:crypto-latency -- [--workers 2,0] [--duration 5s] [--signers 4] [--alg rsa-pkcs1]
//
// --workers 0 signs on the server's event loop: the comparison that shows what the worker pool buys.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openChannel } from "../src/client/channel.ts";
import { sign } from "../src/client/crypto.ts";
import { echoOnce } from "../src/client/echo.ts";
import { algorithmByName } from "../src/crypto/algorithms.ts";
import type { RpcChannel } from "../src/rpc/channel.ts";
import { parseAddress } from "../src/transport/address.ts";
import { parseDuration } from "../src/units.ts";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "2,0" },
    duration: { type: "string", default: "5s" },
    signers: { type: "string", default: "4" },
    alg: { type: "string", default: "rsa-pkcs1" },
  },
});
const durationMs = parseDuration(values.duration) ?? 5000;
const signers = Number(values.signers);
const found = algorithmByName(values.alg);
if (!found) throw new Error(`unknown --alg ${values.alg}`);
const spec = found;
const BINARY = join(import.meta.dir, "..", "dist", "grpcperf");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function echoLoop(ch: RpcChannel, until: number): Promise<number[]> {
  const rtts: number[] = [];
  const payload = Buffer.from("latency probe");
  for (let i = 1; performance.now() < until; i++) {
    const o = await echoOnce(ch, payload, i, 10_000);
    if (!o.result.ok) throw new Error(`echo failed: ${o.result.error.details}`);
    rtts.push(o.rttMicros);
  }
  return rtts;
}

async function signLoop(ch: RpcChannel, until: number, algorithm: number): Promise<number> {
  let n = 0;
  const message = Buffer.from("load");
  while (performance.now() < until) {
    const m = await sign(ch, { algorithm, message }, 30_000);
    if (!m.result.ok) throw new Error(`sign failed: ${m.result.error.details}`);
    n++;
  }
  return n;
}

function line(label: string, rtts: number[], extra = ""): string {
  const s = rtts.slice().sort((a, b) => a - b);
  const f = (x: number) => `${Math.round(x)} µs`.padStart(10);
  return `${label.padEnd(34)} echo n=${String(s.length).padStart(6)} p50 ${f(percentile(s, 50))} p99 ${f(percentile(s, 99))} max ${f(s[s.length - 1] ?? Number.NaN)}${extra}`;
}

async function measure(workers: string): Promise<void> {
  const server = Bun.spawn([BINARY, "serve", "--addr", "127.0.0.1:0", "--crypto-workers", workers], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const reader = server.stderr.getReader();
  let text = "";
  let addr: string | undefined;
  while (!addr) {
    const r = await reader.read();
    if (r.done) throw new Error(`server did not start:\n${text}`);
    text += new TextDecoder().decode(r.value);
    addr = /serving .* on (\S+)/.exec(text)?.[1];
  }
  const parsed = parseAddress(addr, "connect");
  if (!parsed.ok) throw new Error(parsed.error);
  const echoCh = openChannel(parsed.address);
  const signCh = openChannel(parsed.address);
  try {
    // warm-up: JIT, connections, workers
    await echoLoop(echoCh, performance.now() + 300);
    await signLoop(signCh, performance.now() + 300, spec.algorithm);

    const label = `workers=${workers}${workers === "0" ? " (inline)" : ""}`;
    const idle = await echoLoop(echoCh, performance.now() + durationMs);
    console.log(line(`${label}, no signing`, idle));

    const until = performance.now() + durationMs;
    const [loaded, ...counts] = await Promise.all([
      echoLoop(echoCh, until),
      ...Array.from({ length: signers }, () => signLoop(signCh, until, spec.algorithm)),
    ]);
    const signed = (counts as number[]).reduce((a, b) => a + b, 0);
    const rate = ` | ${spec.name} ${Math.round(signed / (durationMs / 1000))}/s from ${signers} loops`;
    console.log(line(`${label}, signing`, loaded as number[], rate));
  } finally {
    await echoCh.close();
    await signCh.close();
    reader.releaseLock();
    server.kill("SIGTERM");
    await server.exited;
  }
}

console.log(`# ${new Date().toISOString()}, ${navigator.hardwareConcurrency} CPUs, ${values.duration} per phase`);
for (const w of values.workers.split(",")) await measure(w.trim());
