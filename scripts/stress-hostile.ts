#!/usr/bin/env bun
// Hostile peers against a real `grpcperf serve` process (issue 12): for each attack a fresh server, a
// watcher thread sampling its RSS every ~20 ms and running an honest client (unary Echo calls back to
// back on its own connection), and a raw HTTP/2 peer doing the attack. Reports per attack what was sent
// before the server refused it (GOAWAY code, after how many frames), the RSS growth, the honest client's
// worst and p99 latency, and whether that meets the target. Builds nothing: run scripts/build.sh first.
//
//   node_modules/.bin/bun scripts/stress-hostile.ts                 # every attack, a table
//   node_modules/.bin/bun scripts/stress-hostile.ts --only rapid-reset,ping-flood --json
//   node_modules/.bin/bun scripts/stress-hostile.ts --workers 2     # server threads (default 1: see below)
//
// The server runs with --workers 1 by default, so the honest client's connection is served by the same
// event loop as the attacker's: its latency is then a measure of how long the attack kept that thread busy.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeMessage } from "../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../src/api/echo.ts";
import { openChannel } from "../src/client/channel.ts";
import { ErrorCode } from "../src/h2/errors.ts";
import { FrameType } from "../src/h2/frame.ts";
import { parseAddress } from "../src/transport/address.ts";
import type { Attack, AttackOutcome } from "./lib/attack.ts";
import { allAttacks } from "./lib/attacks.ts";
import type { FromObserver, ObserverReport } from "./lib/observer.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    json: { type: "boolean", default: false },
    binary: { type: "string" },
    workers: { type: "string", default: "1" },
    "time-limit": { type: "string", default: "30" },
  },
});

const binary = values.binary ?? join(import.meta.dir, "..", "dist", "grpcperf");
const timeLimitMs = Number(values["time-limit"]) * 1000;
const log = (s: string) => {
  if (!values.json) console.log(s);
};

interface Server {
  readonly port: number;
  readonly target: string;
  readonly pid: number;
  readonly child: ReturnType<typeof Bun.spawn>;
  /** The last lines the server wrote, for when it dies. */
  readonly tail: string[];
}

