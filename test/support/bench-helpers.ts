// Servers that count what they see, so bench tests assert on what reached the server rather than on
// what the loader believes it sent; and a test-only Crypto Sign handler until the real service lands.
import { p256 } from "@noble/curves/nist.js";
import Ajv from "ajv";
import reportSchema from "../../schema/bench-report.schema.json" with { type: "json" };
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { type RunOutcome, startRun } from "../../src/bench/coordinator.ts";
import { describeMachine } from "../../src/bench/machine.ts";
import { type BenchFlags, type BenchOptions, resolveOptions } from "../../src/bench/options.ts";
import { buildReport } from "../../src/bench/summary.ts";
import type { WorkloadSpec } from "../../src/bench/workload.ts";
import { grpcperf } from "../../src/gen/pb.js";
import { formatJson } from "../../src/report/json.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { fail, Status } from "../../src/rpc/status.ts";
import { echo } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";

export interface Counter {
  calls: number;
  readonly peers: Set<string>;
  /** untilCalls()'s waiters, woken as the count reaches theirs. */
  readonly waiters: Array<{ calls: number; wake: () => void }>;
}

function counted(counter: Counter): void {
  counter.calls++;
  for (const w of counter.waiters.filter((x) => counter.calls >= x.calls)) {
    counter.waiters.splice(counter.waiters.indexOf(w), 1);
    w.wake();
  }
}

/** Resolves once the server has taken `calls` calls: the run is under way, by the server's own count. */
export function untilCalls(counter: Counter, calls: number): Promise<void> {
  if (counter.calls >= calls) return Promise.resolve();
  return new Promise((wake) => counter.waiters.push({ calls, wake }));
}

/** Echo that counts calls and remembers each peer (host:port), optionally answering after delayMs. */
export function countingEcho(counter: Counter, delayMs = 0): ServiceDef {
  return {
    name: "grpcperf.v1.Echo",
    methods: [
      unary(EchoMethod, async (req, ctx) => {
        counted(counter);
        counter.peers.add(ctx.peer);
        if (delayMs > 0) await Bun.sleep(delayMs);
        return { ok: true, value: echo(req, ctx.recvNanos) };
      }),
    ],
  };
}

export function newCounter(): Counter {
  return { calls: 0, peers: new Set(), waiters: [] };
}

const { SignRequest, SignResponse, Algorithm } = grpcperf.v1;
const secretKey = p256.utils.randomSecretKey();

/** Crypto/Sign for ECDSA P-256 only: a real signature, so the crypto workload costs what it should. */
export function testCryptoService(counter: Counter): ServiceDef {
  return {
    name: "grpcperf.v1.Crypto",
    methods: [
      unary(
        { path: "/grpcperf.v1.Crypto/Sign", request: SignRequest, response: SignResponse },
        (req: grpcperf.v1.SignRequest) => {
          counted(counter);
          if (req.algorithm !== Algorithm.ECDSA_P256_SHA256)
            return fail(Status.UNIMPLEMENTED, "test server: P-256 only");
          const signature = p256.sign(req.message ?? new Uint8Array(), secretKey);
          return { ok: true, value: SignResponse.create({ signature, algorithm: req.algorithm }) };
        },
      ),
    ],
  };
}

/** BenchOptions as the CLI would resolve them from these flags, with no environment. */
export function benchOptions(flags: BenchFlags): BenchOptions {
  const r = resolveOptions(flags, {}, 2);
  if (!r.ok) throw new Error(r.error);
  return r.options;
}

export { EchoRequest, EchoResponse };

const validateReport = new Ajv({ allErrors: true }).compile(reportSchema);

/** Runs `options` in this process to the end and builds its report as `bench` does; throws if no run
 * happened. The report's JSON form is checked against the schema on the way. */
export async function reportOf(
  options: BenchOptions,
  call?: WorkloadSpec["call"],
): Promise<{ report: BenchReport; outcome: Extract<RunOutcome, { kind: "finished" }> }> {
  const outcome = await startRun(options, undefined, call).outcome;
  if (outcome.kind !== "finished") throw new Error(`run did not happen: ${outcome.error}`);
  const report = buildReport({
    options,
    startedAt: outcome.startedAt,
    threads: outcome.threads,
    processCpuSec: outcome.processCpuSec,
    aborted: outcome.aborted,
    machine: describeMachine(),
    tool: { name: "grpcperf", version: "0.0.0", commit: "test" },
  });
  if (!validateReport(JSON.parse(formatJson(report)))) {
    throw new Error(JSON.stringify(validateReport.errors, null, 2));
  }
  return { report, outcome };
}
