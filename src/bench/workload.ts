// What is sent: one pre-encoded request body per (service, algorithm), built once before the run so the
// hot loop only frames and sends bytes.
import { randomBytes } from "node:crypto";
import { encodeMessage } from "../api/codec.ts";
import { EchoMethod, EchoRequest } from "../api/echo.ts";
import { grpcperf } from "../gen/pb.js";
import type { WorkloadLabel } from "../report/records.ts";
import { buildCallWorkload, type CallSpec, type NextNumber } from "./call-workload.ts";

export type ServiceName = "echo" | "crypto";
/** "echo-stream" is grpcperf's bidi EchoStream: a streaming run (stream/), no unary service. */
export type ServiceChoice = ServiceName | "both" | "echo-stream";

export const SIGN_PATH = "/grpcperf.v1.Crypto/Sign";

const Algorithm = grpcperf.v1.Algorithm;

/** The short names `call sign --alg` takes, in the proto's order. */
export const ALGORITHMS: Readonly<Record<string, grpcperf.v1.Algorithm>> = {
  "rsa-pkcs1": Algorithm.RSA_PKCS1_SHA256,
  "rsa-pss": Algorithm.RSA_PSS_SHA256,
  "ecdsa-p256": Algorithm.ECDSA_P256_SHA256,
  "ecdsa-p384": Algorithm.ECDSA_P384_SHA384,
};

export const DEFAULT_ALGORITHMS: readonly string[] = ["ecdsa-p256"];

/** "rsa-pss" or the enum name "RSA_PSS_SHA256" (any case) → the short name; undefined if neither. */
export function algorithmName(text: string): string | undefined {
  const n = text.trim().toLowerCase();
  if (Object.hasOwn(ALGORITHMS, n)) return n;
  return Object.keys(ALGORITHMS).find((k) => Algorithm[ALGORITHMS[k] as number]?.toLowerCase() === n);
}

/** One kind of call. Calls of a thread take the workloads in turn, so `both` is an even mix. */
export interface Workload {
  readonly service: WorkloadLabel;
  readonly path: string;
  /** Encoded request messages; a call uses them in turn (one per crypto algorithm, or --data-file line). */
  readonly bodies: readonly Buffer[];
  /** A -d template: a fresh body per call, instead of `bodies`. */
  readonly make?: () => Buffer;
}

export interface WorkloadSpec {
  readonly service: ServiceChoice;
  readonly payloadSize: number;
  readonly algorithms: readonly string[];
  /** `--call`: any unary method, prepared by call-prepare.ts; echo/crypto settings are then unused. */
  readonly call?: CallSpec;
  /** Echo only: the server's wait and busy work per call, µs (bench --server-delay / --server-busy). */
  readonly serverDelayUs?: number;
  readonly serverBusyUs?: number;
}

export function servicesOf(choice: ServiceChoice): ServiceName[] {
  if (choice === "echo-stream") return [];
  return choice === "both" ? ["echo", "crypto"] : [choice];
}

export function buildWorkloads(spec: WorkloadSpec, nextNumber: NextNumber = () => 0, workerId = 0): Workload[] {
  if (spec.call !== undefined) return [buildCallWorkload(spec.call, nextNumber, workerId)];
  // Random rather than zero bytes, so a compressing or deduplicating path cannot flatter the figures.
  const payload = randomBytes(spec.payloadSize);
  return servicesOf(spec.service).map((service) =>
    service === "echo"
      ? {
          service,
          path: EchoMethod.path,
          bodies: [
            encodeMessage(EchoRequest, {
              payload,
              serverDelayUs: spec.serverDelayUs ?? 0,
              serverBusyUs: spec.serverBusyUs ?? 0,
            }),
          ],
        }
      : {
          service,
          path: SIGN_PATH,
          bodies: spec.algorithms.map((name) =>
            encodeMessage(grpcperf.v1.SignRequest, { algorithm: ALGORITHMS[name], message: payload }),
          ),
        },
  );
}