const live = new Set<ReturnType<typeof Bun.spawn>>();
function killAll(): void {
  for (const c of live) c.kill("SIGKILL");
  live.clear();
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

async function startServer(extra: readonly string[] = []): Promise<Server> {
  const args = [
    "serve",
    "--addr",
    "127.0.0.1:0",
    "--workers",
    values.workers as string,
    "--crypto-workers",
    "0",
    ...extra,
  ];
  const child = Bun.spawn([binary, ...args, "--log-level", "info"], { stdout: "ignore", stderr: "pipe" });
  live.add(child);
  const tail: string[] = [];
  const reader = (child.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before it was ready:\n${text}`);
    text += decoder.decode(value, { stream: true });
    const m = /serving .* on (\S+)/.exec(text);
    if (m) {
      tail.push(...text.split("\n").filter(Boolean));
      // Keep draining stderr, so a chatty server never blocks on a full pipe; keep the last lines.
      void (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          tail.push(...decoder.decode(r.value, { stream: true }).split("\n").filter(Boolean));
          if (tail.length > 40) tail.splice(0, tail.length - 40);
        }
      })();
      const target = m[1] as string;
      return { port: Number(target.slice(target.lastIndexOf(":") + 1)), target, pid: child.pid, child, tail };
    }
  }
}

/** User + system CPU of a process so far, seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const AFTER_CALLS = 20;

/** AFTER_CALLS unary Echo calls on a new connection, each within a generous deadline. */
async function servesAfter(target: string): Promise<{ ok: boolean; error?: string }> {
  const parsed = parseAddress(target, "connect");
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const ch = openChannel(parsed.address, { client: "lean" });
  const request = encodeMessage(EchoRequest, { payload: Buffer.alloc(64, 0x5a), sequence: 1 });
  try {
    for (let i = 0; i < AFTER_CALLS; i++) {
      const r = await ch.unary(EchoMethod.path, request, { timeoutMs: 5000 });
      if (!r.ok) return { ok: false, error: r.error.details };
    }
    return { ok: true };
  } finally {
    await ch.close();
  }
}

async function stopServer(s: Server): Promise<void> {
  s.child.kill("SIGTERM");
  const t = setTimeout(() => s.child.kill("SIGKILL"), 3000);
  await s.child.exited;
  clearTimeout(t);
  live.delete(s.child);
}

/** One watcher thread per attack: RSS samples and the honest client. */
class Observer {
  private readonly worker = new Worker(new URL("./lib/observer.ts", import.meta.url).href);
  private next: ((m: FromObserver) => void) | undefined;

  constructor() {
    this.worker.onmessage = (e: MessageEvent<FromObserver>) => this.next?.(e.data);
  }

  private reply(): Promise<FromObserver> {
    return new Promise((resolve) => {
      this.next = resolve;
    });
  }

  async watch(target: string, pid: number): Promise<void> {
    const ready = this.reply();
    this.worker.postMessage({ kind: "watch", target, pid });
    await ready;
  }

  mark(): void {
    this.worker.postMessage({ kind: "mark" });
  }

  async stop(): Promise<ObserverReport> {
    const report = this.reply();
    this.worker.postMessage({ kind: "stop" });
    const r = (await report) as ObserverReport;
    this.worker.terminate();
    return r;
  }
}

export interface Result {
  readonly attack: string;
  readonly what: string;
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly goaway: { code: string; afterFrames: number; debug: string } | null;
  /** The server closed the connection (we close it ourselves at the end of an attack it let run). */
  readonly closed: boolean;
  readonly closedAfterFrames: number | null;
  /** How the socket ended on our side: ECONNRESET means the server closed with our bytes unread. */
  readonly socketError: string | null;
  /** Frames the server sent us, by type (a zero-window run should show no DATA). */
  readonly received: Record<string, number>;
  readonly durationMs: number;
  readonly rss: { baselineMB: number; peakMB: number; deltaMB: number; hwmBeforeMB: number; hwmAfterMB: number };
  readonly honest: {
    calls: number;
    maxMs: number;
    p99Ms: number;
    p50Ms: number;
    failures: number;
    firstFailure?: string;
  };
  readonly answerMs: number | null;
  /** CPU the server spent (user + system) while the attack ran, seconds. */
  readonly serverCpuS: number;
  /** A fresh connection's calls succeeded right after the attack. */
  readonly servesAfter: boolean;
  readonly serverAlive: boolean;
  readonly target: string;
  readonly verdict: "pass" | "FAIL" | "info";
  readonly failed: string[];
  readonly note: string;
}

const MB = (kib: number) => (kib * 1024) / 1e6;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const codeName = (code: number) =>
  Object.entries(ErrorCode).find(([, v]) => v === code)?.[0] ?? `0x${code.toString(16)}`;

function describeTarget(a: Attack): string {
  const t = a.target;
  const parts: string[] = [];
  if (t.rssMB !== undefined) parts.push(`ΔRSS<${t.rssMB}MB`);
  if (t.maxMs !== undefined) parts.push(`max<${t.maxMs}ms`);
  if (t.goaway) parts.push("GOAWAY");
  if (t.closes) parts.push("closed");
  if (a.name === "gzip-bomb") parts.push("RESOURCE_EXHAUSTED");
  return parts.length > 0 ? parts.join(", ") : "(report only)";
}

async function runOne(a: Attack): Promise<Result> {
  if (a.prepare) {
    log(`${a.name}: preparing…`);
    await a.prepare();
  }
  const server = await startServer(a.serverArgs);
  const observer = new Observer();
  await observer.watch(server.target, server.pid);
  observer.mark();
  log(`${a.name}: ${a.what} → server pid ${server.pid} on ${server.target}`);
  const t0 = performance.now();
  const cpu0 = cpuSeconds(server.pid);
  let outcome: AttackOutcome | undefined;
  let error: string | undefined;
  try {
    outcome = await a.run(server.port, t0 + timeLimitMs);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const durationMs = performance.now() - t0;
  const cpuS = cpuSeconds(server.pid) - cpu0;
  // What the server still does with bytes it had buffered shows in the samples of the next moments.
  await Bun.sleep(300);
  // Right after: a new connection gets normal calls served (issue 25's "serves normally right after").
  const after = await servesAfter(server.target);
  const report = await observer.stop();
  const serverAlive = server.child.exitCode === null && server.child.signalCode === null && !report.serverGone;
  if (!serverAlive) log(`${a.name}: the server died:\n  ${server.tail.slice(-10).join("\n  ")}`);
  await stopServer(server);

  const peakKiB = Math.max(report.peakKiB, report.hwmAfterKiB > report.hwmBeforeKiB ? report.hwmAfterKiB : 0);
  const deltaMB = MB(peakKiB - report.baselineKiB);
  const peer = outcome?.peer;
  const g = peer?.goaway;
  const failed: string[] = [];
  const t = a.target;
  if (error) failed.push(`attack threw: ${error}`);
  if (!serverAlive) failed.push("server died");
  if (t.rssMB !== undefined && deltaMB >= t.rssMB) failed.push(`ΔRSS ${round(deltaMB)} MB ≥ ${t.rssMB}`);
  if (t.maxMs !== undefined && report.maxMs >= t.maxMs)
    failed.push(`honest max ${round(report.maxMs)} ms ≥ ${t.maxMs}`);
  if (t.goaway && g === undefined) failed.push("no GOAWAY");
  if (t.closes && !(peer?.refused ?? false)) failed.push("connection not closed");
  if (outcome?.answered === false) failed.push("not answered as required");
  if (!after.ok) failed.push(`not serving right after: ${after.error}`);
  const hasTarget = Object.keys(t).length > 0;
  const verdict = failed.length > 0 ? "FAIL" : hasTarget ? "pass" : "info";
  return {
    attack: a.name,
    what: a.what,
    framesSent: peer?.framesSent ?? 0,
    bytesSent: peer?.bytesSent ?? 0,
    goaway: g ? { code: codeName(g.code), afterFrames: g.afterFrames, debug: g.debug } : null,
    closed: peer?.closedByServer ?? false,
    closedAfterFrames: peer?.closedAfterFrames ?? null,
    socketError: peer?.socketError ?? null,
    received: Object.fromEntries(
      [...(peer?.received ?? [])].map(([type, n]) => [
        Object.entries(FrameType).find(([, v]) => v === type)?.[0] ?? `0x${type.toString(16)}`,
        n,
      ]),
    ),
    durationMs: round(durationMs, 0),
    rss: {
      baselineMB: round(MB(report.baselineKiB)),
      peakMB: round(MB(peakKiB)),
      deltaMB: round(deltaMB),
      hwmBeforeMB: round(MB(report.hwmBeforeKiB)),
      hwmAfterMB: round(MB(report.hwmAfterKiB)),
    },
    honest: {
      calls: report.calls,
      maxMs: round(report.maxMs),
      p99Ms: round(report.p99Ms),
      p50Ms: round(report.p50Ms, 2),
      failures: report.failures,
      ...(report.firstFailure !== undefined && { firstFailure: report.firstFailure }),
    },
    answerMs: outcome?.answerMs === undefined ? null : round(outcome.answerMs),
    serverCpuS: round(cpuS, 2),
    servesAfter: after.ok,
    serverAlive,
    target: describeTarget(a),
    verdict,
    failed,
    note: error ?? outcome?.note ?? "",
  };
}

function table(results: Result[]): string {
  const head = [
    "attack",
    "frames sent",
    "MB sent",
    "server's answer",
    "time s",
    "RSS base",
    "ΔRSS MB",
    "honest calls",
    "max ms",
    "p99 ms",
    "CPU s",
    "after",
    "target",
    "result",
  ];
  const rows = results.map((r) => [
    r.attack,
    r.framesSent.toLocaleString("en"),
    (r.bytesSent / 1e6).toFixed(1),
    r.goaway
      ? `GOAWAY ${r.goaway.code} after ${r.goaway.afterFrames.toLocaleString("en")}`
      : r.closed
        ? `closed${r.socketError ? ` (${r.socketError})` : ""} after ${(r.closedAfterFrames ?? 0).toLocaleString("en")}`
        : "none",
    (r.durationMs / 1000).toFixed(1),
    r.rss.baselineMB.toFixed(1),
    `${r.rss.deltaMB >= 0 ? "+" : ""}${r.rss.deltaMB.toFixed(1)}`,
    `${r.honest.calls}${r.honest.failures > 0 ? ` (${r.honest.failures} failed)` : ""}`,
    r.honest.maxMs.toFixed(1),
    r.honest.p99Ms.toFixed(1),
    r.serverCpuS.toFixed(2),
    r.servesAfter ? "serves" : "NOT",
    r.target,
    r.serverAlive ? r.verdict : "DIED",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run bash scripts/build.sh first`);
  const wanted = values.only?.split(",").map((s) => s.trim());
  const attacks = allAttacks().filter((a) => wanted === undefined || wanted.includes(a.name));
  if (attacks.length === 0) {
    throw new Error(
      `--only: no attack named ${values.only}; known: ${allAttacks()
        .map((a) => a.name)
        .join(", ")}`,
    );
  }
  const results: Result[] = [];
  for (const a of attacks) {
    const r = await runOne(a);
    results.push(r);
    log(`  ${r.verdict}${r.failed.length ? ` (${r.failed.join("; ")})` : ""}: ${r.note}`);
  }
  if (values.json) {
    console.log(JSON.stringify({ workers: Number(values.workers), results }, null, 2));
  } else {
    console.log("");
    console.log(table(results));
    const bomb = results.find((r) => r.attack === "gzip-bomb");
    if (bomb !== undefined && bomb.answerMs !== null) {
      console.log(`\ngzip-bomb: slowest answer (inflate to the cap and reply) ${bomb.answerMs} ms after the last byte`);
    }
  }
  process.exitCode = results.some((r) => r.verdict === "FAIL") ? 1 : 0;
}

main()
  .catch((err) => {
    console.error(`stress-hostile: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  })
  .finally(killAll);
